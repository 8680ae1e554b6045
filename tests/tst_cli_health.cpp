// What the command line says about the health of stored data, and with which exit code:
// `verify` reports fewer copies than wanted as a problem of its own (exit 7), never beside "OK";
// a chunk that no provider has any more is missing data (exit 4) for restore, cat and
// materialize; a provider that cannot be read is a failure (exit 1), not proof of loss.

#include "clisandbox.h"
#include "storedchunks.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QtTest>

#include <memory>

using namespace mf;
using test::chunkObjects;
using test::CliResult;

namespace {

QStringList words(std::initializer_list<QString> parts)
{
    return QStringList(parts);
}

// Exit codes from app/cli/exitcodes.h, as documented in README.md.
constexpr int Failed = 1;
constexpr int NotFound = 3;
constexpr int IntegrityProblem = 4;
constexpr int Usage = 2;
constexpr int BadInput = 6;
constexpr int UnderReplicated = 7;

} // namespace

class TestCliHealth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void underReplicatedIsNotOk();
    void lostChunkIsMissingData();
    void repairFromTheFilesAtHand();
    void modelRemovedElsewhereIsNotLoss();
    void unreadableProviderIsNotLoss();
    void silentProviderIsLostAfterItsTime();
    void returningProviderCountsAgain();
    void lostChunksAreNotDedupSavings();
    void freshVaultWantsWhatItsProvidersHold();

private:
    // Floats `name` (1.5 MiB in 256 KiB chunks) with the given extra arguments.
    QString floatModel(const QString& name, const QStringList& extra = {});

    std::unique_ptr<test::CliSandbox> m_box;
};

void TestCliHealth::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestCliHealth::cleanup()
{
    m_box.reset();
}

QString TestCliHealth::floatModel(const QString& name, const QStringList& extra)
{
    const QString file = m_box->path(QStringLiteral("input/") + name + QStringLiteral(".bin"));
    if (!test::writePseudoRandomFile(file, 1536 * 1024 + 7, qHash(name)))
        return {};
    const CliResult r = m_box->run(words({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                                          QStringLiteral("--chunk-size"), QStringLiteral("256K")}) +
                                   extra);
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return file;
}

void TestCliHealth::underReplicatedIsNotOk()
{
    // Two providers, two copies wanted; the second is away (its disk unmounted) while the model
    // floats, so every chunk gets one copy, and then it is back.
    const QString second = m_box->path(QStringLiteral("second"));
    const CliResult add =
        m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                          QStringLiteral("local"), QStringLiteral("second"), second}));
    QVERIFY2(add.code == 0, add.describe());
    QVERIFY(QDir().rename(second, second + QStringLiteral("-away")));
    QVERIFY(!floatModel(QStringLiteral("model")).isEmpty());
    QVERIFY(QDir().rename(second + QStringLiteral("-away"), second));

    const CliResult verify = m_box->run(words({QStringLiteral("verify"), QStringLiteral("--all")}));
    QVERIFY2(verify.code == UnderReplicated, verify.describe());
    QVERIFY2(!verify.out.contains("OK"), verify.describe());
    QVERIFY2(verify.out.contains("UNDER-REPLICATED"), verify.describe());
    QVERIFY2(verify.out.contains("None is lost"), verify.describe());

    const CliResult json = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("model"), QStringLiteral("--json")}));
    QVERIFY2(json.code == UnderReplicated, json.describe());
    const QJsonObject j = json.json();
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), false);
    QCOMPARE(j.value(QStringLiteral("status")).toString(), QStringLiteral("under-replicated"));
    QCOMPARE(j.value(QStringLiteral("wanted_replicas")).toInt(), 2);
    const int chunks = j.value(QStringLiteral("chunks")).toInt();
    QVERIFY(chunks >= 3);
    QCOMPARE(j.value(QStringLiteral("under_replicated")).toInt(), chunks);
    QCOMPARE(j.value(QStringLiteral("good")).toInt(), chunks);
    QCOMPARE(j.value(QStringLiteral("lost")).toInt(), 0);

    // With the copies it wants, the same vault verifies OK.
    const CliResult again =
        m_box->run(words({QStringLiteral("float"), m_box->path(QStringLiteral("input/model.bin")),
                          QStringLiteral("--name"), QStringLiteral("twice"),
                          QStringLiteral("--chunk-size"), QStringLiteral("256K")}));
    QVERIFY2(again.code == 0, again.describe());
    const CliResult ok = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("--all"), QStringLiteral("--json")}));
    QVERIFY2(ok.code == 0, ok.describe());
    QCOMPARE(ok.json().value(QStringLiteral("status")).toString(), QStringLiteral("healthy"));
    QCOMPARE(ok.json().value(QStringLiteral("ok")).toBool(), true);
}

