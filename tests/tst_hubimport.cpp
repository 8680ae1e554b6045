// Import from the Hub end to end, against the local hub server (tests/peers/hub-server.js):
// a chosen variant floated straight from the download, a byte corrupted at the server refused,
// dropped and stalled connections resumed where they stopped, a killed CLI resumed without
// downloading placed chunks again (counted at the server), and the model put back to work in a
// plain folder and in the Hugging Face cache layout, with LRU eviction of the local cache.

#include "ggufwriter.h"
#include "hubpeer.h"
#include "testsupport.h"
#include "testvault.h"

#include "chunking/filedag.h"
#include "hub/hfcachelayout.h"
#include "hub/hubclient.h"
#include "hub/importjob.h"
#include "hub/materializedcache.h"
#include "hub/materializejob.h"
#include "registry/filedags.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

using namespace mf;
using namespace mf::test;

namespace {

constexpr qint64 BigSize = 12 * MiB + 333;

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QList<QPair<qint64, qint64>> ranges(const QJsonObject& stats)
{
    QList<QPair<qint64, qint64>> result;
    for (const QJsonValue& v : stats.value(QStringLiteral("ranges")).toArray())
        result.append({qint64(v.toArray().at(0).toDouble()), qint64(v.toArray().at(1).toDouble())});
    return result;
}

} // namespace

class TestHubImport final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void importsChosenVariant();
    void importedFilesHaveTheirCids();
    void importObeysDownloadLimit();
    void importedGgufHasFormatMetadata();
    void corruptByteRefused();
    void droppedConnectionResumes();
    void stalledConnectionRestarted();
    void killedCliResumesWithoutRedownloading();
    void cliExplainsGatedModel();
    void cliLoginStoresTokenForGatedModel();
    void materializesPlainAndHfCache();
    void evictsLeastRecentlyUsed();
    void cliMaterializesIntoCacheAndEvicts();
    void cliChunksAndMaterializedShareOneBudget();

private:
    // Runs modelfloat-cli on the vault in `vaultDir` with the Hub of this test; its exit code
    // (-1 when it did not end), its output in *output.
    int runCli(const QString& vaultDir, QStringList args, QString* output) const;
    struct Run
    {
        Error error;
        bool alreadyComplete = false;
        qint64 downloaded = 0;
        QList<HubFile> files;
        HubRepo repo;
    };
    Run import(TestVault& vault, const QStringList& variants, int stallTimeoutMs = 30000,
               const QString& name = {}, const ChunkerParams& chunker = SmallChunks);
    QByteArray sourceSha(const QString& path)
    {
        return opensslSha256Hex(m_repo + QLatin1Char('/') + path);
    }

    QTemporaryDir m_dir;
    QString m_repo;
    QString m_realRepo; // a real GGUF (tests/ggufwriter.h), for the format metadata
    HubPeer m_hub;
};

void TestHubImport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_repo = m_dir.filePath(QStringLiteral("repo"));
    QVERIFY(QDir().mkpath(m_repo + QStringLiteral("/big")));
    QVERIFY(writePseudoRandomFile(m_repo + QStringLiteral("/Model-Q4_K_M.gguf"), 3 * MiB + 11, 1));
    QVERIFY(writePseudoRandomFile(m_repo + QStringLiteral("/Model-Q8_0-00001-of-00002.gguf"),
                                  2 * MiB, 2));
    QVERIFY(writePseudoRandomFile(m_repo + QStringLiteral("/Model-Q8_0-00002-of-00002.gguf"),
                                  MiB + MiB / 2, 3));
    QVERIFY(writePseudoRandomFile(m_repo + QStringLiteral("/big/Model-F16.gguf"), BigSize, 4));
    QVERIFY(writeFile(m_repo + QStringLiteral("/config.json"), "{\"model_type\":\"llama\"}\n"));
    QVERIFY(writeFile(m_repo + QStringLiteral("/README.md"), "# A test model\n"));
    m_realRepo = m_dir.filePath(QStringLiteral("real"));
    QVERIFY(QDir().mkpath(m_realRepo));
    QVERIFY(writeFile(m_realRepo + QStringLiteral("/Tiny-Q4_K_M.gguf"), sampleGguf().build()));
    // Two repos of one small file each, of the same size and different bytes (one chunk each).
    for (const char* name : {"one", "two"})
        QVERIFY(QDir().mkpath(m_dir.filePath(QLatin1String(name))) &&
                writeFile(m_dir.filePath(QLatin1String(name) + QStringLiteral("/README.md")),
                          QByteArray("# budget ") + name + ".\n"));
    QVERIFY2(m_hub.start({{QStringLiteral("org/model"), m_repo},
                          {QStringLiteral("org/one"), m_dir.filePath(QStringLiteral("one"))},
                          {QStringLiteral("org/two"), m_dir.filePath(QStringLiteral("two"))},
                          {QStringLiteral("org/real"), m_realRepo},
                          {QStringLiteral("org/gated"), m_repo, true},
                          {QStringLiteral("org/other"), m_repo}}),
             qPrintable(m_hub.errorString()));
}

