// The Hub client's pieces: JSON parsing, repo ids, quantization variants, the resumable hash,
// and HubClient against the local hub server (tests/peers/hub-server.js), which is itself
// checked with the real @huggingface/hub client.

#include "hubpeer.h"
#include "networkprovidertest.h"
#include "testsupport.h"

#include "chunking/resumablesha256.h"
#include "chunking/sha256.h"
#include "hub/hubclient.h"
#include "hub/variants.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

HubFile file(const QString& path, qint64 size)
{
    HubFile f;
    f.path = path;
    f.size = size;
    return f;
}

} // namespace

class TestHub final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void parseRepoId_data();
    void parseRepoId();
    void parseInfoAndTree();
    void quantization_data();
    void quantization();
    void groupsGgufVariants();
    void groupsSafetensorsSets();
    void selectsVariantsAndPatterns();
    void resumableSha256();

    void realClientReadsTheServer();
    void infoAndPagedTree();
    void downloadRangeNeverSendsTokenToCdn();
    void gatedAndPrivateExplained();
    void rateLimitedThenServed();
    void offlineSendsNothing();
    void unreachableHubSaysOffline();

private:
    HubInfoJob* info(HubClient& client, const QString& repo);
    QTemporaryDir m_dir;
    QString m_repo;
    HubPeer m_hub;
    QByteArray m_model;
};

void TestHub::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_repo = m_dir.filePath(QStringLiteral("repo"));
    QVERIFY(QDir().mkpath(m_repo + QStringLiteral("/extra")));
    m_model = pseudoRandomBytes(2 * 1024 * 1024 + 17, 7);
    QVERIFY(writeFile(m_repo + QStringLiteral("/Model-Q4_K_M.gguf"), m_model));
    QVERIFY(writeFile(m_repo + QStringLiteral("/config.json"), "{\"architectures\":[\"X\"]}"));
    // More files than one tree page (50), so the client must follow the Link header.
    for (int i = 0; i < 60; ++i)
        QVERIFY(writeFile(m_repo + QStringLiteral("/extra/f%1.txt").arg(i, 2, 10, QLatin1Char('0')),
                          QByteArray::number(i)));
    QVERIFY2(m_hub.start({{QStringLiteral("org/model"), m_repo},
                          {QStringLiteral("org/gated"), m_repo, true},
                          {QStringLiteral("org/secret"), m_repo, false, true}}),
             qPrintable(m_hub.errorString()));
}

void TestHub::parseRepoId_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("repo");
    QTest::addColumn<QString>("revision");
    QTest::newRow("plain") << "TheBloke/Llama-2-7B-GGUF"
                           << "TheBloke/Llama-2-7B-GGUF"
                           << "";
    QTest::newRow("legacy") << "gpt2"
                            << "gpt2"
                            << "";
    QTest::newRow("source") << "hf:org/name@abc"
                            << "org/name"
                            << "abc";
    QTest::newRow("url") << "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct-GGUF"
                         << "Qwen/Qwen2.5-7B-Instruct-GGUF"
                         << "";
    QTest::newRow("url tree") << "https://huggingface.co/org/name/tree/dev/sub"
                              << "org/name"
                              << "dev";
    QTest::newRow("url blob") << "https://huggingface.co/org/name/blob/main/x.gguf"
                              << "org/name"
                              << "main";
    QTest::newRow("traversal") << "../etc"
                               << ""
                               << "";
    QTest::newRow("double dash") << "a--b/c"
                                 << ""
                                 << "";
    QTest::newRow("three parts") << "a/b/c"
                                 << ""
                                 << "";
}

void TestHub::parseRepoId()
{
    QFETCH(QString, text);
    QFETCH(QString, repo);
    QFETCH(QString, revision);
    QString rev;
    QString error;
    QCOMPARE(hubrepo::parseRepoId(text, &rev, &error), repo);
    if (repo.isEmpty())
        QVERIFY(error.contains(QStringLiteral("org/name")));
    else
        QCOMPARE(rev, revision);
}