void TestCliHealth::lostChunkIsMissingData()
{
    const QString file = floatModel(QStringLiteral("model"));
    QVERIFY(!file.isEmpty());
    const QStringList objects = chunkObjects(m_box->localStore());
    QVERIFY(objects.size() >= 3);
    // The one copy of the last chunk is gone.
    const QString victim = objects.last();
    const QString cid = QFileInfo(victim).fileName();
    QVERIFY(QFile::remove(victim));

    const QString out = m_box->path(QStringLiteral("out"));
    const CliResult re = m_box->run(
        words({QStringLiteral("restore"), QStringLiteral("model"), QStringLiteral("--to"), out}));
    QVERIFY2(re.code == IntegrityProblem, re.describe());
    QVERIFY2(re.errText().contains(cid), re.describe());
    QVERIFY2(re.errText().contains(QStringLiteral("lost")), re.describe());
    // Issue 34, item 5: no other replica was there to use.
    QVERIFY2(!re.errText().contains(QStringLiteral("another replica")), re.describe());
    QCOMPARE(test::CliSandbox::filesBelow(out), QStringList());

    const CliResult cat = m_box->run(
        words({QStringLiteral("cat"), QStringLiteral("model"), QStringLiteral("model.bin")}));
    QVERIFY2(cat.code == IntegrityProblem, cat.describe());
    QVERIFY2(cat.errText().contains(cid), cat.describe());
    QVERIFY2(!cat.errText().contains(QStringLiteral("another replica")), cat.describe());

    const CliResult mat = m_box->run(words(
        {QStringLiteral("materialize"), QStringLiteral("model"), QStringLiteral("--to"), out}));
    QVERIFY2(mat.code == IntegrityProblem, mat.describe());
    QCOMPARE(test::CliSandbox::filesBelow(out), QStringList());

    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("--all"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == IntegrityProblem, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("status")).toString(), QStringLiteral("damaged"));
    QCOMPARE(verify.json().value(QStringLiteral("lost")).toInt(), 1);
}

void TestCliHealth::repairFromTheFilesAtHand()
{
    // Issue 37, item 2: a chunk no provider has any more, and the person still has the file.
    // `repair MODEL --from PATH` finds it among other files (size and name first, then
    // SHA-256), reads the lost chunk from it, and the model is whole again.
    const QString file = floatModel(QStringLiteral("model"));
    QVERIFY(!file.isEmpty());
    const QStringList objects = chunkObjects(m_box->localStore());
    QVERIFY(objects.size() >= 3);
    const QString victim = objects.at(1);
    QVERIFY(QFile::remove(victim));

    // Bad input first, each said in words and changing nothing.
    const CliResult noModel =
        m_box->run(words({QStringLiteral("repair"), QStringLiteral("--from"), file}));
    QVERIFY2(noModel.code == Usage, noModel.describe());
    QVERIFY2(noModel.errText().contains(QStringLiteral("Name the model")), noModel.describe());
    const CliResult nowhere =
        m_box->run(words({QStringLiteral("repair"), QStringLiteral("model"),
                          QStringLiteral("--from"), m_box->path(QStringLiteral("not-there"))}));
    QVERIFY2(nowhere.code == BadInput, nowhere.describe());
    QVERIFY2(nowhere.errText().contains(QStringLiteral("no file or folder")), nowhere.describe());
    // Same size and name, other bytes: the hash says no.
    const QString decoys = m_box->path(QStringLiteral("decoys"));
    QVERIFY(QDir().mkpath(decoys));
    QVERIFY(test::writePseudoRandomFile(decoys + QStringLiteral("/model.bin"),
                                        QFileInfo(file).size(), 99));
    QVERIFY(test::writePseudoRandomFile(decoys + QStringLiteral("/other.bin"), 1000, 98));
    const CliResult wrong = m_box->run(words(
        {QStringLiteral("repair"), QStringLiteral("model"), QStringLiteral("--from"), decoys}));
    QVERIFY2(wrong.code == BadInput, wrong.describe());
    QVERIFY2(wrong.errText().contains(QStringLiteral("None of the 2 files")), wrong.describe());
    QVERIFY(!QFile::exists(victim));

    // The real file, renamed, among the decoys in a folder of its own.
    const QString kept = m_box->path(QStringLiteral("kept"));
    QVERIFY(QDir().mkpath(kept + QStringLiteral("/sub")));
    QVERIFY(QFile::copy(file, kept + QStringLiteral("/sub/renamed.bin")));
    QVERIFY(
        QFile::copy(decoys + QStringLiteral("/model.bin"), kept + QStringLiteral("/model.bin")));
    const CliResult healed =
        m_box->run(words({QStringLiteral("repair"), QStringLiteral("model"),
                          QStringLiteral("--from"), kept, QStringLiteral("--json")}));
    QVERIFY2(healed.code == 0, healed.describe());
    QCOMPARE(healed.json().value(QStringLiteral("files_matched")).toInt(), 1);
    QVERIFY(healed.json().value(QStringLiteral("chunks_from_files")).toInt() >= 1);
    QCOMPARE(healed.json().value(QStringLiteral("lost")).toInt(), 0);
    QVERIFY(QFile::exists(victim));
    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("model"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == 0, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("status")).toString(), QStringLiteral("healthy"));
    // And `info` says how fresh that health is.
    const CliResult info = m_box->run(words({QStringLiteral("info"), QStringLiteral("model")}));
    QVERIFY2(info.code == 0, info.describe());
    QVERIFY2(info.out.contains("Checked:  "), info.describe());
}

