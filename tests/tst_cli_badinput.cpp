// modelfloat-cli end to end when things go wrong: missing, unreadable, empty and changing input,
// unknown models and commands, bad options, names already taken, existing destinations, a
// provider folder that vanished, a corrupt replica and a full disk. Each leaves the registry as
// it was and says why, checked against the provider folder and the `openssl` command.

#include "clitestfixture.h"
#include "testsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestCliBadInput final : public CliTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { CliTestBase::init(); }
    void cleanup() { CliTestBase::cleanup(); }
    void missingPath();
    void unreadableFile();
    void emptyFolder();
    void zeroByteFile();
    void restoreUnknownModel();
    void restoreOverExistingFile();
    void unknownCommandAndBadOptions();
    void floatUnderExistingName();
    void providerFolderVanished();
    void corruptReplica();
    void fileChangesWhileRead();
    void restoreIntoFullDisk();
};

void TestCliBadInput::missingPath()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString missing = path(QStringLiteral("input/not-there.bin"));
    const Result r = run(words("float", missing) + smallCdc());
    QCOMPARE(r.code, 6);
    QVERIFY2(r.errText().contains(missing), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("does not exist")), r.describe());
    checkRegistryUnchanged(before);
}

void TestCliBadInput::unreadableFile()
{
    if (::geteuid() == 0)
        QSKIP("Running as root: root reads a file whatever its permissions, so a chmod 000 file "
              "is still readable and cannot stand for an unreadable one");
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString file = path(QStringLiteral("input/secret.bin"));
    QVERIFY(test::writePseudoRandomFile(file, 10000, 5));
    QVERIFY(QFile::setPermissions(file, QFileDevice::Permissions()));
    const Result r = run(words("float", file) + smallCdc());
    QCOMPARE(r.code, 6);
    QVERIFY2(r.errText().contains(file), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("cannot be read")), r.describe());
    checkRegistryUnchanged(before);
}

void TestCliBadInput::emptyFolder()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString dir = path(QStringLiteral("input/empty"));
    QVERIFY(QDir().mkpath(dir + QStringLiteral("/sub/deeper"))); // folders, but no file
    const Result r = run(words("float", dir) + smallCdc());
    QCOMPARE(r.code, 6);
    QVERIFY2(r.errText().contains(dir), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("no files")), r.describe());
    checkRegistryUnchanged(before);
}

void TestCliBadInput::zeroByteFile()
{
    const QString file = path(QStringLiteral("input/empty.bin"));
    QVERIFY(test::writeFile(file, QByteArray()));
    const Result fl = run(words("float", file, "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QCOMPARE(fl.json().value(QStringLiteral("bytes")).toInteger(), 0);
    QCOMPARE(fl.json().value(QStringLiteral("chunks")).toInt(), 0);

    const Result info = run(words("info", "empty", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    QCOMPARE(info.json().value(QStringLiteral("complete")).toBool(), true);
    const QJsonArray files = info.json().value(QStringLiteral("files")).toArray();
    QCOMPARE(files.size(), 1);
    // The SHA-256 of nothing.
    QCOMPARE(files.at(0).toObject().value(QStringLiteral("sha256")).toString(),
             QStringLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));

    const QString out = path(QStringLiteral("out"));
    const Result re = run(words("restore", "empty", "--to", out));
    QVERIFY2(re.code == 0, re.describe());
    const QFileInfo restored(out + QStringLiteral("/empty.bin"));
    QVERIFY(restored.isFile());
    QCOMPARE(restored.size(), 0);
    const Result cat = run(words("cat", "empty", "empty.bin"));
    QVERIFY2(cat.code == 0, cat.describe());
    QVERIFY(cat.out.isEmpty());
    QVERIFY2(run(words("verify", "--all")).code == 0, "verify");
}

void TestCliBadInput::restoreUnknownModel()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString out = path(QStringLiteral("out/x"));
    const Result r = run(words("restore", "no-such-model", "--to", out));
    QCOMPARE(r.code, 3);
    QVERIFY2(r.errText().contains(QStringLiteral("no-such-model")), r.describe());
    QVERIFY(!QFileInfo::exists(out + QStringLiteral("/base.bin")));
    QCOMPARE(run(words("verify", "no-such-model")).code, 3);
    QCOMPARE(run(words("rm", "no-such-model")).code, 3);
    checkRegistryUnchanged(before);
}

void TestCliBadInput::restoreOverExistingFile()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString out = path(QStringLiteral("out"));
    const QString dest = out + QStringLiteral("/base.bin");
    const QByteArray mine("precious bytes that must not be lost\n");
    QVERIFY(test::writeFile(dest, mine));

    const Result r = run(words("restore", "base", "--to", out));
    QCOMPARE(r.code, 5);
    QVERIFY2(r.errText().contains(dest), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("--force")), r.describe());
    QCOMPARE(readAll(dest), mine);
    // No temporary left beside it either.
    QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             words("base.bin"));

    const Result forced = run(words("restore", "base", "--to", out, "--force"));
    QVERIFY2(forced.code == 0, forced.describe());
    QCOMPARE(test::opensslSha256Hex(dest),
             test::opensslSha256Hex(path(QStringLiteral("input/base.bin"))));
    QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             words("base.bin"));
    checkRegistryUnchanged(before);
}