void TestHub::parseInfoAndTree()
{
    HubRepo repo;
    QString error;
    const QByteArray info = R"({"id":"org/m","sha":"0123456789abcdef0123456789abcdef01234567",
        "gated":"manual","private":false,"siblings":[{"rfilename":"a.gguf","size":10,
        "blobId":"aa","lfs":{"sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","size":10}}]})";
    QVERIFY2(hubrepo::parseInfo(info, &repo, &error), qPrintable(error));
    QCOMPARE(repo.commit, QStringLiteral("0123456789abcdef0123456789abcdef01234567"));
    QCOMPARE(repo.gated, QStringLiteral("manual"));
    QCOMPARE(repo.files.size(), 1);
    QVERIFY(repo.files.first().isLfs());
    QCOMPARE(repo.source(), QStringLiteral("hf:org/m@0123456789abcdef0123456789abcdef01234567"));

    QVERIFY(!hubrepo::parseInfo(R"({"id":"x","sha":"nothex"})", &repo, &error));
    QVERIFY(!hubrepo::parseInfo("[1]", &repo, &error));

    QList<HubFile> files;
    const QByteArray tree = R"([{"type":"directory","path":"d","oid":"x","size":0},
        {"type":"file","path":"d/b.txt","oid":"bb","size":3},
        {"type":"file","path":"m.safetensors","oid":"cc","size":5,
         "lfs":{"oid":"AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899","size":5,"pointerSize":130}}])";
    QVERIFY2(hubrepo::parseTreePage(tree, &files, &error), qPrintable(error));
    QCOMPARE(files.size(), 2);
    QCOMPARE(files.at(0).path, QStringLiteral("d/b.txt"));
    QVERIFY(!files.at(0).isLfs());
    QCOMPARE(files.at(1).sha256,
             QByteArray("aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"));
    // Hostile paths are refused, never written.
    for (const char* bad : {R"([{"type":"file","path":"../x","oid":"a","size":1}])",
                            R"([{"type":"file","path":"/etc/x","oid":"a","size":1}])",
                            R"([{"type":"file","path":"a//b","oid":"a","size":1}])",
                            R"([{"type":"file","path":"a","oid":"a","size":-4}])"}) {
        files.clear();
        QVERIFY2(!hubrepo::parseTreePage(bad, &files, &error), bad);
    }
    QCOMPARE(hubrepo::nextLink(R"(<https://h/api/models/x/tree/main?cursor=abc>; rel="next")"),
             QStringLiteral("https://h/api/models/x/tree/main?cursor=abc"));
    QCOMPARE(hubrepo::nextLink(""), QString());
}

void TestHub::quantization_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("quant");
    const QList<QPair<const char*, const char*>> names = {
        {"llama-2-7b.Q4_K_M.gguf", "Q4_K_M"},
        {"Meta-Llama-3-8B-Instruct-Q5_K_S.gguf", "Q5_K_S"},
        {"mistral-7b-instruct-v0.2.Q2_K.gguf", "Q2_K"},
        {"qwen2.5-7b-instruct-q4_0.gguf", "Q4_0"},
        {"Qwen2.5-7B-Instruct-IQ4_XS.gguf", "IQ4_XS"},
        {"gemma-2-9b-it-IQ3_XXS.gguf", "IQ3_XXS"},
        {"Phi-3-mini-4k-instruct-fp16.gguf", "F16"},
        {"ggml-model-f16.gguf", "F16"},
        {"model-bf16.gguf", "BF16"},
        {"Llama-3.2-1B-Instruct-f32.gguf", "F32"},
        {"DeepSeek-R1-UD-Q2_K_XL-00001-of-00005.gguf", "UD-Q2_K_XL"},
        {"Q4_K_M/Llama-3.1-70B-Instruct-Q4_K_M-00001-of-00002.gguf", "Q4_K_M"},
        {"tinyllama-1.1b-chat-v1.0.Q8_0.gguf", "Q8_0"},
        {"Mixtral-8x7B-Instruct-v0.1.Q3_K_L.gguf", "Q3_K_L"},
        {"gpt-oss-20b-MXFP4.gguf", "MXFP4"},
        {"bitnet-b1.58-2B-4T-TQ1_0.gguf", "TQ1_0"},
        {"Llama-3-8B-IQ1_M.gguf", "IQ1_M"},
        {"model-IQ4_NL.gguf", "IQ4_NL"},
        {"Qwen3-30B-A3B-Q6_K.gguf", "Q6_K"},
        {"llama-2-7b.Q5_1.gguf", "Q5_1"},
        {"Q2_K_S-model.gguf", "Q2_K_S"},
        {"unsloth-Q8_K_XL.gguf", "Q8_K_XL"},
        {"README.md", ""},
        {"model.gguf", ""},
        {"model-q4km.gguf", ""},
        {"Llama-3-8B-Instruct.gguf", ""},
    };
    for (const auto& [path, quant] : names)
        QTest::newRow(path) << QString::fromLatin1(path) << QString::fromLatin1(quant);
}