TestHubImport::Run TestHubImport::import(TestVault& vault, const QStringList& variants,
                                         int stallTimeoutMs, const QString& name,
                                         const ChunkerParams& chunker)
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    settings.retry.baseDelayMs = 50;
    settings.stallTimeoutMs = stallTimeoutMs;
    HubClient client(&network, settings);
    ImportJob::Request request;
    request.repoId = QStringLiteral("org/model");
    request.variants = variants;
    request.modelName = name;
    request.options.chunker = chunker;
    request.options.replication = 2;
    ImportJob job(vault.vault.get(), &client, request);
    Run run;
    if (!mf::test::run(job)) {
        run.error = Error::make(Error::Kind::Fatal, QStringLiteral("the import did not finish"));
        return run;
    }
    run.error = job.error();
    run.alreadyComplete = job.alreadyComplete();
    run.downloaded = job.bytesDownloaded();
    run.files = job.files();
    run.repo = job.repo();
    return run;
}

void TestHubImport::importsChosenVariant()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    m_hub.reset();
    const Run run = import(vault, {QStringLiteral("Q8_0")});
    QVERIFY2(run.error.ok(), qPrintable(run.error.message));
    QStringList paths;
    for (const HubFile& f : run.files)
        paths.append(f.path);
    QCOMPARE(paths, QStringList({QStringLiteral("Model-Q8_0-00001-of-00002.gguf"),
                                 QStringLiteral("Model-Q8_0-00002-of-00002.gguf"),
                                 QStringLiteral("README.md"), QStringLiteral("config.json")}));
    // Only the chosen variant crossed the wire, each byte once.
    QCOMPARE(m_hub.cdnBytes(), 2 * MiB + MiB + MiB / 2);

    const auto model = vault.registry().modelRows().modelByName(QStringLiteral("org/model"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    QCOMPARE(model->source, run.repo.source());
    QVERIFY(model->source.startsWith(QStringLiteral("hf:org/model@")));
    for (const QString& path : std::as_const(paths)) {
        const auto f = vault.registry().modelRows().file(model->id, path);
        QVERIFY(f);
        QCOMPARE(f->state, FileRecord::State::Complete);
        QCOMPARE(f->sha256, sourceSha(path));
        // Every chunk is on both providers.
        for (const FileChunk& c : vault.registry().modelRows().fileChunks(f->id))
            QCOMPARE(vault.registry().placementRows().placements(c.cid).size(), 2);
    }

    // Again: nothing to do, nothing downloaded.
    m_hub.reset();
    const Run again = import(vault, {QStringLiteral("Q8_0")});
    QVERIFY2(again.error.ok(), qPrintable(again.error.message));
    QVERIFY(again.alreadyComplete);
    QCOMPARE(m_hub.requests(QStringLiteral("cdn")), 0);
}

// An imported file's CID is computed from the downloaded bytes as a float of the same file
// computes it: chunks of several 1 MiB leaves included.
void TestHubImport::importedFilesHaveTheirCids()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    const ChunkerParams chunker = ChunkerParams::contentDefined(MiB, 2 * MiB, 4 * MiB);
    const Run run = import(vault, {QStringLiteral("Q8_0")}, 30000, {}, chunker);
    QVERIFY2(run.error.ok(), qPrintable(run.error.message));
    const auto model = vault.registry().modelRows().modelByName(QStringLiteral("org/model"));
    QVERIFY(model);
    for (const FileRecord& f : vault.registry().modelRows().files(model->id)) {
        QString error;
        const auto node = fileDagOf(m_repo + QLatin1Char('/') + f.path, chunker, &error);
        QVERIFY2(node, qPrintable(error));
        QCOMPARE(f.cid, unixfs::toText(node->cid));
        QCOMPARE(f.dagSize, qint64(node->cumulativeSize));
    }
    QVERIFY(!filedags::modelCid(vault.registry().modelRows().files(model->id)).isEmpty());
}