void TestCliHealth::modelRemovedElsewhereIsNotLoss()
{
    // Issue 34, item 4: computers share a folder. B and C have taken in A's model; A removes
    // it, which deletes its chunks there. B restores it and C verifies it, neither synced
    // since: the chunks are gone because the model is, and they say so, naming the vault that
    // removed it and when (exit 3), not that data was lost (exit 4).
    const QString shared = m_box->path(QStringLiteral("shared"));
    const QStringList onB{QStringLiteral("--vault"), m_box->path(QStringLiteral("vault-b"))};
    const QStringList onC{QStringLiteral("--vault"), m_box->path(QStringLiteral("vault-c"))};
    for (const QStringList& vault : {QStringList(), onB, onC}) {
        QCOMPARE(m_box->run(words({QStringLiteral("init")}) + vault).code, 0);
        const CliResult add =
            m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                              QStringLiteral("local"), QStringLiteral("shared"), shared}) +
                       vault);
        QVERIFY2(add.code == 0, add.describe());
    }
    for (const QStringList& vault : {onB, onC}) {
        const CliResult key = m_box->shareCatalogKey({}, vault);
        QVERIFY2(key.code == 0, key.describe());
    }
    // A's removal deletes the chunks at once (the grace period is tst_catalogcollect's).
    QCOMPARE(m_box
                 ->run(words({QStringLiteral("config"), QStringLiteral("collect-grace"),
                              QStringLiteral("0"), QStringLiteral("--expert")}))
                 .code,
             0);
    QVERIFY(!floatModel(QStringLiteral("model"),
                        words({QStringLiteral("--provider"), QStringLiteral("shared")}))
                 .isEmpty());
    const CliResult synced =
        m_box->run(words({QStringLiteral("vault"), QStringLiteral("sync")}) + onB);
    QVERIFY2(synced.code == 0, synced.describe());
    const CliResult removed = m_box->run(words({QStringLiteral("rm"), QStringLiteral("model")}));
    QVERIFY2(removed.code == 0, removed.describe());
    QVERIFY(chunkObjects(shared).isEmpty());

    const QString out = m_box->path(QStringLiteral("out"));
    const CliResult re = m_box->run(
        words({QStringLiteral("restore"), QStringLiteral("model"), QStringLiteral("--to"), out}) +
        onB);
    QVERIFY2(re.code == NotFound, re.describe());
    QVERIFY2(re.errText().contains(QStringLiteral("removed on another computer")), re.describe());
    QCOMPARE(test::CliSandbox::filesBelow(out), QStringList());
    // The removal was taken in: B no longer lists the model.
    const CliResult list =
        m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}) + onB);
    QVERIFY2(list.code == 0 && !list.outText().contains(QStringLiteral("\"model\"")),
             list.describe());
}