void TestHub::quantization()
{
    QFETCH(QString, path);
    QFETCH(QString, quant);
    QCOMPARE(variants::ggufQuantization(path), quant);
}

void TestHub::groupsGgufVariants()
{
    const QList<HubFile> files = {
        file(QStringLiteral("Model-Q4_K_M.gguf"), 100),
        file(QStringLiteral("Model-Q8_0-00002-of-00002.gguf"), 150),
        file(QStringLiteral("Model-Q8_0-00001-of-00002.gguf"), 200),
        file(QStringLiteral("mmproj-Model-F16.gguf"), 50),
        file(QStringLiteral("README.md"), 5),
        file(QStringLiteral("Q5_K_S/Model-Q5_K_S-00002-of-00002.gguf"), 300),
        file(QStringLiteral("Q5_K_S/Model-Q5_K_S-00001-of-00002.gguf"), 310),
        file(QStringLiteral("old.gguf.part2of2"), 7),
        file(QStringLiteral("old.gguf.part1of2"), 8),
    };
    const QList<HubVariant> v = variants::group(files);
    QStringList names;
    for (const HubVariant& x : v)
        names.append(x.name);
    QCOMPARE(names, QStringList({QStringLiteral("old"), QStringLiteral("mmproj-F16"),
                                 QStringLiteral("Q4_K_M"), QStringLiteral("Q8_0"),
                                 QStringLiteral("Q5_K_S")}));
    QCOMPARE(v.at(0).files, QStringList({QStringLiteral("old.gguf.part1of2"),
                                         QStringLiteral("old.gguf.part2of2")}));
    QCOMPARE(v.at(0).totalSize, 15);
    QCOMPARE(v.at(3).totalSize, 350);
    QCOMPARE(v.at(3).files.first(), QStringLiteral("Model-Q8_0-00001-of-00002.gguf"));
    QVERIFY(v.at(3).isSplit());
    QCOMPARE(v.at(4).files.first(), QStringLiteral("Q5_K_S/Model-Q5_K_S-00001-of-00002.gguf"));
    QCOMPARE(v.at(4).totalSize, 610);
}

void TestHub::groupsSafetensorsSets()
{
    const QList<HubFile> files = {
        file(QStringLiteral("model-00002-of-00003.safetensors"), 20),
        file(QStringLiteral("model-00001-of-00003.safetensors"), 10),
        file(QStringLiteral("model-00003-of-00003.safetensors"), 30),
        file(QStringLiteral("model.safetensors.index.json"), 1),
        file(QStringLiteral("unet/diffusion_pytorch_model.fp16.safetensors"), 40),
        file(QStringLiteral("unet/diffusion_pytorch_model.safetensors"), 80),
        file(QStringLiteral("config.json"), 1),
    };
    QList<HubVariant> v = variants::group(files);
    QCOMPARE(v.size(), 3);
    QCOMPARE(v.at(0).name, QStringLiteral("unet/diffusion_pytorch_model.fp16"));
    QCOMPARE(v.at(1).name, QStringLiteral("model"));
    QCOMPARE(v.at(1).files, QStringList({QStringLiteral("model.safetensors.index.json"),
                                         QStringLiteral("model-00001-of-00003.safetensors"),
                                         QStringLiteral("model-00002-of-00003.safetensors"),
                                         QStringLiteral("model-00003-of-00003.safetensors")}));
    QCOMPARE(v.at(1).totalSize, 61);
    QVERIFY(v.at(1).format == HubVariant::Format::Safetensors);

    // With the index's contents, the set is exactly what its weight_map names.
    const QByteArray index = R"({"metadata":{"total_size":30},"weight_map":{
        "a.weight":"model-00001-of-00003.safetensors","b.weight":"model-00002-of-00003.safetensors",
        "c.weight":"model-00001-of-00003.safetensors"}})";
    v = variants::group(files, {{QStringLiteral("model.safetensors.index.json"), index}});
    const auto set = std::find_if(
        v.begin(), v.end(), [](const HubVariant& x) { return x.name == QLatin1String("model"); });
    QVERIFY(set != v.end());
    QCOMPARE(set->files.size(), 3);
    QCOMPARE(set->totalSize, 31);
}

