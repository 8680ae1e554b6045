// A model stored as shards 4+2 across six providers of six kinds, each against a real server of
// its own on 127.0.0.1 (docs/erasure.md, issue 41): the vault's local folder, s3rver behind the
// SigV4-checking proxy, rclone's WebDAV server, a js-ipfs node, and the Google Drive and MEGA
// test servers. Each provider holds one shard of every chunk; the model restores bit-exact with
// two of the servers stopped (WebDAV and IPFS, then S3 and MEGA); with a third stopped (Drive)
// it cannot be read, and the restore says which chunk and leaves nothing at its destination.
#include "clisandbox.h"
#include "drivepeer.h"
#include "ipfspeer.h"
#include "megapeer.h"
#include "s3peer.h"
#include "testsupport.h"
#include "webdavpeer.h"

#include <QDir>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using test::CliResult;

namespace {

const test::MegaPeer::Account Owner{
    QStringLiteral("shards@example.com"), QStringLiteral("six kinds of store"), false, {}};
constexpr qint64 ChunkSize = 256 * 1024;
constexpr int Chunks = 9; // the last one short

} // namespace

class TestErasureServers final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void oneShardOfEveryChunkOnEachKind();
    void restoresWithWebDavAndIpfsStopped();
    void restoresWithS3AndMegaStopped();
    void threeStoppedCannotBeReadAndLeavesNothing();

private:
    CliResult run(const QStringList& args, const QByteArray& input = {}) const
    {
        return m_box.run(args, input);
    }
    // `provider add gdrive`, answering Google's consent page as the browser would.
    CliResult addDrive();
    // The objects each provider holds, by provider name, from the vault's registry.
    QHash<QString, int> storedPerProvider() const;
    // `restore m` into a new folder; the result, and the folder.
    CliResult restore(QString* folder);

    test::CliSandbox m_box;
    test::S3Peer m_s3;
    test::WebDavPeer m_dav;
    test::IpfsPeer m_ipfs;
    test::DrivePeer m_drive;
    test::MegaPeer m_mega;
    QString m_model;
    int m_restores = 0;
};

CliResult TestErasureServers::addDrive()
{
    CliResult r;
    QProcess p;
    p.setProcessEnvironment(m_box.environment());
    p.setWorkingDirectory(m_box.root());
    p.start(test::CliSandbox::cli(),
            {QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("gdrive"),
             QStringLiteral("drive"), QStringLiteral("--client-id"), test::DrivePeer::clientId(),
             QStringLiteral("--api-url"), m_drive.baseUrl(), QStringLiteral("--auth-url"),
             m_drive.baseUrl() + QStringLiteral("/o/oauth2/v2/auth"), QStringLiteral("--token-url"),
             m_drive.baseUrl() + QStringLiteral("/token"), QStringLiteral("--creates-per-second"),
             QStringLiteral("0"), QStringLiteral("--secret-stdin")});
    if (!p.waitForStarted(30000))
        return r;
    p.write("clientSecret=" + test::DrivePeer::clientSecret().toUtf8() + "\n");
    p.closeWriteChannel();
    m_drive.answerConsent(p, &r.err);
    if (p.state() != QProcess::NotRunning && !p.waitForFinished(120000))
        return r;
    r.out = p.readAllStandardOutput();
    r.err += p.readAllStandardError();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

void TestErasureServers::initTestCase()
{
    QVERIFY(m_box.ok());
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
    QVERIFY2(m_dav.start(m_box.path(QStringLiteral("dav"))), qPrintable(m_dav.errorString()));
    QVERIFY2(m_ipfs.start(m_box.path(QStringLiteral("ipfs"))),
             qPrintable(m_ipfs.errorString() + m_ipfs.output()));
    QVERIFY2(m_drive.start(), qPrintable(m_drive.errorString()));
    QVERIFY2(m_mega.start({Owner}), qPrintable(m_mega.errorString()));

    const CliResult made = run({QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe().constData());
    // The secrets go to the vault's opt-in plaintext store: no keychain is needed here.
    const CliResult optIn =
        run({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("plaintext"),
             QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe().constData());
    const CliResult s3 =
        run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("s3"),
             QStringLiteral("s3"), QStringLiteral("--endpoint"), m_s3.endpoint(),
             QStringLiteral("--bucket"), QLatin1String(test::S3Peer::Bucket),
             QStringLiteral("--access-key-id"), QLatin1String(test::S3Peer::AccessKey),
             QStringLiteral("--secret-stdin")},
            "secretAccessKey=" + QByteArray(test::S3Peer::Secret) + "\n");
    QVERIFY2(s3.code == 0, s3.describe().constData());
    const CliResult dav = run({QStringLiteral("provider"), QStringLiteral("add"),
                               QStringLiteral("webdav"), QStringLiteral("webdav"),
                               QStringLiteral("--url"), m_dav.url(), QStringLiteral("--username"),
                               test::WebDavPeer::user(), QStringLiteral("--secret-stdin")},
                              "password=" + test::WebDavPeer::password().toUtf8() + "\n");
    QVERIFY2(dav.code == 0, dav.describe().constData());
    const CliResult ipfs =
        run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("ipfs"),
             QStringLiteral("ipfs"), QStringLiteral("--api-url"), m_ipfs.apiUrl()});
    QVERIFY2(ipfs.code == 0, ipfs.describe().constData());
    const CliResult drive = addDrive();
    QVERIFY2(drive.code == 0, drive.describe().constData());
    const CliResult mega =
        run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("mega"),
             QStringLiteral("mega"), Owner.email, QStringLiteral("--api-url"), m_mega.apiUrl(),
             QStringLiteral("--secret-stdin")},
            "password=" + Owner.password.toUtf8() + "\n");
    QVERIFY2(mega.code == 0, mega.describe().constData());

    const CliResult scheme = run({QStringLiteral("config"), QStringLiteral("redundancy"),
                                  QStringLiteral("shards"), QStringLiteral("4+2")});
    QVERIFY2(scheme.code == 0, scheme.describe().constData());
    m_model = m_box.path(QStringLiteral("input/m.gguf"));
    QVERIFY(test::writePseudoRandomFile(m_model, (Chunks - 1) * ChunkSize + 4321, 43));
    const CliResult floated =
        run({QStringLiteral("float"), m_model, QStringLiteral("--name"), QStringLiteral("m"),
             QStringLiteral("--chunker"), QStringLiteral("fixed"), QStringLiteral("--chunk-size"),
             QString::number(ChunkSize), QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
}

QHash<QString, int> TestErasureServers::storedPerProvider() const
{
    QHash<QString, int> out;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("r"));
        db.setDatabaseName(m_box.vault() + QStringLiteral("/registry.sqlite"));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("SELECT pr.name, COUNT(*) FROM placements p JOIN providers "
                                      "pr ON pr.id = p.provider_id WHERE p.state = 'stored' "
                                      "GROUP BY pr.name")))
                while (q.next())
                    out.insert(q.value(0).toString(), q.value(1).toInt());
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("r"));
    return out;
}