// The vault's download limit holds the Hub's bytes too: every byte the hub served went through
// the vault's limiter, which made the import wait (its own accounting; no time is measured).
void TestHubImport::importObeysDownloadLimit()
{
    using Direction = BandwidthLimiter::Direction;
    TestVault vault(1);
    QVERIFY(vault.ok());
    constexpr qint64 Rate = 2 * MiB; // a bucket of 200 KiB
    const std::shared_ptr<BandwidthLimiter>& limiter = vault.vault->bandwidth();
    limiter->setLimits(0, Rate);
    m_hub.reset();
    const Run run = import(vault, {QStringLiteral("Q4_K_M")});
    QVERIFY2(run.error.ok(), qPrintable(run.error.message));
    const qint64 bytes = m_hub.cdnBytes();
    QCOMPARE(bytes, 3 * MiB + 11);
    QVERIFY2(limiter->moved(Direction::Download) >= bytes,
             qPrintable(QStringLiteral("%1 of %2 bytes went through the limiter")
                            .arg(limiter->moved(Direction::Download))
                            .arg(bytes)));
    QVERIFY(limiter->waits(Direction::Download) > 0);
}

// The header of a GGUF is read as it streams by: the browser shows its quantization.
void TestHubImport::importedGgufHasFormatMetadata()
{
    TestVault vault;
    QVERIFY(vault.ok());
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    HubClient client(&network, settings);
    ImportJob::Request request;
    request.repoId = QStringLiteral("org/real");
    request.options.chunker = SmallChunks;
    request.options.replication = 1;
    ImportJob job(vault.vault.get(), &client, request);
    QVERIFY(mf::test::run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    const auto model = vault.registry().modelRows().modelByName(QStringLiteral("org/real"));
    QVERIFY(model);
    const auto file =
        vault.registry().modelRows().file(model->id, QStringLiteral("Tiny-Q4_K_M.gguf"));
    QVERIFY(file);
    QCOMPARE(file->metadata.value(QLatin1String("format")).toString(), QStringLiteral("gguf"));
    QCOMPARE(file->metadata.value(QLatin1String("quantization")).toString(),
             QStringLiteral("Q4_K_M"));
    QCOMPARE(file->metadata.value(QLatin1String("architecture")).toString(),
             QStringLiteral("llama"));
}

void TestHubImport::corruptByteRefused()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    m_hub.reset();
    m_hub.faults({{QStringLiteral("corruptOffset"), 1000001}});
    const Run bad = import(vault, {QStringLiteral("Q4_K_M")});
    QVERIFY(!bad.error.ok());
    QVERIFY2(bad.error.message.contains(QStringLiteral("Model-Q4_K_M.gguf")) &&
                 bad.error.message.contains(QStringLiteral("arrived damaged")) &&
                 bad.error.message.contains(QStringLiteral("Nothing was marked complete")),
             qPrintable(bad.error.message));
    const auto model = vault.registry().modelRows().modelByName(QStringLiteral("org/model"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);
    const auto file =
        vault.registry().modelRows().file(model->id, QStringLiteral("Model-Q4_K_M.gguf"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Incomplete);
    QVERIFY(file->sha256.isEmpty());

    // Fixed at the server: the next import starts that file over (the damaged bytes are never
    // resumed upon) and completes it.
    m_hub.reset();
    const Run good = import(vault, {QStringLiteral("Q4_K_M")});
    QVERIFY2(good.error.ok(), qPrintable(good.error.message));
    const auto r = ranges(m_hub.stats());
    QVERIFY(!r.isEmpty());
    QCOMPARE(r.first().first, 0);
    QCOMPARE(
        vault.registry().modelRows().file(model->id, QStringLiteral("Model-Q4_K_M.gguf"))->sha256,
        sourceSha(QStringLiteral("Model-Q4_K_M.gguf")));
}

void TestHubImport::droppedConnectionResumes()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    m_hub.reset();
    const qint64 dropAt = MiB + 5;
    m_hub.faults({{QStringLiteral("dropAfterBytes"), dropAt}, {QStringLiteral("drops"), 1}});
    const Run run = import(vault, {QStringLiteral("Q4_K_M")});
    QVERIFY2(run.error.ok(), qPrintable(run.error.message));
    const QJsonObject stats = m_hub.stats();
    const QByteArray seen = QJsonDocument(stats).toJson(QJsonDocument::Compact);
    // Asked for exactly what was missing: the first request for the whole file, then one from
    // the drop on, and never again for delivered bytes. Qt itself may send a request again,
    // whole and unchanged, when its connection closes: after the first one, the request for the
    // whole file may repeat (once in a CI run under load: [0,size],[0,size],[drop,size]), and a
    // request may come twice (once under ASan: three ranges). That is not ours to prevent;
    // asking again for bytes that came is (tst_httpexchange bytesBeforeADropAreKeptForTheRetry).
    const auto r = ranges(stats);
    QVERIFY2(r.size() >= 2, seen.constData());
    QCOMPARE(r.at(0).first, 0);
    qsizetype resumed = 1;
    while (resumed < r.size() && r.at(resumed) == r.at(0))
        ++resumed;
    QVERIFY2(resumed < r.size() && r.at(resumed).first == dropAt, seen.constData());
    for (qsizetype i = resumed + 1; i < r.size(); ++i)
        QVERIFY2(r.at(i).first >= dropAt, seen.constData());
    if (r.size() == 2)
        QCOMPARE(qint64(stats.value(QStringLiteral("cdnBytes")).toDouble()), 3 * MiB + 11);
}

void TestHubImport::stalledConnectionRestarted()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    m_hub.reset();
    m_hub.faults({{QStringLiteral("stallAfterBytes"), 500000}, {QStringLiteral("stalls"), 1}});
    const Run run = import(vault, {QStringLiteral("Q4_K_M")}, 1500);
    QVERIFY2(run.error.ok(), qPrintable(run.error.message));
    const QJsonObject stats = m_hub.stats();
    const QByteArray seen = QJsonDocument(stats).toJson(QJsonDocument::Compact);
    const auto r = ranges(stats);
    // More than two: see droppedConnectionResumes; a loaded machine may also stall again later.
    QVERIFY2(r.size() >= 2, seen.constData());
    QVERIFY2(r.at(1).first == 500000, seen.constData());
    for (qsizetype i = 2; i < r.size(); ++i)
        QVERIFY2(r.at(i).first >= 500000, seen.constData());
}