void TestHub::selectsVariantsAndPatterns()
{
    HubRepo repo;
    repo.id = QStringLiteral("org/m");
    repo.files = {file(QStringLiteral("m-Q4_K_M.gguf"), 10),
                  file(QStringLiteral("m-Q8_0.gguf"), 20), file(QStringLiteral("README.md"), 1),
                  file(QStringLiteral("sub/tokenizer.json"), 1)};
    QList<HubFile> chosen;
    QString error;
    QVERIFY(variants::select(repo, {QStringLiteral("q8_0")}, {}, &chosen, &error));
    QStringList paths;
    for (const HubFile& f : chosen)
        paths.append(f.path);
    QCOMPARE(paths, QStringList({QStringLiteral("m-Q8_0.gguf"), QStringLiteral("README.md"),
                                 QStringLiteral("sub/tokenizer.json")}));
    QVERIFY(variants::select(repo, {}, {QStringLiteral("*.md")}, &chosen, &error));
    QCOMPARE(chosen.size(), 1);
    QVERIFY(variants::select(repo, {}, {QStringLiteral("**.json")}, &chosen, &error));
    QCOMPARE(chosen.size(), 1);
    QVERIFY(!variants::select(repo, {QStringLiteral("Q3_K_S")}, {}, &chosen, &error));
    QVERIFY2(error.contains(QStringLiteral("Q4_K_M")) && error.contains(QStringLiteral("Q8_0")),
             qPrintable(error));
    QVERIFY(!variants::select(repo, {}, {QStringLiteral("*.bin")}, &chosen, &error));
    QVERIFY(variants::select(repo, {}, {}, &chosen, &error));
    QCOMPARE(chosen.size(), 4);
}

void TestHub::resumableSha256()
{
    const QByteArray data = pseudoRandomBytes(1000003, 3);
    for (const int cut : {0, 1, 63, 64, 65, 500000, 1000003}) {
        ResumableSha256 first;
        first.addData(data.constData(), cut);
        const QByteArray state = first.saveState();
        ResumableSha256 second;
        QVERIFY(second.restoreState(state));
        QCOMPARE(second.bytesHashed(), qint64(cut));
        second.addData(data.constData() + cut, data.size() - cut);
        QCOMPARE(second.result(), Sha256::hash(data));
    }
    ResumableSha256 h;
    QVERIFY(!h.restoreState("garbage"));
    QByteArray wrong = h.saveState();
    wrong[0] = 'X';
    QVERIFY(!h.restoreState(wrong));
}

// The server follows the documented API closely enough for the real @huggingface/hub client
// to list, download and verify every file (LFS through the CDN redirect), with and without a
// token, and to be refused a gated repo without one.
void TestHub::realClientReadsTheServer()
{
    const QString script =
        QString(mf::test::testsSourceDir() + QStringLiteral("/peers/hub-client-check.mjs"));
    QString output;
    QVERIFY2(runProcess(QStringLiteral("node"),
                        {script, m_hub.endpoint(), QStringLiteral("org/model")}, &output),
             qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("\"ok\":true")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("\"path\":\"Model-Q4_K_M.gguf\",\"size\":2097169,"
                                            "\"lfs\":true,\"match\":true")),
             qPrintable(output));
    QVERIFY2(runProcess(QStringLiteral("node"),
                        {script, m_hub.endpoint(), QStringLiteral("org/gated"),
                         HubPeer::token() + QStringLiteral("_granted")},
                        &output),
             qPrintable(output));
    QVERIFY(!runProcess(QStringLiteral("node"),
                        {script, m_hub.endpoint(), QStringLiteral("org/gated")}, &output));
    QVERIFY2(output.contains(QStringLiteral("restricted")), qPrintable(output));
}