void TestCliBadInput::unknownCommandAndBadOptions()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();

    const Result unknown = run(words("frobnicate"));
    QCOMPARE(unknown.code, 2);
    QVERIFY2(unknown.errText().contains(QStringLiteral("frobnicate")), unknown.describe());
    QCOMPARE(run(words(), false).code, 2); // no command at all: help, but an error

    struct Case
    {
        QStringList args;
        QString mentions;
    };
    const QList<Case> cases{
        {words("float", path(QStringLiteral("input/base.bin")), "--bogus"),
         QStringLiteral("bogus")},
        {words("float", path(QStringLiteral("input/base.bin")), "--replicas", "zero"),
         QStringLiteral("--replicas")},
        {words("float", path(QStringLiteral("input/base.bin")), "--replicas", "0"),
         QStringLiteral("--replicas")},
        {words("float", path(QStringLiteral("input/base.bin")), "--chunker", "magic"),
         QStringLiteral("magic")},
        {words("float", path(QStringLiteral("input/base.bin")), "--chunk-size", "lots"),
         QStringLiteral("--chunk-size")},
        {words("float"), QStringLiteral("usage")},
        {words("restore", "base"), QStringLiteral("--to")},
        {words("restore", "base", "a", "b", "--to", path(QStringLiteral("out"))),
         QStringLiteral("usage")},
        {words("list", "extra"), QStringLiteral("usage")},
        {words("verify"), QStringLiteral("--all")},
        {words("cat", "base"), QStringLiteral("usage")},
        {words("provider", "fly"), QStringLiteral("usage")},
        {words("provider", "add", "ftp", "x", path(QStringLiteral("x"))), QStringLiteral("ftp")},
        {words("info"), QStringLiteral("usage")},
    };
    for (const Case& c : cases) {
        const Result r = run(c.args);
        QVERIFY2(r.code == 2, qPrintable(c.args.join(QLatin1Char(' ')) + QLatin1Char('\n') +
                                         QString::fromUtf8(r.describe())));
        QVERIFY2(r.errText().contains(c.mentions, Qt::CaseInsensitive),
                 qPrintable(c.args.join(QLatin1Char(' ')) + QLatin1Char('\n') +
                            QString::fromUtf8(r.describe())));
    }
    QCOMPARE(
        run(words("float", path(QStringLiteral("input/base.bin")), "--provider", "nowhere")).code,
        3);
    checkRegistryUnchanged(before);
}

void TestCliBadInput::floatUnderExistingName()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString other = path(QStringLiteral("input/other.bin"));
    QVERIFY(test::writePseudoRandomFile(other, 600 * KiB, 6));
    const auto objectsBefore = chunkObjects(localStore());

    const Result r = run(words("float", other, "--name", "base") + smallCdc());
    QCOMPARE(r.code, 5);
    QVERIFY2(r.errText().contains(QStringLiteral("base")), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("already exists")), r.describe());
    QCOMPARE(chunkObjects(localStore()), objectsBefore); // nothing was sent
    // The same file under the same name (by default, from the file name): nothing to do,
    // which is a success, not a clash.
    const Result again = run(words("float", path(QStringLiteral("input/base.bin"))) + smallCdc());
    QVERIFY2(again.code == 0, again.describe());
    QVERIFY2(again.allText().contains(QStringLiteral("nothing to do")), again.describe());
    // The same name and path with other bytes is a clash again.
    QVERIFY(test::writePseudoRandomFile(path(QStringLiteral("input/base.bin")), 1 * MiB + 123, 8));
    QCOMPARE(run(words("float", path(QStringLiteral("input/base.bin"))) + smallCdc()).code, 5);
    QCOMPARE(chunkObjects(localStore()), objectsBefore);
    checkRegistryUnchanged(before);
}