void TestHubImport::killedCliResumesWithoutRedownloading()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    QVERIFY(vault.vault->setDefaultChunker(SmallChunks));
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset(); // the CLI opens it

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HF_ENDPOINT"), m_hub.endpoint());
    env.insert(QStringLiteral("HF_TOKEN"), HubPeer::token());
    const QStringList args{
        QStringLiteral("import"),    QStringLiteral("--vault"),   vaultDir,
        QStringLiteral("org/model"), QStringLiteral("--variant"), QStringLiteral("F16"),
        QStringLiteral("--json")};
    m_hub.reset();
    QProcess first;
    first.setProcessEnvironment(env);
    first.start(mf::test::cliPath(),
                args + QStringList{QStringLiteral("--limit-rate"), QStringLiteral("3M")});
    QVERIFY(first.waitForStarted());
    // Killed once the import has cut a good part of the file into chunks (each boundary it
    // reaches adds a line to its checkpoint file; placing lags at most 8 chunks behind).
    const QString checkpoints = vaultDir + QStringLiteral("/tmp/hub-import");
    const auto boundaries = [&] {
        int lines = 0;
        for (const QString& name : QDir(checkpoints).entryList(QDir::Files))
            lines += readAll(checkpoints + QLatin1Char('/') + name).count('\n');
        return lines;
    };
    QTRY_VERIFY_WITH_TIMEOUT(boundaries() >= 20 || first.state() == QProcess::NotRunning, 60000);
    QCOMPARE(first.state(), QProcess::Running);
    first.kill();
    QVERIFY(first.waitForFinished());

    m_hub.reset();
    QProcess second;
    second.setProcessEnvironment(env);
    second.start(mf::test::cliPath(), args);
    QVERIFY(second.waitForFinished(120000));
    const QByteArray out = second.readAllStandardOutput();
    QVERIFY2(second.exitCode() == 0, second.readAllStandardError().constData());
    const QJsonObject doc = QJsonDocument::fromJson(out).object();
    QVERIFY2(doc.value(QStringLiteral("ok")).toBool(), out.constData());
    const qint64 resumed = qint64(doc.value(QStringLiteral("bytes_resumed")).toDouble());
    // The second run started past the chunks the first one placed, and the server sent only
    // the rest of the file: nothing placed was downloaded again.
    QVERIFY2(resumed > 0 && resumed < BigSize, out.constData());
    const auto r = ranges(m_hub.stats());
    QCOMPARE(r.size(), 1);
    QCOMPARE(r.first().first, resumed);
    QCOMPARE(m_hub.cdnBytes(), BigSize - resumed);
    // (plus config.json, 23 bytes, which the first run had not reached)
    QCOMPARE(qint64(doc.value(QStringLiteral("bytes_downloaded")).toDouble()),
             BigSize - resumed + 23);

    // The whole file's SHA-256 was verified across the two runs and recorded.
    QString error;
    auto reopened = Vault::open(vaultDir, Vault::OpenMode::Existing, &error);
    QVERIFY2(reopened, qPrintable(error));
    const auto model = reopened->registry().modelRows().modelByName(QStringLiteral("org/model"));
    QVERIFY(model && model->state == ModelRecord::State::Complete);
    const auto big =
        reopened->registry().modelRows().file(model->id, QStringLiteral("big/Model-F16.gguf"));
    QCOMPARE(big->sha256, sourceSha(QStringLiteral("big/Model-F16.gguf")));
    // So was its CID, from the chunks of both runs.
    const auto node =
        fileDagOf(m_repo + QStringLiteral("/big/Model-F16.gguf"), SmallChunks, &error);
    QVERIFY2(node, qPrintable(error));
    QCOMPARE(big->cid, unixfs::toText(node->cid));
    // No checkpoint is left behind.
    QVERIFY(QDir(reopened->tempDirectory() + QStringLiteral("/hub-import"))
                .entryList(QDir::Files)
                .isEmpty());
}