HubInfoJob* TestHub::info(HubClient& client, const QString& repo)
{
    auto* job = new HubInfoJob(&client, repo, QString(), &client);
    QSignalSpy done(job, &HubInfoJob::finished);
    job->start();
    if (done.isEmpty())
        done.wait(60000);
    return job;
}

void TestHub::infoAndPagedTree()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    HubClient client(&network, settings);
    HubInfoJob* job = info(client, QStringLiteral("org/model"));
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    const HubRepo& repo = job->repo();
    QCOMPARE(repo.commit.size(), 40);
    QCOMPARE(repo.files.size(), 62); // every page
    const HubFile* model = repo.file(QStringLiteral("Model-Q4_K_M.gguf"));
    QVERIFY(model);
    QCOMPARE(model->size, m_model.size());
    QCOMPARE(model->sha256, Sha256::hash(m_model).toHex());
    const HubFile* config = repo.file(QStringLiteral("config.json"));
    QVERIFY(config && !config->isLfs());
    QCOMPARE(config->gitOid.size(), 40);
}

void TestHub::downloadRangeNeverSendsTokenToCdn()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    settings.token = HubPeer::token();
    HubClient client(&network, settings);
    HubInfoJob* job = info(client, QStringLiteral("org/model"));
    QVERIFY(job->error().ok());
    m_hub.reset();
    const HubFile* model = job->repo().file(QStringLiteral("Model-Q4_K_M.gguf"));
    BufferSink sink;
    HubDownloadJob download(&client, job->repo(), *model, 1000, 300000, &sink);
    QSignalSpy done(&download, &HubDownloadJob::finished);
    download.start();
    QVERIFY(done.wait(60000));
    QVERIFY2(download.error().ok(), qPrintable(download.error().message));
    QCOMPARE(sink.bytes(), m_model.mid(1000, 299000));
    const QJsonObject stats = m_hub.stats();
    QCOMPARE(
        stats.value(QStringLiteral("requests")).toObject().value(QStringLiteral("cdn")).toInt(), 1);
    // The bearer token went to the Hub, never to the CDN host the resolve redirected to.
    QCOMPARE(stats.value(QStringLiteral("cdnAuthorization")).toInt(), 0);
    QCOMPARE(stats.value(QStringLiteral("ranges")).toArray().first().toArray(),
             QJsonArray({1000, 300000}));

    // A regular (non-LFS) file is served by the Hub itself, with the token.
    BufferSink small;
    const HubFile* config = job->repo().file(QStringLiteral("config.json"));
    HubDownloadJob whole(&client, job->repo(), *config, 0, config->size, &small);
    QSignalSpy wholeDone(&whole, &HubDownloadJob::finished);
    whole.start();
    QVERIFY(wholeDone.wait(60000));
    QVERIFY2(whole.error().ok(), qPrintable(whole.error().message));
    QCOMPARE(small.bytes(), QByteArray("{\"architectures\":[\"X\"]}"));
}