void TestCliBadInput::providerFolderVanished()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString away = m_vault + QStringLiteral("/moved-away");
    QVERIFY(QDir().rename(localStore(), away));

    const QString out = path(QStringLiteral("out/a"));
    const Result re = run(words("restore", "base", "--to", out));
    QVERIFY2(re.code != 0, re.describe());
    QVERIFY2(re.errText().contains(localStore()), re.describe());
    QVERIFY(!QFileInfo::exists(out + QStringLiteral("/base.bin")));
    if (QFileInfo::exists(out))
        QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList());

    const Result verify = run(words("verify", "--all"));
    QVERIFY2(verify.code != 0, verify.describe());
    QVERIFY2(verify.allText().contains(localStore()), verify.describe());

    const Result cat = run(words("cat", "base", "base.bin"));
    QVERIFY2(cat.code != 0, cat.describe());
    QVERIFY2(cat.errText().contains(localStore()), cat.describe());

    // Back in place, everything works as before: nothing was forgotten meanwhile.
    QVERIFY(QDir().rename(away, localStore()));
    const Result again = run(words("restore", "base", "--to", out));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/base.bin")),
             test::opensslSha256Hex(path(QStringLiteral("input/base.bin"))));
    checkRegistryUnchanged(before);
}

void TestCliBadInput::corruptReplica()
{
    const QString extra = path(QStringLiteral("store-b"));
    QVERIFY2(run(words("provider", "add", "local", "second", extra)).code == 0, "add provider");
    const QString file = path(QStringLiteral("input/twice.bin"));
    // One chunk: the restore's only fetch goes to the provider ranked first while none has been
    // measured, the lowest id (ChunkFetcher::pickNext), so it meets the bad copy. With several
    // chunks, swarming may fetch each from the other provider and never read it.
    QVERIFY(test::writePseudoRandomFile(file, 40 * KiB, 8));
    const Result fl = run(words("float", file, "--replicas", "2", "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());

    // Alter one chunk object on the embedded provider, keeping its size.
    const auto objects = chunkObjects(localStore());
    QVERIFY(!objects.isEmpty());
    QCOMPARE(chunkObjects(extra).keys(), objects.keys()); // every chunk on both
    const QString cid = objects.firstKey();
    const QString victim = objectPathIn(localStore(), cid);
    QVERIFY(!victim.isEmpty());
    {
        QFile f(victim);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(1000));
        char c = 0;
        QVERIFY(f.getChar(&c));
        QVERIFY(f.seek(1000));
        QVERIFY(f.putChar(char(c ^ 0x5a)));
    }
    const QString out = path(QStringLiteral("out"));

    // restore reads the embedded provider first, finds the bad copy, uses the other.
    const Result re = run(words("restore", "twice", "--to", out));
    QVERIFY2(re.code == 0, re.describe());
    QVERIFY2(re.errText().contains(QStringLiteral("warning")), re.describe());
    QVERIFY2(re.errText().contains(cid), re.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/twice.bin")),
             test::opensslSha256Hex(file));

    // The bad copy is no longer counted as a replica.
    const Result info = run(words("info", "twice", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject i = info.json();
    QCOMPARE(i.value(QStringLiteral("health")).toString(), QStringLiteral("degraded"));
    QCOMPARE(i.value(QStringLiteral("min_replicas")).toInt(), 1);
    QCOMPARE(i.value(QStringLiteral("under_replicated")).toInt(), 1);
    QCOMPARE(providerChunkSum(i), 2 * i.value(QStringLiteral("unique_chunks")).toInt() - 1);

    const Result verify = run(words("verify", "twice"));
    QCOMPARE(verify.code, 4);
    QVERIFY2(verify.out.contains(cid.toLatin1()), verify.describe());
    QVERIFY2(verify.out.contains("corrupt"), verify.describe());
    const Result vj = run(words("verify", "--all", "--json"));
    QCOMPARE(vj.code, 4);
    QCOMPARE(vj.json().value(QStringLiteral("corrupt")).toInt(), 1);
    QCOMPARE(vj.json().value(QStringLiteral("lost")).toInt(), 0);
    QCOMPARE(vj.json().value(QStringLiteral("under_replicated")).toInt(), 1);

    // And a second restore still works.
    const Result re2 = run(words("restore", "twice", "--to", out, "--force"));
    QVERIFY2(re2.code == 0, re2.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/twice.bin")),
             test::opensslSha256Hex(file));
}

void TestCliBadInput::fileChangesWhileRead()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    QString file;
    QStringList args;
    QProcess p;
    bool appended = false;
    for (int attempt = 0; attempt < 3 && !appended; ++attempt) {
        file = bigFile(QStringLiteral("growing%1.bin").arg(attempt), attempt);
        QVERIFY(!file.isEmpty());
        args = words("float", file, "--replicas", "1") + smallCdc();
        appended = actMidFloat(p, args, 1, [&file](QProcess& proc) {
            QFile f(file);
            if (f.open(QIODevice::Append))
                f.write(test::pseudoRandomBytes(64 * KiB, 99));
            f.close();
            proc.waitForFinished(Timeout);
        });
    }
    QVERIFY2(appended, "every float finished before the file could be changed");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 6, QByteArray("exit " + QByteArray::number(p.exitCode()) + "\n" +
                                           p.readAllStandardOutput() + err)
                                    .constData());
    QVERIFY2(QString::fromUtf8(err).contains(QStringLiteral("changed while it was being read")),
             err);
    QVERIFY2(QString::fromUtf8(err).contains(file), err);

    // The earlier model is untouched and the vault is sound; the interrupted model is not
    // offered as complete.
    const Result list = run(words("list", "--json"));
    const QJsonArray models = list.json().value(QStringLiteral("models")).toArray();
    const QJsonArray was =
        QJsonDocument::fromJson(before).object().value(QStringLiteral("models")).toArray();
    for (const QJsonValue& v : was)
        QVERIFY2(models.contains(v), list.describe());
    for (const QJsonValue& v : models)
        if (!was.contains(v))
            QCOMPARE(v.toObject().value(QStringLiteral("health")).toString(),
                     QStringLiteral("incomplete"));
    // Checked at the end, so that a failure here does not hide how the rest behaves.
    const Result verify = run(words("verify", "--all"));
    const QString model = QFileInfo(file).completeBaseName();
    QCOMPARE(run(words("restore", model, "--to", path(QStringLiteral("out")))).code, 3);

    // Once the file holds still, the same float finishes it with the new contents.
    const Result again = run(args + words("--json"));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(again.json().value(QStringLiteral("bytes")).toInteger(), QFileInfo(file).size());
    const Result re = run(words("restore", model, "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/")) + QFileInfo(file).fileName()),
             test::opensslSha256Hex(file));
    QVERIFY2(run(words("verify", "--all")).code == 0, "verify after the second float");

    // The chunks of the unfinished float were never placed: they are not lost data.
    QVERIFY2(verify.code == 0, verify.describe());
}