void TestHubImport::cliExplainsGatedModel()
{
    TestVault vault;
    QVERIFY(vault.ok());
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HF_ENDPOINT"), m_hub.endpoint());
    env.insert(QStringLiteral("HF_TOKEN"), HubPeer::token()); // valid, not granted
    QProcess cli;
    cli.setProcessEnvironment(env);
    cli.start(mf::test::cliPath(), {QStringLiteral("import"), QStringLiteral("--vault"), vaultDir,
                                    QStringLiteral("org/gated")});
    QVERIFY(cli.waitForFinished(60000));
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    QCOMPARE(cli.exitCode(), 1);
    QVERIFY2(err.contains(QStringLiteral("gated")) &&
                 err.contains(m_hub.endpoint() + QStringLiteral("/org/gated")),
             qPrintable(err));
    QVERIFY(!err.contains(HubPeer::token()));
}

// `hub login` keeps the token in the vault's credential store (here the plaintext store, as no
// keychain runs in the test), and `import` uses it for a gated model; after `hub logout` the
// same import is refused with the gated explanation. The token never appears in any output.
void TestHubImport::cliLoginStoresTokenForGatedModel()
{
    TestVault vault;
    QVERIFY(vault.ok());
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HF_ENDPOINT"), m_hub.endpoint());
    env.remove(QStringLiteral("HF_TOKEN"));
    const QString granted = HubPeer::token() + QStringLiteral("_granted");
    const auto cli = [&](const QStringList& args, const QByteArray& input, QString* output) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(mf::test::cliPath(),
                QStringList{args.first(), QStringLiteral("--vault"), vaultDir} + args.mid(1));
        p.write(input);
        p.closeWriteChannel();
        if (!p.waitForFinished(60000))
            return -1;
        *output = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
        return p.exitCode();
    };
    QString out;
    QCOMPARE(cli({QStringLiteral("config"), QStringLiteral("credentials"),
                  QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")},
                 {}, &out),
             0);
    QCOMPARE(cli({QStringLiteral("hub"), QStringLiteral("login")}, "not-a-token\n", &out), 2);
    QVERIFY2(out.contains(QStringLiteral("start with “hf_”")), qPrintable(out));
    QVERIFY(!out.contains(QStringLiteral("not-a-token")));
    QCOMPARE(cli({QStringLiteral("hub"), QStringLiteral("login")}, granted.toUtf8() + '\n', &out),
             0);
    QVERIFY(!out.contains(granted));
    QCOMPARE(cli({QStringLiteral("import"), QStringLiteral("org/gated"),
                  QStringLiteral("--variant"), QStringLiteral("Q4_K_M")},
                 {}, &out),
             0);
    QVERIFY(!out.contains(granted));
    QCOMPARE(cli({QStringLiteral("hub"), QStringLiteral("logout")}, {}, &out), 0);
    QCOMPARE(
        cli({QStringLiteral("hub"), QStringLiteral("ls"), QStringLiteral("org/gated")}, {}, &out),
        1);
    QVERIFY2(out.contains(QStringLiteral("gated: accept its license")) &&
                 out.contains(QStringLiteral("modelfloat-cli hub login")),
             qPrintable(out));
}

