// `offload` and `pin` (issue 39): a model's copies on this computer's own disk (the vault's
// embedded provider) go only once the copies the vault wants are stored elsewhere; a model
// kept here (pinned) is brought back and keeps the chunks it shares with others.

#include "clisandbox.h"
#include "hubpeer.h"
#include "storedchunks.h"
#include "synctestsupport.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace mf;
using test::chunkObjects;
using test::CliResult;

namespace {

QStringList words(std::initializer_list<QString> parts)
{
    return QStringList(parts);
}

constexpr int Failed = 1;

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestCliOffload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void refusesWithoutAnotherCopyUntilRepaired();
    void pinBringsTheCopiesBack();
    void chunksOfAPinnedModelStay();
    void killedOffloadGoesOnWhenRunAgain();
    void offloadRemovesTheMaterializedCopy();
    void unknownModelIsNotFound();

private:
    // Adds the local providers "second" and "third" (folders of the sandbox).
    bool addProviders();
    // Floats `name` (1 MiB + 7 bytes in five fixed chunks) from input/<file>.bin (<name>.bin
    // when no file is named).
    QString floatModel(const QString& name, const QStringList& extra = {},
                       const QString& file = {});
    // The model's entry in `list --json`.
    QJsonObject listed(const QString& name);

    std::unique_ptr<test::CliSandbox> m_box;
};

void TestCliOffload::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestCliOffload::cleanup()
{
    m_box.reset();
}

bool TestCliOffload::addProviders()
{
    for (const QString& name : {QStringLiteral("second"), QStringLiteral("third")}) {
        const CliResult add = m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                                                QStringLiteral("local"), name, m_box->path(name)}));
        if (add.code != 0) {
            qWarning("%s", add.describe().constData());
            return false;
        }
    }
    return true;
}

QString TestCliOffload::floatModel(const QString& name, const QStringList& extra,
                                   const QString& fileName)
{
    const QString file = m_box->path(
        QStringLiteral("input/") + (fileName.isEmpty() ? name : fileName) + QStringLiteral(".bin"));
    if (!QFileInfo::exists(file) &&
        !test::writePseudoRandomFile(file, 1024 * 1024 + 7, qHash(name)))
        return {};
    const CliResult r = m_box->run(
        words({QStringLiteral("float"), file, QStringLiteral("--quiet"), QStringLiteral("--name"),
               name, QStringLiteral("--chunker"), QStringLiteral("fixed"),
               QStringLiteral("--chunk-size"), QStringLiteral("256K")}) +
        extra);
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return file;
}

