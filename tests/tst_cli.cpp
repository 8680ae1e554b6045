// modelfloat-cli end to end: the real executable driven through QProcess, each test in its own
// throw-away vault and home. Results are checked against independent oracles (the `openssl`
// command for file contents, the provider folder on disk for what was stored) rather than
// against the CLI's own report of itself. Bad input and failures are tst_cli_badinput's.

#include "clitestfixture.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestCli final : public CliTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { CliTestBase::init(); }
    void cleanup() { CliTestBase::cleanup(); }
    void floatAndRestoreFile();
    void floatAndRestoreFolder();
    void viewsInTextAndJson();
    void catWholeFileAndRanges();
    void replicationOnExtraProviders();
    void killedFloatResumes();
    void interruptedFloatResumes();
    void removeAndCollect();
    void helpForEveryCommand();
};

void TestCli::floatAndRestoreFile()
{
    const QString file = path(QStringLiteral("input/model.gguf"));
    const qint64 size = 3 * MiB + 4321;
    QVERIFY(test::writePseudoRandomFile(file, size, 1));

    const Result fl = run(words("float", file, "--json", "--replicas", "1") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QVERIFY2(fl.isJson(), fl.describe());
    const QJsonObject j = fl.json();
    QCOMPARE(j.value(QStringLiteral("model")).toString(), QStringLiteral("model"));
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("resumed")).toBool(), false);
    QCOMPARE(j.value(QStringLiteral("bytes")).toInteger(), size);
    const int chunks = j.value(QStringLiteral("chunks")).toInt();
    QVERIFY(chunks >= 3); // ~12 expected with 256 KiB average; at most 1 MiB each
    QCOMPARE(j.value(QStringLiteral("chunks_sent")).toInt(), chunks);
    QCOMPARE(j.value(QStringLiteral("bytes_sent")).toInteger(), size);
    QCOMPARE(j.value(QStringLiteral("bytes_deduplicated")).toInteger(), 0);
    // What the provider folder holds is what was sent, one object per chunk.
    const auto objects = chunkObjects(localStore());
    QCOMPARE(int(objects.size()), chunks);
    qint64 stored = 0;
    for (const ObjectStamp& s : objects)
        stored += s.size;
    QCOMPARE(stored, size);

    const QString out = path(QStringLiteral("out"));
    const Result re = run(words("restore", "model", "--to", out));
    QVERIFY2(re.code == 0, re.describe());
    QVERIFY(re.out.contains("Restored"));
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/model.gguf")),
             test::opensslSha256Hex(file));

    const Result verify = run(words("verify", "model"));
    QVERIFY2(verify.code == 0, verify.describe());
    QVERIFY(verify.out.contains("OK"));
}