void TestHubImport::materializesPlainAndHfCache()
{
    TestVault vault(1);
    QVERIFY(vault.ok());
    const Run run = import(vault, {QStringLiteral("Q4_K_M")});
    QVERIFY2(run.error.ok(), qPrintable(run.error.message));
    const QStringList paths{QStringLiteral("Model-Q4_K_M.gguf"), QStringLiteral("README.md"),
                            QStringLiteral("config.json")};

    // Plain: the files at their paths, byte for byte.
    MaterializeJob::Request plain;
    plain.modelName = QStringLiteral("org/model");
    plain.destination = vault.path(QStringLiteral("plain"));
    MaterializeJob job(vault.vault.get(), plain);
    QVERIFY(mf::test::run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    for (const QString& p : paths)
        QCOMPARE(opensslSha256Hex(plain.destination + QLatin1Char('/') + p), sourceSha(p));
    // Existing files are not overwritten without asking.
    MaterializeJob again(vault.vault.get(), plain);
    QVERIFY(mf::test::run(again));
    QVERIFY(again.error().message.contains(QStringLiteral("already exists")));

    // The Hugging Face cache layout, checked the way huggingface_hub reads it offline:
    // refs/main -> commit -> snapshots/<commit>/<path> -> (symlink) blobs/<etag>.
    MaterializeJob::Request hf = plain;
    hf.destination = vault.path(QStringLiteral("hf-cache"));
    hf.layout = MaterializeJob::Layout::HfCache;
    MaterializeJob cache(vault.vault.get(), hf);
    QVERIFY(mf::test::run(cache));
    QVERIFY2(cache.error().ok(), qPrintable(cache.error().message));
    const QString repoFolder = hf.destination + QStringLiteral("/models--org--model");
    QCOMPARE(cache.repoFolder(), repoFolder);
    const QByteArray commit = readAll(repoFolder + QStringLiteral("/refs/main"));
    QCOMPARE(commit, run.repo.commit.toLatin1()); // no newline
    for (const QString& p : paths) {
        const QString link = repoFolder + QStringLiteral("/snapshots/") +
                             QString::fromLatin1(commit) + QLatin1Char('/') + p;
        const QFileInfo info(link);
        QVERIFY2(info.isSymLink(), qPrintable(link));
        const HubFile* hubFile = run.repo.file(p);
        QVERIFY(hubFile);
        // The blob is named by the Hub's ETag: the LFS sha256, or the git blob sha1.
        const QString etag =
            QString::fromLatin1(hubFile->isLfs() ? hubFile->sha256 : hubFile->gitOid);
        QCOMPARE(QFile::symLinkTarget(link),
                 QFileInfo(repoFolder + QStringLiteral("/blobs/") + etag).absoluteFilePath());
        QCOMPARE(opensslSha256Hex(link), sourceSha(p));
    }
    // Relative links, as huggingface_hub makes them, so the cache can move.
    char target[512] = {};
    const QByteArray linkPath =
        QFile::encodeName(repoFolder + QStringLiteral("/snapshots/") + QString::fromLatin1(commit) +
                          QStringLiteral("/Model-Q4_K_M.gguf"));
    QVERIFY(::readlink(linkPath.constData(), target, sizeof target - 1) > 0);
    QCOMPARE(QString::fromLatin1(target),
             QStringLiteral("../../blobs/") +
                 QString::fromLatin1(run.repo.file(paths.first())->sha256));

    // Materializing again reuses the blobs already there.
    MaterializeJob reuse(vault.vault.get(), hf);
    QVERIFY(mf::test::run(reuse));
    QVERIFY(reuse.error().ok());
    QCOMPARE(reuse.filesReused(), 1);
}

void TestHubImport::evictsLeastRecentlyUsed()
{
    QTemporaryDir dir;
    MaterializedCache cache(dir.path());
    QString error;
    for (const char* name : {"a", "b", "c"}) {
        const QString folder = QStringLiteral("models--org--") + QLatin1String(name);
        QVERIFY(QDir().mkpath(dir.filePath(folder + QStringLiteral("/blobs"))));
        QVERIFY(cache.record(QStringLiteral("org/") + QLatin1String(name), folder, 100, &error));
        QTest::qWait(5);
    }
    // "a" is used again: "b" is now the least recently used.
    QVERIFY(cache.record(QStringLiteral("org/a"), QStringLiteral("models--org--a"), 100, &error));
    QCOMPARE(cache.totalBytes(), 300);
    const QStringList evicted = cache.evictToFit(250, QStringLiteral("org/c"), &error);
    QCOMPARE(evicted, QStringList{QStringLiteral("org/b")});
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("models--org--b"))));
    QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("models--org--a"))));
    QCOMPARE(cache.totalBytes(), 200);
    // The one just materialized is never evicted, even when it alone is over the cap.
    QVERIFY(cache.evictToFit(50, QStringLiteral("org/c"), &error) ==
            QStringList{QStringLiteral("org/a")});
    QCOMPARE(cache.entries().size(), 1);
    // Explicit evict.
    QVERIFY(cache.evict(QStringLiteral("org/c"), &error));
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("models--org--c"))));
    QVERIFY(!cache.evict(QStringLiteral("org/zzz"), &error));
    QVERIFY(error.contains(QStringLiteral("not in the materialized cache")));
}