CliResult TestErasureServers::restore(QString* folder)
{
    *folder = m_box.path(QStringLiteral("out/restore%1").arg(++m_restores));
    return run({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), *folder,
                QStringLiteral("--json")});
}

void TestErasureServers::oneShardOfEveryChunkOnEachKind()
{
    // Six providers, six shards a chunk, none holding two of one chunk: one each. (The catalog
    // is no placement: these are the chunks' shards alone.)
    const QHash<QString, int> stored = storedPerProvider();
    QCOMPARE(stored.size(), 6);
    for (auto it = stored.cbegin(); it != stored.cend(); ++it)
        QVERIFY2(it.value() == Chunks,
                 qPrintable(QStringLiteral("%1 holds %2 objects").arg(it.key()).arg(it.value())));
    const CliResult info =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(info.code == 0, info.describe().constData());
    QCOMPARE(info.json().value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
}

void TestErasureServers::restoresWithWebDavAndIpfsStopped()
{
    m_dav.kill();
    m_ipfs.kill();
    QString out;
    const CliResult restored = restore(&out);
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/m.gguf")),
             test::opensslSha256Hex(m_model));
    QVERIFY2(m_dav.restart(), qPrintable(m_dav.errorString()));
    QVERIFY2(m_ipfs.restart(), qPrintable(m_ipfs.errorString()));
}

void TestErasureServers::restoresWithS3AndMegaStopped()
{
    m_s3.killServer(); // the proxy stays: requests fail as a server gone behind it fails them
    m_mega.process().stop();
    QString out;
    const CliResult restored = restore(&out);
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/m.gguf")),
             test::opensslSha256Hex(m_model));
}

void TestErasureServers::threeStoppedCannotBeReadAndLeavesNothing()
{
    // S3 and MEGA are still down; Drive goes too: three shards of every chunk out of reach.
    m_drive.process().stop();
    QString out;
    const CliResult restored = restore(&out);
    QVERIFY2(restored.code != 0, restored.describe().constData());
    QVERIFY2(restored.all().contains("cannot be read") || restored.all().contains("lost"),
             restored.describe().constData());
    QVERIFY2(restored.all().contains("chunk"), restored.describe().constData());
    // Nothing at the destination: no partial model, no temporary beside it.
    QCOMPARE(test::CliSandbox::filesBelow(out), QStringList());
}

QTEST_GUILESS_MAIN(TestErasureServers)
#include "tst_erasure_servers.moc"