void TestCli::floatAndRestoreFolder()
{
    const QString root = path(QStringLiteral("input/mymodel"));
    const QStringList files{QStringLiteral("config.json"), QStringLiteral("weights/part-1.bin"),
                            QStringLiteral("weights/part-2.bin"),
                            QStringLiteral("tokenizer/deep/nested/vocab.txt")};
    QList<qint64> sizes{1234, 2 * MiB + 17, 1 * MiB, 300 * KiB + 1};
    for (int i = 0; i < files.size(); ++i) {
        const QString f = root + QLatin1Char('/') + files.at(i);
        QVERIFY(QDir().mkpath(QFileInfo(f).absolutePath()));
        QVERIFY(test::writePseudoRandomFile(f, sizes.at(i), 100 + quint64(i)));
    }

    const Result fl = run(words("float", root, "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QCOMPARE(fl.json().value(QStringLiteral("model")).toString(), QStringLiteral("mymodel"));
    QCOMPARE(fl.json().value(QStringLiteral("bytes")).toInteger(),
             std::accumulate(sizes.begin(), sizes.end(), qint64(0)));

    // info lists every file under its path inside the folder, with the right size and hash.
    const Result info = run(words("info", "mymodel", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonArray listed = info.json().value(QStringLiteral("files")).toArray();
    QCOMPARE(listed.size(), files.size());
    for (const QJsonValue& v : listed) {
        const QJsonObject f = v.toObject();
        const int i = int(files.indexOf(f.value(QStringLiteral("path")).toString()));
        QVERIFY2(i >= 0, qPrintable(f.value(QStringLiteral("path")).toString()));
        QCOMPARE(f.value(QStringLiteral("size")).toInteger(), sizes.at(i));
        QCOMPARE(f.value(QStringLiteral("sha256")).toString().toLatin1(),
                 test::opensslSha256Hex(root + QLatin1Char('/') + files.at(i)));
        QCOMPARE(f.value(QStringLiteral("complete")).toBool(), true);
    }

    // The whole model.
    const QString all = path(QStringLiteral("out/all"));
    const Result re = run(words("restore", "mymodel", "--to", all, "--json"));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(re.json().value(QStringLiteral("files")).toArray().size(), files.size());
    for (const QString& f : files)
        QCOMPARE(test::opensslSha256Hex(all + QLatin1Char('/') + f),
                 test::opensslSha256Hex(root + QLatin1Char('/') + f));

    // One file: only it appears, at its path inside the model.
    const QString one = path(QStringLiteral("out/one"));
    const Result re1 = run(words("restore", "mymodel", files.at(3), "--to", one));
    QVERIFY2(re1.code == 0, re1.describe());
    QCOMPARE(test::opensslSha256Hex(one + QLatin1Char('/') + files.at(3)),
             test::opensslSha256Hex(root + QLatin1Char('/') + files.at(3)));
    int count = 0;
    for (QDirIterator it(one, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
         it.hasNext(); it.next())
        ++count;
    QCOMPARE(count, 1);

    // A file the model does not have.
    const Result missing = run(words("restore", "mymodel", "nope.bin", "--to", one));
    QCOMPARE(missing.code, 3);
    QVERIFY2(missing.errText().contains(QStringLiteral("nope.bin")), missing.describe());
}

void TestCli::viewsInTextAndJson()
{
    const QString file = path(QStringLiteral("input/weights.bin"));
    const qint64 size = 2 * MiB + 99;
    QVERIFY(test::writePseudoRandomFile(file, size, 2));

    const Result first = run(words("float", file, "--name", "alpha", "--json") + smallCdc());
    QVERIFY2(first.code == 0, first.describe());
    const int chunks = first.json().value(QStringLiteral("chunks")).toInt();
    QVERIFY(chunks > 1);
    QCOMPARE(first.json().value(QStringLiteral("bytes_sent")).toInteger(), size);

    // The same bytes under another name: nothing new is sent.
    const Result second = run(words("float", file, "--name", "beta", "--json") + smallCdc());
    QVERIFY2(second.code == 0, second.describe());
    const QJsonObject s = second.json();
    QCOMPARE(s.value(QStringLiteral("model")).toString(), QStringLiteral("beta"));
    QCOMPARE(s.value(QStringLiteral("chunks")).toInt(), chunks);
    QCOMPARE(s.value(QStringLiteral("bytes_sent")).toInteger(), 0);
    QCOMPARE(s.value(QStringLiteral("chunks_sent")).toInt(), 0);
    QCOMPARE(s.value(QStringLiteral("chunks_deduplicated")).toInt(), chunks);
    QCOMPARE(s.value(QStringLiteral("bytes_deduplicated")).toInteger(), size);
    QCOMPARE(int(chunkObjects(localStore()).size()), chunks);

    // list
    const Result listText = run(words("list"));
    QVERIFY2(listText.code == 0, listText.describe());
    QVERIFY(listText.out.contains("alpha"));
    QVERIFY(listText.out.contains("beta"));
    const Result list = run(words("list", "--json"));
    QVERIFY2(list.code == 0, list.describe());
    const QJsonArray models = list.json().value(QStringLiteral("models")).toArray();
    QCOMPARE(models.size(), 2);
    QStringList names;
    for (const QJsonValue& v : models) {
        const QJsonObject m = v.toObject();
        names << m.value(QStringLiteral("name")).toString();
        QCOMPARE(m.value(QStringLiteral("files")).toInt(), 1);
        QCOMPARE(m.value(QStringLiteral("bytes")).toInteger(), size);
        QCOMPARE(m.value(QStringLiteral("chunks")).toInt(), chunks);
        QCOMPARE(m.value(QStringLiteral("min_replicas")).toInt(), 1);
        QCOMPARE(m.value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
    }
    names.sort();
    QCOMPARE(names, words("alpha", "beta"));

    // info
    const Result infoText = run(words("info", "beta"));
    QVERIFY2(infoText.code == 0, infoText.describe());
    QVERIFY(infoText.out.contains("beta"));
    QVERIFY(infoText.out.contains("weights.bin"));
    const Result info = run(words("info", "beta", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject i = info.json();
    QCOMPARE(i.value(QStringLiteral("name")).toString(), QStringLiteral("beta"));
    QCOMPARE(i.value(QStringLiteral("complete")).toBool(), true);
    QCOMPARE(i.value(QStringLiteral("bytes")).toInteger(), size);
    QCOMPARE(i.value(QStringLiteral("unique_chunks")).toInt(), chunks);
    QCOMPARE(i.value(QStringLiteral("unique_bytes")).toInteger(), size);
    QCOMPARE(i.value(QStringLiteral("shared_bytes")).toInteger(), size); // all shared with alpha
    QCOMPARE(providerChunkSum(i), chunks);
    QCOMPARE(run(words("info", "gamma")).code, 3);

    // stats
    const Result statsText = run(words("stats"));
    QVERIFY2(statsText.code == 0, statsText.describe());
    QVERIFY(statsText.out.contains("local"));
    const Result stats = run(words("stats", "--json"));
    QVERIFY2(stats.code == 0, stats.describe());
    const QJsonObject st = stats.json();
    QCOMPARE(st.value(QStringLiteral("models")).toInt(), 2);
    QCOMPARE(st.value(QStringLiteral("files")).toInt(), 2);
    QCOMPARE(st.value(QStringLiteral("logical_bytes")).toInteger(), 2 * size);
    QCOMPARE(st.value(QStringLiteral("unique_bytes")).toInteger(), size);
    QCOMPARE(st.value(QStringLiteral("stored_bytes")).toInteger(), size);
    QCOMPARE(st.value(QStringLiteral("chunks")).toInt(), chunks);
    QCOMPARE(st.value(QStringLiteral("placements")).toInt(), chunks);
    QCOMPARE(st.value(QStringLiteral("unhealthy_placements")).toInt(), 0);
    QCOMPARE(QDir(st.value(QStringLiteral("vault")).toString()).canonicalPath(),
             QDir(m_vault).canonicalPath());

    // provider list
    const Result provText = run(words("provider", "list"));
    QVERIFY2(provText.code == 0, provText.describe());
    QVERIFY(provText.out.contains("local-store"));
    const Result prov = run(words("provider", "list", "--json"));
    QVERIFY2(prov.code == 0, prov.describe());
    const QJsonArray providers = prov.json().value(QStringLiteral("providers")).toArray();
    QCOMPARE(providers.size(), 1);
    const QJsonObject p = providers.at(0).toObject();
    QCOMPARE(p.value(QStringLiteral("name")).toString(), QStringLiteral("local"));
    QCOMPARE(p.value(QStringLiteral("kind")).toString(), QStringLiteral("local"));
    QCOMPARE(p.value(QStringLiteral("stored_bytes")).toInteger(), size);
    QCOMPARE(p.value(QStringLiteral("enabled")).toBool(), true);
    QCOMPARE(
        QDir(
            p.value(QStringLiteral("settings")).toObject().value(QStringLiteral("path")).toString())
            .canonicalPath(),
        QDir(localStore()).canonicalPath());

    // config: show, change, show again
    const Result configText = run(words("config"));
    QVERIFY2(configText.code == 0, configText.describe());
    QVERIFY(configText.out.contains("replication"));
    QVERIFY(configText.out.contains("chunker"));
    const Result config = run(words("config", "--json"));
    QVERIFY2(config.code == 0, config.describe());
    QCOMPARE(config.json().value(QStringLiteral("replication")).toInt(), 2); // a new vault's
    QVERIFY(!config.json().value(QStringLiteral("chunker")).toString().isEmpty());
    const Result set = run(words("config", "replication", "3", "--json"));
    QVERIFY2(set.code == 0, set.describe());
    QCOMPARE(set.json().value(QStringLiteral("replication")).toInt(), 3);
    QCOMPARE(run(words("config", "--json")).json().value(QStringLiteral("replication")).toInt(), 3);
    QCOMPARE(run(words("config", "replication", "0")).code, 2);
    QCOMPARE(run(words("config", "colour", "blue")).code, 2);
    QCOMPARE(run(words("config", "--json")).json().value(QStringLiteral("replication")).toInt(), 3);
}

void TestCli::catWholeFileAndRanges()
{
    const QString file = path(QStringLiteral("input/blob.bin"));
    const qint64 size = 1 * MiB + 777;
    const QByteArray bytes = test::pseudoRandomBytes(size, 3);
    QVERIFY(test::writeFile(file, bytes));
    QVERIFY2(run(words("float", file) + smallCdc()).code == 0, "float failed");

    const Result whole = run(words("cat", "blob", "blob.bin"));
    QVERIFY2(whole.code == 0, whole.describe());
    QCOMPARE(whole.out.size(), bytes.size());
    QVERIFY(whole.out == bytes);

    struct Case
    {
        const char* range;
        qint64 begin;
        qint64 end; // exclusive
    };
    const Case cases[] = {
        {"0-0", 0, 1},
        {"100-199", 100, 200},
        {"262140-700000", 262140, 700001}, // across chunk boundaries
        {"1000-", 1000, size},
        {"0-", 0, size},
    };
    for (const Case& c : cases) {
        const Result r = run(words("cat", "blob", "blob.bin", "--range", c.range));
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out == bytes.mid(c.begin, c.end - c.begin), c.range);
    }
    const QString last = QString::number(size - 1);
    const Result tail =
        run(words("cat", "blob", "blob.bin", "--range", last + QLatin1Char('-') + last));
    QVERIFY2(tail.code == 0, tail.describe());
    QCOMPARE(tail.out, bytes.right(1));

    for (const QString& bad :
         words("abc", "10-5", "5", "-5", QStringLiteral("0-") + QString::number(size),
               QString::number(size) + QLatin1Char('-'))) {
        const Result r = run(words("cat", "blob", "blob.bin", "--range", bad));
        QVERIFY2(r.code == 2, qPrintable(bad + QLatin1Char(' ') + QString::fromUtf8(r.describe())));
        QVERIFY2(r.out.isEmpty(), qPrintable(bad));
        QVERIFY2(r.errText().contains(QStringLiteral("range")), r.describe());
    }
    QCOMPARE(run(words("cat", "nosuch", "blob.bin")).code, 3);
    QCOMPARE(run(words("cat", "blob", "other.bin")).code, 3);
}

void TestCli::replicationOnExtraProviders()
{
    const QString a = path(QStringLiteral("store-a"));
    const QString b = path(QStringLiteral("store-b"));
    const Result addA = run(words("provider", "add", "local", "alpha", a));
    QVERIFY2(addA.code == 0, addA.describe());
    QVERIFY2(run(words("provider", "add", "local", "beta", b)).code == 0, "add beta");
    QCOMPARE(run(words("provider", "add", "local", "beta", b)).code, 5); // name taken
    const Result prov = run(words("provider", "list", "--json"));
    QCOMPARE(prov.json().value(QStringLiteral("providers")).toArray().size(), 3);

    const QString file = path(QStringLiteral("input/rep.bin"));
    const qint64 size = 4 * MiB + 1;
    QVERIFY(test::writePseudoRandomFile(file, size, 4));
    const Result fl = run(words("float", file, "--replicas", "2", "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QCOMPARE(fl.json().value(QStringLiteral("under_replicated_chunks")).toInt(), 0);
    QCOMPARE(fl.json().value(QStringLiteral("bytes_sent")).toInteger(), 2 * size);

    const Result info = run(words("info", "rep", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject i = info.json();
    const int unique = i.value(QStringLiteral("unique_chunks")).toInt();
    QVERIFY(unique > 1);
    QCOMPARE(providerChunkSum(i), 2 * unique);
    QCOMPARE(i.value(QStringLiteral("min_replicas")).toInt(), 2);
    for (const QJsonValue& v : i.value(QStringLiteral("providers")).toArray())
        QVERIFY(v.toObject().value(QStringLiteral("chunks")).toInt() <= unique);

    // The folders agree: two objects per chunk, never two on one provider (a set per folder).
    const auto inLocal = chunkObjects(localStore());
    const auto inA = chunkObjects(a);
    const auto inB = chunkObjects(b);
    QCOMPARE(int(inLocal.size() + inA.size() + inB.size()), 2 * unique);
    QSet<QString> all;
    for (const auto* m : {&inLocal, &inA, &inB})
        for (auto it = m->cbegin(); it != m->cend(); ++it)
            all.insert(it.key());
    QCOMPARE(int(all.size()), unique);

    const Result verify = run(words("verify", "rep", "--json"));
    QVERIFY2(verify.code == 0, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("checked")).toInt(), 2 * unique);
    QCOMPARE(verify.json().value(QStringLiteral("good")).toInt(), 2 * unique);

    const Result re = run(words("restore", "rep", "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/rep.bin"))),
             test::opensslSha256Hex(file));
}

void TestCli::killedFloatResumes()
{
    QString file;
    QStringList args;
    QProcess p;
    bool killed = false;
    for (int attempt = 0; attempt < 3 && !killed; ++attempt) {
        file = bigFile(QStringLiteral("big%1.bin").arg(attempt), attempt);
        QVERIFY(!file.isEmpty());
        args = words("float", file, "--json", "--replicas", "1") + smallCdc();
        // Several objects, so that the registry has recorded at least one of them by the kill.
        killed = actMidFloat(p, args, 8, [](QProcess& proc) {
            ::kill(pid_t(proc.processId()), SIGKILL);
            proc.waitForFinished(Timeout);
        });
        if (!killed)
            qWarning("the float finished before it could be killed; trying a bigger file");
    }
    QVERIFY2(killed, "every float finished before it could be killed");
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    const qint64 size = QFileInfo(file).size();

    const auto before = chunkObjects(localStore());
    QVERIFY(before.size() >= 8);

    const Result again = run(args);
    QVERIFY2(again.code == 0, again.describe());
    const QJsonObject j = again.json();
    QCOMPARE(j.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("bytes")).toInteger(), size);
    QVERIFY2(j.value(QStringLiteral("bytes_sent")).toInteger() < size, again.describe());

    // Objects stored before the kill were not written again.
    const auto after = chunkObjects(localStore());
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        QVERIFY2(after.contains(it.key()), qPrintable(it.key()));
        QVERIFY2(after.value(it.key()) == it.value(),
                 qPrintable(it.key() + QStringLiteral(" was rewritten")));
    }

    const Result re = run(
        words("restore", QFileInfo(file).completeBaseName(), "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/")) + QFileInfo(file).fileName()),
             test::opensslSha256Hex(file));
    const Result verify = run(words("verify", "--all"));
    QVERIFY2(verify.code == 0, verify.describe());
}

void TestCli::interruptedFloatResumes()
{
    QString file;
    QStringList args;
    QProcess p;
    bool interrupted = false;
    for (int attempt = 0; attempt < 3 && !interrupted; ++attempt) {
        file = bigFile(QStringLiteral("big%1.bin").arg(attempt), attempt);
        QVERIFY(!file.isEmpty());
        args = words("float", file, "--replicas", "1") + smallCdc();
        // Several objects, so that the registry has recorded at least one of them by then.
        interrupted = actMidFloat(p, args, 8, [](QProcess& proc) {
            ::kill(pid_t(proc.processId()), SIGINT);
            proc.waitForFinished(Timeout);
        });
    }
    QVERIFY2(interrupted, "every float finished before it could be interrupted");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 130, err);
    QVERIFY2(
        QString::fromUtf8(err).contains(QStringLiteral("again to resume"), Qt::CaseInsensitive),
        err);
    const qint64 size = QFileInfo(file).size();
    const auto before = chunkObjects(localStore());

    const Result again = run(args + words("--json"));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(again.json().value(QStringLiteral("resumed")).toBool(), true);
    QVERIFY2(again.json().value(QStringLiteral("bytes_sent")).toInteger() < size, again.describe());
    const auto after = chunkObjects(localStore());
    for (auto it = before.cbegin(); it != before.cend(); ++it)
        QVERIFY2(after.value(it.key()) == it.value(),
                 qPrintable(it.key() + QStringLiteral(" was rewritten")));

    const Result re = run(
        words("restore", QFileInfo(file).completeBaseName(), "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/")) + QFileInfo(file).fileName()),
             test::opensslSha256Hex(file));
    QVERIFY2(run(words("verify", "--all")).code == 0, "verify after resume");
}

void TestCli::removeAndCollect()
{
    const QString file = path(QStringLiteral("input/shared.bin"));
    const qint64 size = 1 * MiB + 5;
    QVERIFY(test::writePseudoRandomFile(file, size, 10));
    const Result a = run(words("float", file, "--name", "one", "--json") + smallCdc());
    QVERIFY2(a.code == 0, a.describe());
    const int chunks = a.json().value(QStringLiteral("chunks")).toInt();
    QVERIFY2(run(words("float", file, "--name", "two") + smallCdc()).code == 0, "float two");
    const auto objects = chunkObjects(localStore());
    QCOMPARE(int(objects.size()), chunks);

    // "two" still uses every chunk: removing "one" frees nothing.
    const Result rm1 = run(words("rm", "one", "--json"));
    QVERIFY2(rm1.code == 0, rm1.describe());
    QCOMPARE(rm1.json().value(QStringLiteral("chunks_freed")).toInt(), 0);
    QCOMPARE(chunkObjects(localStore()), objects);
    QCOMPARE(run(words("info", "one")).code, 3);
    const Result re = run(words("restore", "two", "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/shared.bin"))),
             test::opensslSha256Hex(file));

    // Nothing uses the chunks any more: they wait out the grace period (24 h), in case another
    // computer sharing the store floated the same bytes and has not published yet.
    const Result rm2 = run(words("rm", "two", "--json"));
    QVERIFY2(rm2.code == 0, rm2.describe());
    QCOMPARE(rm2.json().value(QStringLiteral("chunks_freed")).toInt(), 0);
    QCOMPARE(rm2.json().value(QStringLiteral("chunks_waiting")).toInt(), chunks);
    QCOMPARE(rm2.json().value(QStringLiteral("bytes_waiting")).toInteger(), size);
    QVERIFY(!rm2.json().value(QStringLiteral("free_after")).toString().isEmpty());
    QCOMPARE(chunkObjects(localStore()), objects);
    const Result told = run(words("collect"));
    QVERIFY2(told.allText().contains(QStringLiteral("chunks (1.00 MiB) become free after")),
             told.describe());
    // A grace period shorter than two catalog syncs is for experts only.
    QCOMPARE(run(words("config", "collect-grace", "0")).code, 2);
    QVERIFY2(run(words("config", "collect-grace", "0", "--expert")).code == 0, "grace 0");
    const Result freed = run(words("collect", "--json"));
    QVERIFY2(freed.code == 0, freed.describe());
    QCOMPARE(freed.json().value(QStringLiteral("chunks_freed")).toInt(), chunks);
    QVERIFY(chunkObjects(localStore()).isEmpty());
    QCOMPARE(run(words("list", "--json")).json().value(QStringLiteral("models")).toArray().size(),
             0);
    const Result stats = run(words("stats", "--json"));
    QCOMPARE(stats.json().value(QStringLiteral("chunks")).toInt(), 0);
    QCOMPARE(stats.json().value(QStringLiteral("stored_bytes")).toInteger(), 0);
    const Result collect = run(words("collect", "--json"));
    QVERIFY2(collect.code == 0, collect.describe());
    QCOMPARE(collect.json().value(QStringLiteral("chunks_freed")).toInt(), 0);
}