QJsonObject TestCliOffload::listed(const QString& name)
{
    const CliResult list = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    for (const QJsonValue& v : list.json().value(QStringLiteral("models")).toArray())
        if (v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject();
    qWarning("%s", list.describe().constData());
    return {};
}

void TestCliOffload::refusesWithoutAnotherCopyUntilRepaired()
{
    QVERIFY(addProviders());
    // Every chunk here and on "second"; "third" holds nothing yet.
    const QString file = floatModel(
        QStringLiteral("alpha"), words({QStringLiteral("--provider"), QStringLiteral("local"),
                                        QStringLiteral("--provider"), QStringLiteral("second")}));
    QVERIFY(!file.isEmpty());
    const QStringList here = chunkObjects(m_box->localStore());
    QCOMPARE(here.size(), 5);
    QCOMPARE(listed(QStringLiteral("alpha")).value(QStringLiteral("here")).toString(),
             QStringLiteral("on this computer"));
    QCOMPARE(
        listed(QStringLiteral("alpha")).value(QStringLiteral("offload_frees_bytes")).toInteger(),
        1024 * 1024 + 7);
    // A read fills the chunk cache, which the offload empties of the model.
    const CliResult cat = m_box->run(
        words({QStringLiteral("cat"), QStringLiteral("alpha"), QStringLiteral("alpha.bin")}));
    QVERIFY2(cat.code == 0 && cat.out == readAll(file), cat.describe());
    QVERIFY(test::bytesBelow(m_box->vault() + QStringLiteral("/chunk-cache")) > 0);

    // "second" lost one copy, and no copy was looked at for two days: the check the offload
    // makes first finds it, and nothing goes.
    const QStringList there = chunkObjects(m_box->path(QStringLiteral("second")));
    QCOMPARE(there.size(), 5);
    QVERIFY(QFile::remove(there.at(2)));
    QVERIFY(test::stampCopiesSeenAt(m_box->vault() + QStringLiteral("/registry.sqlite"),
                                    QDateTime::currentSecsSinceEpoch() - 2 * 86400));
    const CliResult refused =
        m_box->run(words({QStringLiteral("offload"), QStringLiteral("alpha")}));
    QVERIFY2(refused.code == Failed, refused.describe());
    QVERIFY2(refused.errText().contains(QStringLiteral("1 of the 5 chunks")), refused.describe());
    QVERIFY2(refused.errText().contains(QStringLiteral("modelfloat-cli repair alpha")),
             refused.describe());
    QCOMPARE(chunkObjects(m_box->localStore()), here);

    const CliResult repair = m_box->run(words({QStringLiteral("repair"), QStringLiteral("alpha")}));
    QVERIFY2(repair.code == 0, repair.describe());

    // Now every chunk gets its two copies on the other providers first, then leaves this disk.
    const CliResult offload = m_box->run(
        words({QStringLiteral("offload"), QStringLiteral("alpha"), QStringLiteral("--json")}));
    QVERIFY2(offload.code == 0, offload.describe());
    const QJsonObject j = offload.json();
    QCOMPARE(j.value(QStringLiteral("copies_removed")).toInt(), 5);
    QCOMPARE(j.value(QStringLiteral("chunks_kept_here")).toInt(), 0);
    QVERIFY(j.value(QStringLiteral("bytes_freed")).toInteger() > 1024 * 1024);
    QCOMPARE(chunkObjects(m_box->localStore()), QStringList());
    QCOMPARE(test::bytesBelow(m_box->vault() + QStringLiteral("/chunk-cache")), 0);
    QCOMPARE(chunkObjects(m_box->path(QStringLiteral("second"))).size(), 5);
    QCOMPARE(chunkObjects(m_box->path(QStringLiteral("third"))).size(), 5);
    const QJsonObject entry = listed(QStringLiteral("alpha"));
    QCOMPARE(entry.value(QStringLiteral("here")).toString(), QStringLiteral("floating only"));
    QCOMPARE(entry.value(QStringLiteral("offload_frees_bytes")).toInteger(), 0);

    // The registry counts what is stored: two copies of each chunk, none of them here.
    const CliResult stats = m_box->run(words({QStringLiteral("stats"), QStringLiteral("--json")}));
    QVERIFY2(stats.code == 0, stats.describe());
    QCOMPARE(stats.json().value(QStringLiteral("placements")).toInt(), 10);
    QCOMPARE(stats.json().value(QStringLiteral("unhealthy_placements")).toInt(), 0);
    for (const QJsonValue& v : stats.json().value(QStringLiteral("providers")).toArray()) {
        const QJsonObject provider = v.toObject();
        QCOMPARE(provider.value(QStringLiteral("stored_bytes")).toInteger(),
                 provider.value(QStringLiteral("name")).toString() == QLatin1String("local")
                     ? 0
                     : 1024 * 1024 + 7);
    }

    // Still whole, and restored bit-exact from the other providers.
    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("alpha"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == 0, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("status")).toString(), QStringLiteral("healthy"));
    const QString out = m_box->path(QStringLiteral("out"));
    const CliResult restore = m_box->run(
        words({QStringLiteral("restore"), QStringLiteral("alpha"), QStringLiteral("--to"), out}));
    QVERIFY2(restore.code == 0, restore.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/alpha.bin")),
             test::opensslSha256Hex(file));
}