void TestCliHealth::unreadableProviderIsNotLoss()
{
    const QString file = floatModel(QStringLiteral("model"));
    QVERIFY(!file.isEmpty());
    // The provider's folder is not there (a disk not mounted): nothing is known to be lost.
    const QString away = m_box->vault() + QStringLiteral("/store-away");
    QVERIFY(QDir().rename(m_box->localStore(), away));

    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("--all"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == Failed, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("status")).toString(), QStringLiteral("unknown"));
    QVERIFY(verify.json().value(QStringLiteral("unreachable")).toInt() > 0);
    const CliResult re =
        m_box->run(words({QStringLiteral("restore"), QStringLiteral("model"),
                          QStringLiteral("--to"), m_box->path(QStringLiteral("out"))}));
    QVERIFY2(re.code == Failed, re.describe());
    QVERIFY2(re.errText().contains(m_box->localStore()), re.describe());

    // Back: nothing was marked lost meanwhile.
    QVERIFY(QDir().rename(away, m_box->localStore()));
    const CliResult ok = m_box->run(words({QStringLiteral("verify"), QStringLiteral("--all")}));
    QVERIFY2(ok.code == UnderReplicated || ok.code == 0, ok.describe());
    const CliResult again =
        m_box->run(words({QStringLiteral("restore"), QStringLiteral("model"),
                          QStringLiteral("--to"), m_box->path(QStringLiteral("out"))}));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(test::opensslSha256Hex(m_box->path(QStringLiteral("out/model.bin"))),
             test::opensslSha256Hex(file));
}

void TestCliHealth::silentProviderIsLostAfterItsTime()
{
    // Issue 34, item 2: a provider's folder is gone for good. Within the vault's
    // unreachable-after its copies still count (nothing is known lost; repair says it could not
    // check them); past it, they count as lost: `list` says so, health is degraded and repair
    // makes the copies elsewhere. "OK: every chunk has its 2 copies" was said before, for ever.
    const QString second = m_box->path(QStringLiteral("second"));
    const CliResult add =
        m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                          QStringLiteral("local"), QStringLiteral("second"), second}));
    QVERIFY2(add.code == 0, add.describe());
    const QString file = floatModel(QStringLiteral("model"));
    QVERIFY(!file.isEmpty());
    QVERIFY(QDir(second).removeRecursively());

    const CliResult early = m_box->run(words({QStringLiteral("repair")}));
    QVERIFY2(early.code != 0, early.describe());
    QVERIFY2(
        QString(early.outText() + early.errText()).contains(QStringLiteral("could not be checked")),
        early.describe());
    const CliResult listed = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    QVERIFY2(listed.code == 0, listed.describe());
    QJsonArray silent = listed.json().value(QStringLiteral("unreachable_providers")).toArray();
    QCOMPARE(silent.size(), 1);
    QCOMPARE(silent.at(0).toObject().value(QStringLiteral("provider")).toString(),
             QStringLiteral("second"));
    QCOMPARE(silent.at(0).toObject().value(QStringLiteral("lost")).toBool(), false);

    // Past its time (0 hours here): lost, and with no other provider the model is degraded.
    const CliResult set = m_box->run(words(
        {QStringLiteral("config"), QStringLiteral("unreachable-after"), QStringLiteral("0")}));
    QVERIFY2(set.code == 0, set.describe());
    const CliResult stuck = m_box->run(words({QStringLiteral("repair")}));
    QVERIFY2(stuck.code == UnderReplicated, stuck.describe());
    QVERIFY2(QString(stuck.outText() + stuck.errText())
                 .contains(QStringLiteral("has not answered since")),
             stuck.describe());
    const CliResult degraded = m_box->run(words({QStringLiteral("list")}));
    QVERIFY2(degraded.outText().contains(QStringLiteral("degraded")) &&
                 degraded.outText().contains(QStringLiteral("count as lost")),
             degraded.describe());

    // A third provider: repair makes the copies there, and the model restores without the
    // second one.
    const CliResult third = m_box->run(
        words({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
               QStringLiteral("third"), m_box->path(QStringLiteral("third"))}));
    QVERIFY2(third.code == 0, third.describe());
    const CliResult repaired = m_box->run(words({QStringLiteral("repair")}));
    QVERIFY2(repaired.code == 0, repaired.describe());
    QCOMPARE(chunkObjects(m_box->path(QStringLiteral("third"))).size(),
             chunkObjects(m_box->localStore()).size());
    const CliResult healthy = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    QCOMPARE(healthy.json()
                 .value(QStringLiteral("models"))
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(QStringLiteral("health"))
                 .toString(),
             QStringLiteral("healthy"));
    const CliResult re =
        m_box->run(words({QStringLiteral("restore"), QStringLiteral("model"),
                          QStringLiteral("--to"), m_box->path(QStringLiteral("out"))}));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(m_box->path(QStringLiteral("out/model.bin"))),
             test::opensslSha256Hex(file));
    // A new float places nothing on the lost provider: it says so, and tries no put there.
    const QString next = m_box->path(QStringLiteral("input/next.bin"));
    QVERIFY(test::writePseudoRandomFile(next, 600 * 1024, 77));
    const CliResult floated = m_box->run(words({QStringLiteral("float"), next}));
    QVERIFY2(floated.code == 0, floated.describe());
    QVERIFY2(floated.errText().contains(QStringLiteral("“second” has not answered for too long")),
             floated.describe());
    // (The catalog still tries it, as it tries every provider, and says so.)
    for (const QString& line : floated.errText().split(QLatin1Char('\n')))
        QVERIFY2(!(line.contains(QStringLiteral("“second”")) &&
                   line.contains(QStringLiteral("chunk"), Qt::CaseInsensitive)),
                 qPrintable(line));

    // It comes back: the next check hears it, and it is no longer listed as silent.
    QVERIFY(QDir().mkpath(second));
    const CliResult scrub = m_box->run(words({QStringLiteral("scrub")}));
    QVERIFY2(scrub.code == 0, scrub.describe());
    const CliResult back = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    silent = back.json().value(QStringLiteral("unreachable_providers")).toArray();
    QVERIFY2(silent.isEmpty(), back.describe());
}