// `materialize MODEL` without --to fills the local cache (HF layout), evicting the least
// recently used model beyond --cache-max; `evict` removes one explicitly.
void TestHubImport::cliMaterializesIntoCacheAndEvicts()
{
    TestVault vault;
    QVERIFY(vault.ok());
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset();
    const auto cli = [&](const QStringList& args, QString* output) {
        return runCli(vaultDir, args, output);
    };
    QString out;
    for (const char* repo : {"org/model", "org/other"})
        QVERIFY2(cli({QStringLiteral("import"), QLatin1String(repo), QStringLiteral("--include"),
                      QStringLiteral("README.md")},
                     &out) == 0,
                 qPrintable(out));
    const QString cache = vaultDir + QStringLiteral("/materialized");
    QVERIFY2(cli({QStringLiteral("materialize"), QStringLiteral("org/model")}, &out) == 0,
             qPrintable(out));
    QVERIFY(QFileInfo(cache + QStringLiteral("/models--org--model/snapshots")).isDir());
    // A cap that holds one README (15 bytes) only: materializing the other evicts the first.
    QVERIFY2(cli({QStringLiteral("materialize"), QStringLiteral("org/other"),
                  QStringLiteral("--cache-max"), QStringLiteral("20")},
                 &out) == 0,
             qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("Evicted “org/model”")), qPrintable(out));
    QVERIFY(!QFileInfo::exists(cache + QStringLiteral("/models--org--model")));
    QVERIFY(QFileInfo(cache + QStringLiteral("/models--org--other/refs/main")).isFile());
    QVERIFY2(cli({QStringLiteral("evict"), QStringLiteral("org/other")}, &out) == 0,
             qPrintable(out));
    QVERIFY(!QFileInfo::exists(cache + QStringLiteral("/models--org--other")));
    QCOMPARE(cli({QStringLiteral("evict"), QStringLiteral("org/other")}, &out), 3);
}

int TestHubImport::runCli(const QString& vaultDir, QStringList args, QString* output) const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HF_ENDPOINT"), m_hub.endpoint());
    env.insert(QStringLiteral("HF_TOKEN"), HubPeer::token());
    env.remove(QStringLiteral("MODELFLOAT_CACHE"));
    QProcess p;
    p.setProcessEnvironment(env);
    args.insert(1, QStringLiteral("--vault"));
    args.insert(2, vaultDir);
    p.start(mf::test::cliPath(), args);
    if (!p.waitForFinished(120000))
        return -1;
    *output = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    return p.exitCode();
}