void TestHub::gatedAndPrivateExplained()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    settings.retry.maxAttempts = 1;
    {
        HubClient anonymous(&network, settings);
        HubInfoJob* job = info(anonymous, QStringLiteral("org/gated"));
        QCOMPARE(job->error().kind, Error::Kind::Authentication);
        QVERIFY2(job->error().message.contains(QStringLiteral("gated: accept its license at ") +
                                               m_hub.endpoint() + QStringLiteral("/org/gated")) &&
                     job->error().message.contains(QStringLiteral("modelfloat-cli hub login")),
                 qPrintable(job->error().message));
        job = info(anonymous, QStringLiteral("org/secret"));
        QCOMPARE(job->error().kind, Error::Kind::NotFound);
        QVERIFY2(job->error().message.contains(QStringLiteral("private")),
                 qPrintable(job->error().message));
    }
    {
        settings.token = HubPeer::token(); // valid, but not granted the gated repo
        HubClient notGranted(&network, settings);
        HubInfoJob* job = info(notGranted, QStringLiteral("org/gated"));
        QCOMPARE(job->error().kind, Error::Kind::Authentication);
        QVERIFY2(job->error().message.contains(QStringLiteral("not been granted access")) &&
                     job->error().message.contains(m_hub.endpoint() + QStringLiteral("/org/gated")),
                 qPrintable(job->error().message));
        QVERIFY(!job->error().message.contains(HubPeer::token()));
    }
    {
        settings.token = QStringLiteral("hf_revoked_token");
        HubClient revoked(&network, settings);
        HubInfoJob* job = info(revoked, QStringLiteral("org/model"));
        QCOMPARE(job->error().kind, Error::Kind::Authentication);
        QVERIFY2(job->error().message.contains(QStringLiteral("refused the token")),
                 qPrintable(job->error().message));
        QVERIFY(!job->error().message.contains(QStringLiteral("hf_revoked_token")));
    }
    {
        settings.token = HubPeer::token() + QStringLiteral("_granted");
        HubClient granted(&network, settings);
        HubInfoJob* job = info(granted, QStringLiteral("org/gated"));
        QVERIFY2(job->error().ok(), qPrintable(job->error().message));
        QCOMPARE(job->repo().gated, QStringLiteral("manual"));
    }
}

void TestHub::rateLimitedThenServed()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    HubClient client(&network, settings);
    m_hub.reset();
    m_hub.faults({{QStringLiteral("rateLimit"), 2}, {QStringLiteral("retryAfter"), 1}});
    QElapsedTimer clock;
    clock.start();
    HubInfoJob* job = info(client, QStringLiteral("org/model"));
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    // Two 429s, then the info and two tree pages.
    QCOMPARE(m_hub.requests(QStringLiteral("api")), 5);
    // Retry-After was honoured: about a second before each retry (not a timing assertion on
    // speed, a check that the client waited at all instead of hammering the server).
    QVERIFY(clock.elapsed() >= 1500);

    // With retries exhausted, the error says what happened.
    settings.retry.maxAttempts = 2;
    HubClient impatient(&network, settings);
    m_hub.faults({{QStringLiteral("rateLimit"), 5}, {QStringLiteral("retryAfter"), 0}});
    job = info(impatient, QStringLiteral("org/model"));
    QCOMPARE(job->error().kind, Error::Kind::Retryable);
    QVERIFY2(job->error().message.contains(QStringLiteral("slow down")) &&
                 job->error().message.contains(QStringLiteral("429")),
             qPrintable(job->error().message));
    m_hub.reset();
}

void TestHub::offlineSendsNothing()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    settings.offline = true;
    HubClient client(&network, settings);
    m_hub.reset();
    HubInfoJob* job = info(client, QStringLiteral("org/model"));
    QCOMPARE(job->error().kind, Error::Kind::Fatal);
    QVERIFY(job->error().message.contains(QStringLiteral("offline")));
    QCOMPARE(m_hub.requests(QStringLiteral("api")), 0);
    QCOMPARE(m_hub.requests(QStringLiteral("resolve")), 0);
}

// No route to the Hub: the lookup says "Offline" after two quick tries instead of backing off
// through its whole retry policy (minutes) while the dialog says "Looking up…".
void TestHub::unreachableHubSaysOffline()
{
    quint16 port = 0;
    {
        QTcpServer probe; // free a moment ago: nothing listens there now
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    QNetworkAccessManager network;
    HubSettings settings; // the default retry policy: 8 attempts, up to a minute apart
    settings.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(port);
    HubClient client(&network, settings);
    HubInfoJob* job = info(client, QStringLiteral("org/model"));
    QVERIFY2(job->error().message.startsWith(QStringLiteral("Offline: the Hub at 127.0.0.1 "
                                                            "cannot be reached.")),
             qPrintable(job->error().message));
    QVERIFY2(job->error().message.contains(QStringLiteral("refused")),
             qPrintable(job->error().message));
}

QTEST_GUILESS_MAIN(TestHub)
#include "tst_hub.moc"