void TestCliHealth::returningProviderCountsAgain()
{
    // Issue 34, item 2: a provider silent past its time has its copies counted lost; then it
    // answers again, its objects all there. The next check hears it (a connection test: no due
    // copy is on it any more), asks it again for the copies recorded missing and finds them:
    // they count again, the model is healthy, and verify agrees. Before, they stayed "missing"
    // for ever (the next repair made copies that were not needed).
    const QString second = m_box->path(QStringLiteral("second"));
    const CliResult add =
        m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                          QStringLiteral("local"), QStringLiteral("second"), second}));
    QVERIFY2(add.code == 0, add.describe());
    QVERIFY(!floatModel(QStringLiteral("model")).isEmpty());
    const int copies = int(chunkObjects(second).size());
    QVERIFY(copies >= 3);
    const auto health = [this] {
        const CliResult list =
            m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
        return list.json()
            .value(QStringLiteral("models"))
            .toArray()
            .at(0)
            .toObject()
            .value(QStringLiteral("health"))
            .toString();
    };
    QCOMPARE(health(), QStringLiteral("healthy"));

    const CliResult set = m_box->run(words(
        {QStringLiteral("config"), QStringLiteral("unreachable-after"), QStringLiteral("0")}));
    QVERIFY2(set.code == 0, set.describe());
    QVERIFY(QDir().rename(second, second + QStringLiteral("-away")));
    const CliResult lost = m_box->run(words({QStringLiteral("scrub"), QStringLiteral("--all")}));
    QVERIFY2(
        QString(lost.outText() + lost.errText()).contains(QStringLiteral("has not answered since")),
        lost.describe());
    QCOMPARE(health(), QStringLiteral("degraded"));

    // Back, every object as it was.
    QVERIFY(QDir().rename(second + QStringLiteral("-away"), second));
    const CliResult back = m_box->run(words({QStringLiteral("scrub"), QStringLiteral("--all")}));
    QVERIFY2(back.code == 0, back.describe());
    QCOMPARE(health(), QStringLiteral("healthy"));
    QVERIFY2(QString(back.outText() + back.errText()).contains(QStringLiteral("count again")),
             back.describe());
    const CliResult verify = m_box->run(words({QStringLiteral("verify"), QStringLiteral("--all")}));
    QVERIFY2(verify.code == 0, verify.describe());
    // Repair has nothing to make: no extra copy anywhere.
    const CliResult repair =
        m_box->run(words({QStringLiteral("repair"), QStringLiteral("--json")}));
    QVERIFY2(repair.code == 0, repair.describe());
    QCOMPARE(chunkObjects(second).size(), copies);
    QCOMPARE(chunkObjects(m_box->localStore()).size(), copies);

    // Silent again, and this time its copies are made on a third provider meanwhile: repair
    // forgets the lost ones and queues their objects' deletion. When it is back, the next
    // collect deletes them (extra copies), and no check counts them again.
    QVERIFY(QDir().rename(second, second + QStringLiteral("-away")));
    const CliResult lostAgain =
        m_box->run(words({QStringLiteral("scrub"), QStringLiteral("--all")}));
    QVERIFY2(QString(lostAgain.outText() + lostAgain.errText())
                 .contains(QStringLiteral("has not answered since")),
             lostAgain.describe());
    QCOMPARE(health(), QStringLiteral("degraded"));
    const QString third = m_box->path(QStringLiteral("third"));
    const CliResult addThird =
        m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                          QStringLiteral("local"), QStringLiteral("third"), third}));
    QVERIFY2(addThird.code == 0, addThird.describe());
    const CliResult replaced = m_box->run(words({QStringLiteral("repair")}));
    QVERIFY2(replaced.code == 0, replaced.describe());
    QCOMPARE(chunkObjects(third).size(), copies);
    QVERIFY(QDir().rename(second + QStringLiteral("-away"), second));
    const CliResult collected = m_box->run(words({QStringLiteral("collect")}));
    QVERIFY2(collected.code == 0, collected.describe());
    QVERIFY2(chunkObjects(second).isEmpty(), collected.describe());
    const CliResult quiet = m_box->run(words({QStringLiteral("scrub"), QStringLiteral("--all")}));
    QVERIFY2(quiet.code == 0 && !quiet.outText().contains(QStringLiteral("count again")) &&
                 !quiet.errText().contains(QStringLiteral("count again")),
             quiet.describe());
    QCOMPARE(health(), QStringLiteral("healthy"));
}