// The chunk cache and the materialized cache share one budget (`config cache`): the chunks
// get what the materialized files leave, and a materialization evicts chunks (least recently
// used first) before any model. Each README is one chunk of 14 bytes; the budget holds two.
void TestHubImport::cliChunksAndMaterializedShareOneBudget()
{
    TestVault vault;
    QVERIFY(vault.ok());
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset();
    QString out;
    const auto cli = [&](const QStringList& args) {
        const int code = runCli(vaultDir, args, &out);
        if (code != 0)
            qWarning("%s", qPrintable(out));
        return code;
    };
    const QString readme = QStringLiteral("README.md");
    for (const char* repo : {"org/one", "org/two"})
        QCOMPARE(cli({QStringLiteral("import"), QLatin1String(repo), QStringLiteral("--include"),
                      readme}),
                 0);
    QCOMPARE(cli({QStringLiteral("config"), QStringLiteral("cache"), QStringLiteral("40")}), 0);
    const QString chunks = vaultDir + QStringLiteral("/chunk-cache");
    const QString materialized = vaultDir + QStringLiteral("/materialized");
    const auto blobs = [&](const char* name) {
        return bytesBelow(materialized + QStringLiteral("/models--org--") + QLatin1String(name) +
                          QStringLiteral("/blobs"));
    };
    const auto cachedChunk = [&] {
        const QStringList files = QDir(chunks).entryList(QDir::Files);
        QFile file(chunks + QLatin1Char('/') + files.value(0));
        return files.size() == 1 && file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    };

    // Two chunks read: 28 bytes cached. Materializing one (14 more) evicts the chunk read first.
    QCOMPARE(cli({QStringLiteral("cat"), QStringLiteral("org/one"), readme}), 0);
    QVERIFY2(out.contains(QStringLiteral("# budget one.")), qPrintable(out));
    QCOMPARE(cli({QStringLiteral("cat"), QStringLiteral("org/two"), readme}), 0);
    QCOMPARE(bytesBelow(chunks), 28);
    QCOMPARE(cli({QStringLiteral("materialize"), QStringLiteral("org/one")}), 0);
    QVERIFY2(out.contains(QStringLiteral("Evicted 14 B of chunks")), qPrintable(out));
    QCOMPARE(blobs("one"), 14);
    QCOMPARE(cachedChunk(), QByteArray("# budget two.\n"));
    QVERIFY(bytesBelow(chunks) + blobs("one") <= 40);

    // A read gets the room the materialized file leaves (26): the other chunk goes.
    QCOMPARE(cli({QStringLiteral("cat"), QStringLiteral("org/one"), readme}), 0);
    QCOMPARE(cachedChunk(), QByteArray("# budget one.\n"));
    QVERIFY(bytesBelow(chunks) + blobs("one") <= 40);
    QCOMPARE(cli({QStringLiteral("config"), QStringLiteral("--json")}), 0);
    QVERIFY2(out.contains(QStringLiteral("\"chunk_cache_bytes\": 14")) &&
                 out.contains(QStringLiteral("\"materialized_bytes\": 14")),
             qPrintable(out));

    // The second materialization evicts the chunk, not the first model.
    QCOMPARE(cli({QStringLiteral("materialize"), QStringLiteral("org/two")}), 0);
    QVERIFY2(!out.contains(QStringLiteral("“org/one”")), qPrintable(out));
    QCOMPARE(bytesBelow(chunks), 0);
    QCOMPARE(blobs("one") + blobs("two"), 28);

    // `config` says what the one setting governs; read-cache is the same setting.
    QCOMPARE(cli({QStringLiteral("config"), QStringLiteral("read-cache"), QStringLiteral("30")}),
             0);
    QVERIFY2(out.contains(QStringLiteral("materialized models, 28 B")), qPrintable(out));
    QCOMPARE(cli({QStringLiteral("config"), QStringLiteral("--json")}), 0);
    QVERIFY2(out.contains(QStringLiteral("\"cache_bytes\": 30")), qPrintable(out));
}

QTEST_GUILESS_MAIN(TestHubImport)
#include "tst_hubimport.moc"