void TestCliOffload::pinBringsTheCopiesBack()
{
    QVERIFY(addProviders());
    const QString file = floatModel(QStringLiteral("alpha"),
                                    words({QStringLiteral("--provider"), QStringLiteral("second"),
                                           QStringLiteral("--provider"), QStringLiteral("third")}));
    QVERIFY(!file.isEmpty());
    QCOMPARE(chunkObjects(m_box->localStore()), QStringList());
    QCOMPARE(listed(QStringLiteral("alpha")).value(QStringLiteral("here")).toString(),
             QStringLiteral("floating only"));

    const CliResult pin = m_box->run(
        words({QStringLiteral("pin"), QStringLiteral("alpha"), QStringLiteral("--json")}));
    QVERIFY2(pin.code == 0, pin.describe());
    QCOMPARE(pin.json().value(QStringLiteral("chunks_fetched")).toInt(), 5);
    QCOMPARE(chunkObjects(m_box->localStore()).size(), 5);
    const QJsonObject entry = listed(QStringLiteral("alpha"));
    QCOMPARE(entry.value(QStringLiteral("here")).toString(), QStringLiteral("on this computer"));
    QCOMPARE(entry.value(QStringLiteral("pinned")).toBool(), true);
    QCOMPARE(entry.value(QStringLiteral("bytes_here")).toInteger(), 1024 * 1024 + 7);
    // The chunk cache does not keep them twice.
    QCOMPARE(test::bytesBelow(m_box->vault() + QStringLiteral("/chunk-cache")), 0);

    // A second pin has nothing to bring; the copies here count in the registry.
    const CliResult again = m_box->run(
        words({QStringLiteral("pin"), QStringLiteral("alpha"), QStringLiteral("--json")}));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(again.json().value(QStringLiteral("chunks_fetched")).toInt(), 0);
    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("alpha"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == 0, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("status")).toString(), QStringLiteral("healthy"));

    // With its copies gone from "second" and "third", alpha restores from this computer alone.
    for (const QString& p : chunkObjects(m_box->path(QStringLiteral("second"))))
        QVERIFY(QFile::remove(p));
    for (const QString& p : chunkObjects(m_box->path(QStringLiteral("third"))))
        QVERIFY(QFile::remove(p));
    const QString out = m_box->path(QStringLiteral("out"));
    const CliResult restore = m_box->run(
        words({QStringLiteral("restore"), QStringLiteral("alpha"), QStringLiteral("--to"), out}));
    QVERIFY2(restore.code == 0, restore.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/alpha.bin")),
             test::opensslSha256Hex(file));
}

void TestCliOffload::chunksOfAPinnedModelStay()
{
    QVERIFY(addProviders());
    // beta is alpha's bytes under another name: every chunk is shared.
    const QString file = floatModel(QStringLiteral("alpha"));
    QVERIFY(!file.isEmpty());
    QVERIFY(!floatModel(QStringLiteral("beta"), {}, QStringLiteral("alpha")).isEmpty());
    const CliResult pin = m_box->run(words({QStringLiteral("pin"), QStringLiteral("beta")}));
    QVERIFY2(pin.code == 0, pin.describe());
    const QStringList here = chunkObjects(m_box->localStore());
    QCOMPARE(here.size(), 5);
    QCOMPARE(
        listed(QStringLiteral("alpha")).value(QStringLiteral("offload_frees_bytes")).toInteger(),
        0);

    const CliResult offload = m_box->run(
        words({QStringLiteral("offload"), QStringLiteral("alpha"), QStringLiteral("--json")}));
    QVERIFY2(offload.code == 0, offload.describe());
    QCOMPARE(offload.json().value(QStringLiteral("copies_removed")).toInt(), 0);
    QCOMPARE(offload.json().value(QStringLiteral("chunks_kept_here")).toInt(), 5);
    QCOMPARE(chunkObjects(m_box->localStore()), here);
    QCOMPARE(listed(QStringLiteral("beta")).value(QStringLiteral("here")).toString(),
             QStringLiteral("on this computer"));

    // Once beta is no longer kept, alpha's offload frees them (and beta's copies go with them:
    // they are the same chunks).
    const CliResult unpin =
        m_box->run(words({QStringLiteral("pin"), QStringLiteral("--off"), QStringLiteral("beta")}));
    QVERIFY2(unpin.code == 0, unpin.describe());
    const CliResult again = m_box->run(words({QStringLiteral("offload"), QStringLiteral("alpha")}));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(chunkObjects(m_box->localStore()), QStringList());
    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("--all"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == 0, verify.describe());
}