void TestCliBadInput::restoreIntoFullDisk()
{
    const QString file = path(QStringLiteral("input/four.bin"));
    QVERIFY(test::writePseudoRandomFile(file, 4 * MiB, 9));
    QVERIFY2(run(words("float", file) + smallCdc()).code == 0, "float");
    const QString dest = path(QStringLiteral("tiny"));
    QVERIFY(QDir().mkpath(dest));

    // A 1 MiB tmpfs: in a private mount namespace if we may make one, else (as root) for real.
    const QString script = QStringLiteral("mount -t tmpfs -o size=1M tmpfs \"$1\" || exit 99\n"
                                          "\"$2\" restore four --to \"$1\" --vault \"$3\"\n"
                                          "echo \"@@rc=$?\"\n"
                                          "echo @@ls\n"
                                          "ls -A \"$1\"\n"
                                          "echo @@end\n");
    QString program;
    QStringList args;
    bool plainMount = false;
    if (QProcess::execute(QStringLiteral("unshare"), words("-Urm", "true")) == 0) {
        program = QStringLiteral("unshare");
        args = words("-Urm", "sh", "-c", script, "sh");
    } else if (::geteuid() == 0) {
        program = QStringLiteral("sh");
        args = words("-c", script, "sh");
        plainMount = true;
    } else {
        QSKIP("Neither user namespaces (unshare -Urm) nor root: cannot mount a small tmpfs");
    }
    args += words(dest, mf::test::cliPath(), m_vault);
    QProcess p;
    p.setProcessEnvironment(environment());
    p.start(program, args);
    const bool finished = p.waitForFinished(Timeout);
    if (plainMount)
        QProcess::execute(QStringLiteral("umount"), {dest});
    QVERIFY(finished);
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    const QString err = QString::fromUtf8(p.readAllStandardError());
    const QString all = out + QStringLiteral("\n--- stderr:\n") + err;
    QVERIFY2(p.exitCode() != 99, qPrintable(QStringLiteral("mount failed: ") + all));

    const auto rc = QRegularExpression(QStringLiteral("@@rc=(\\d+)")).match(out);
    QVERIFY2(rc.hasMatch(), qPrintable(all));
    QVERIFY2(rc.captured(1).toInt() != 0, qPrintable(all));
    QVERIFY2(err.contains(QStringLiteral("free space")), qPrintable(all));
    // Nothing left behind: no partial file and no temporary.
    const qsizetype from = out.indexOf(QStringLiteral("@@ls\n")) + 5;
    const qsizetype to = out.indexOf(QStringLiteral("@@end"));
    QVERIFY2(from >= 5 && to >= from, qPrintable(all));
    QVERIFY2(out.mid(from, to - from).trimmed().isEmpty(), qPrintable(all));

    // The vault is fine: the same restore into a roomy folder works.
    const Result re = run(words("restore", "four", "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/four.bin"))),
             test::opensslSha256Hex(file));
}

QTEST_GUILESS_MAIN(TestCliBadInput)
#include "tst_cli_badinput.moc"