void TestCli::helpForEveryCommand()
{
    const Result help = run(words("--help"), false);
    QCOMPARE(help.code, 0);
    const QString text = QString::fromUtf8(help.out);
    QVERIFY(text.contains(QStringLiteral("Exit codes")));
    const qsizetype start = text.indexOf(QStringLiteral("Commands:\n"));
    QVERIFY(start >= 0);
    QStringList commands;
    const QStringList lines = text.mid(start + 10).split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (line.trimmed().isEmpty())
            break;
        commands << line.trimmed().section(QLatin1Char(' '), 0, 0);
    }
    for (const char* expected : {"init", "config", "provider", "float", "list", "info", "stats",
                                 "restore", "cat", "verify", "rm", "collect"})
        QVERIFY2(commands.contains(QString::fromUtf8(expected)), expected);

    for (const QString& command : std::as_const(commands)) {
        const Result r = run(words(command, "--help"), false);
        QVERIFY2(r.code == 0,
                 qPrintable(command + QLatin1Char('\n') + QString::fromUtf8(r.describe())));
        QVERIFY2(QString::fromUtf8(r.out).contains(QStringLiteral("modelfloat-cli ") + command),
                 r.describe());
        QVERIFY2(r.out.contains("--vault"), qPrintable(command));
    }
    // --help must not create a vault.
    QVERIFY(!QFileInfo::exists(m_vault));

    const Result version = run(words("--version"), false);
    QCOMPARE(version.code, 0);
    QVERIFY(version.out.startsWith("modelfloat-cli "));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