void TestCliOffload::killedOffloadGoesOnWhenRunAgain()
{
    // kill -9 while copies are being made elsewhere: the copies here of the chunks that already
    // have theirs elsewhere are recorded deletions, the rest are still copies; the next
    // offload carries out the one and finishes the other, and nothing is lost.
    QVERIFY(addProviders());
    const QString file = m_box->path(QStringLiteral("input/big.bin"));
    QVERIFY(test::writePseudoRandomFile(file, 32 * 1024 * 1024 + 3, 77));
    QVERIFY(!floatModel(QStringLiteral("big"),
                        words({QStringLiteral("--provider"), QStringLiteral("local"),
                               QStringLiteral("--provider"), QStringLiteral("second")}),
                        QStringLiteral("big"))
                 .isEmpty());
    QCOMPARE(chunkObjects(m_box->localStore()).size(), 129);

    QProcess offload;
    offload.setProcessEnvironment(m_box->environment());
    offload.setWorkingDirectory(m_box->root());
    offload.start(test::CliSandbox::cli(),
                  words({QStringLiteral("offload"), QStringLiteral("big")}));
    QVERIFY(offload.waitForStarted());
    const QString third = m_box->path(QStringLiteral("third"));
    QVERIFY(QTest::qWaitFor(
        [&] { return chunkObjects(third).size() >= 40 || offload.state() == QProcess::NotRunning; },
        60000));
    ::kill(pid_t(offload.processId()), SIGKILL);
    offload.waitForFinished();

    const CliResult again = m_box->run(
        words({QStringLiteral("offload"), QStringLiteral("big"), QStringLiteral("--json")}));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(chunkObjects(m_box->localStore()), QStringList());
    QCOMPARE(chunkObjects(m_box->path(QStringLiteral("second"))).size(), 129);
    QCOMPARE(chunkObjects(third).size(), 129);
    const CliResult verify = m_box->run(
        words({QStringLiteral("verify"), QStringLiteral("big"), QStringLiteral("--json")}));
    QVERIFY2(verify.code == 0, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("status")).toString(), QStringLiteral("healthy"));
    const CliResult stats = m_box->run(words({QStringLiteral("stats"), QStringLiteral("--json")}));
    QCOMPARE(stats.json().value(QStringLiteral("placements")).toInt(), 2 * 129);
}

// The materialized cache holds a copy of a model too (whole files, for runtimes): an offload
// removes it; a pin brings back the chunks only (docs/mount.md), never that copy unasked.
void TestCliOffload::offloadRemovesTheMaterializedCopy()
{
    QVERIFY(addProviders());
    const QString repo = m_box->path(QStringLiteral("hub/repo"));
    QVERIFY(QDir().mkpath(repo));
    QVERIFY(test::writePseudoRandomFile(repo + QStringLiteral("/model.bin"), 1024 * 1024 + 7, 39));
    test::HubPeer hub;
    QVERIFY2(hub.start({{QStringLiteral("org/m"), repo}}), qPrintable(hub.errorString()));
    QProcessEnvironment env = m_box->environment();
    env.insert(QStringLiteral("HF_ENDPOINT"), hub.endpoint());
    env.insert(QStringLiteral("HF_TOKEN"), test::HubPeer::token());
    env.remove(QStringLiteral("MODELFLOAT_CACHE"));
    const CliResult import = m_box->runIn(
        env, words({QStringLiteral("import"), QStringLiteral("org/m"), QStringLiteral("--quiet")}));
    QVERIFY2(import.code == 0, import.describe());
    const CliResult materialize =
        m_box->runIn(env, words({QStringLiteral("materialize"), QStringLiteral("org/m")}));
    QVERIFY2(materialize.code == 0, materialize.describe());
    const QString copy = m_box->vault() + QStringLiteral("/materialized/models--org--m");
    QCOMPARE(test::bytesBelow(copy + QStringLiteral("/blobs")), 1024 * 1024 + 7);
    QVERIFY(!chunkObjects(m_box->localStore()).isEmpty());

    const CliResult offload = m_box->runIn(
        env, words({QStringLiteral("offload"), QStringLiteral("org/m"), QStringLiteral("--json")}));
    QVERIFY2(offload.code == 0, offload.describe());
    QVERIFY(!QFileInfo::exists(copy));
    QCOMPARE(chunkObjects(m_box->localStore()), QStringList());
    // The chunks here and the materialized files: each byte of the model counted twice.
    QVERIFY2(offload.json().value(QStringLiteral("bytes_freed")).toInteger() >=
                 2 * (1024 * 1024 + 7),
             offload.describe());

    const CliResult pin =
        m_box->runIn(env, words({QStringLiteral("pin"), QStringLiteral("org/m")}));
    QVERIFY2(pin.code == 0, pin.describe());
    QVERIFY(!chunkObjects(m_box->localStore()).isEmpty());
    QVERIFY(!QFileInfo::exists(copy));
}

void TestCliOffload::unknownModelIsNotFound()
{
    const CliResult offload =
        m_box->run(words({QStringLiteral("offload"), QStringLiteral("nope")}));
    QCOMPARE(offload.code, 3);
    QVERIFY2(offload.errText().contains(QStringLiteral("no model named “nope”")),
             offload.describe());
    const CliResult pin = m_box->run(words({QStringLiteral("pin"), QStringLiteral("nope")}));
    QCOMPARE(pin.code, 3);
}

QTEST_GUILESS_MAIN(TestCliOffload)
#include "tst_cli_offload.moc"