void TestCliHealth::lostChunksAreNotDedupSavings()
{
    const QString file = floatModel(QStringLiteral("model"));
    QVERIFY(!file.isEmpty());
    const qint64 size = QFileInfo(file).size();
    // The same file again: every chunk is kept once for both models.
    const CliResult again = m_box->run(
        words({QStringLiteral("float"), file, QStringLiteral("--name"), QStringLiteral("copy"),
               QStringLiteral("--quiet"), QStringLiteral("--chunk-size"), QStringLiteral("256K")}));
    QVERIFY2(again.code == 0, again.describe());
    const auto saved = [this] {
        const CliResult stats =
            m_box->run(words({QStringLiteral("stats"), QStringLiteral("--json")}));
        return stats.code == 0 ? stats.json().value(QStringLiteral("dedup_saved_bytes")).toInteger()
                               : -1;
    };
    QCOMPARE(saved(), size);

    // Every chunk is lost (and known lost once verify has looked): nothing is stored once
    // instead of twice any more, so nothing is saved.
    for (const QString& object : chunkObjects(m_box->localStore()))
        QVERIFY(QFile::remove(object));
    const CliResult verify = m_box->run(words({QStringLiteral("verify"), QStringLiteral("--all")}));
    QVERIFY2(verify.code == IntegrityProblem, verify.describe());
    QCOMPARE(saved(), qint64(0));
}

void TestCliHealth::freshVaultWantsWhatItsProvidersHold()
{
    // A new vault asks for 2 copies but has one provider: 1 copy is what it wants, and every
    // view says the same.
    QVERIFY(!floatModel(QStringLiteral("model")).isEmpty());
    const CliResult stats = m_box->run(words({QStringLiteral("stats"), QStringLiteral("--json")}));
    QVERIFY2(stats.code == 0, stats.describe());
    QCOMPARE(stats.json().value(QStringLiteral("replication")).toInt(), 2);
    QCOMPARE(stats.json().value(QStringLiteral("wanted_copies")).toInt(), 1);
    const CliResult text = m_box->run(words({QStringLiteral("stats")}));
    QVERIFY2(text.out.contains("1 wanted"), text.describe());
    const CliResult list = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    QVERIFY2(list.code == 0, list.describe());
    const QJsonArray models = list.json().value(QStringLiteral("models")).toArray();
    QCOMPARE(models.size(), 1);
    QCOMPARE(models.at(0).toObject().value(QStringLiteral("health")).toString(),
             QStringLiteral("healthy"));
    const CliResult info = m_box->run(
        words({QStringLiteral("info"), QStringLiteral("model"), QStringLiteral("--json")}));
    QVERIFY2(info.code == 0, info.describe());
    QCOMPARE(info.json().value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
}

QTEST_GUILESS_MAIN(TestCliHealth)
#include "tst_cli_health.moc"
