// The local API's Hugging Face-compatible routes against the real `modelfloat-cli serve`: the
// real @huggingface/hub client downloading a local and an imported model, the endpoints
// answering as the Hub does, and the server's limits (no token, the connection cap, a slow
// client's deadline, another listening address).

#include "apitestsupport.h"
#include "testsupport.h"

#include <QDirIterator>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestApiHub final : public ApiTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { ApiTestBase::initTestCase(); }
    void cleanupTestCase() { ApiTestBase::cleanupTestCase(); }
    void hubClientDownloadsALocalModel();
    void hubClientDownloadsAnImportedModel();
    void hubEndpointsAnswerAsTheHub();
    void hubWithoutTokenAndConnectionCap();
    void requestDeadlineBoundsASlowClient();
    void anotherAddressWarnsAndChecksHost();
    void hubClientCachesWhatMaterializeWrites();
    void everyRouteOfTheHubClients();
    void llamaCppAnswersFromTheStore();
    void llamaCppHfReadsFromTheStore();
    void oldTokenIsReplacedByOneEveryClientSends();

private:
    // Model "tiny", as if imported from the Hub as acme/tiny at TinyCommit: config.json (plain
    // git on the Hub) and weights/tiny.gguf (LFS), floated once.
    bool floatTiny();
    static constexpr const char* TinyCommit = "89abcdef0123456789abcdef0123456789abcdef";
    QByteArray m_config;
    QByteArray m_gguf;
};

namespace {
// What a Hugging Face cache holds for a repo: every blob by name, and every snapshot path with
// the blob it resolves to, sorted (links may be relative or absolute: only where they lead).
QStringList cacheEntries(const QString& repoFolder)
{
    QStringList out;
    const QDir root(repoFolder);
    QDirIterator it(repoFolder + QStringLiteral("/snapshots"),
                    QDir::Files | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        out << root.relativeFilePath(it.filePath()) + QStringLiteral(" -> ") +
                   root.relativeFilePath(it.fileInfo().canonicalFilePath());
    }
    for (const QString& blob : QDir(repoFolder + QStringLiteral("/blobs")).entryList(QDir::Files))
        out << QStringLiteral("blobs/") + blob;
    out.sort();
    return out;
}
} // namespace

bool TestApiHub::floatTiny()
{
    if (!m_gguf.isEmpty())
        return true;
    const QString folder = m_box->path(QStringLiteral("input/tiny"));
    m_config = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\"}\n";
    QString made;
    if (!QDir().mkpath(folder + QStringLiteral("/weights")) ||
        !test::writeFile(folder + QStringLiteral("/config.json"), m_config) ||
        !runProcess(
            QStringLiteral("node"),
            {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/tiny-llama-gguf.mjs")),
             folder + QStringLiteral("/weights/tiny.gguf")},
            &made)) {
        qWarning("%s", qPrintable(made));
        return false;
    }
    QFile gguf(folder + QStringLiteral("/weights/tiny.gguf"));
    if (!gguf.open(QIODevice::ReadOnly))
        return false;
    const CliResult floated = m_box->run({QStringLiteral("float"), folder, QStringLiteral("--name"),
                                          QStringLiteral("tiny"), QStringLiteral("--quiet"),
                                          QStringLiteral("--replicas"), QStringLiteral("2")});
    if (floated.code != 0 ||
        !setSource(m_box->vault(), QStringLiteral("tiny"),
                   QStringLiteral("hf:acme/tiny@") + QLatin1String(TinyCommit))) {
        qWarning("%s", floated.describe().constData());
        return false;
    }
    m_gguf = gguf.readAll();
    return true;
}

// HF_ENDPOINT pointed at this server: the Hub's own client finds a local model as
// "local/<name>" and downloads it, each file checked against its SHA-256.
void TestApiHub::hubClientDownloadsALocalModel()
{
    const QString output = hubClientCheck(QStringLiteral("local/m"), m_token);
    QVERIFY2(output.contains(QStringLiteral("\"ok\":true")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("{\"path\":\"m.bin\",\"size\":%1,\"lfs\":true,"
                                            "\"match\":true}")
                                 .arg(m_bytes.size())),
             qPrintable(output));
    // The commit names what the model holds.
    const Reply info = get(QStringLiteral("/api/models/local/m"));
    QVERIFY2(info.status == 200, info.describe());
    QVERIFY2(output.contains(info.json().value(QStringLiteral("sha")).toString()),
             qPrintable(output));
}

// A model imported from the Hub answers to its own repo id, at "main" and at its commit.
void TestApiHub::hubClientDownloadsAnImportedModel()
{
    const QString commit = QStringLiteral("0123456789abcdef0123456789abcdef01234567");
    QVERIFY(setSource(m_box->vault(), QStringLiteral("other"),
                      QStringLiteral("hf:acme/other-model@") + commit));
    const QString output = hubClientCheck(QStringLiteral("acme/other-model"), m_token);
    QVERIFY2(output.contains(QStringLiteral("\"ok\":true")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("\"sha\":\"") + commit), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("\"path\":\"other.bin\"")), qPrintable(output));

    const Reply bytes =
        get(QStringLiteral("/acme/other-model/resolve/") + commit + QStringLiteral("/other.bin"),
            {QStringLiteral("-r"), QStringLiteral("100-199")});
    QVERIFY2(bytes.status == 206, bytes.describe());
    QCOMPARE(bytes.body, m_other.mid(100, 100));
    QCOMPARE(bytes.header("X-Repo-Commit"), commit.toLatin1());
    const QByteArray sha = QCryptographicHash::hash(m_other, QCryptographicHash::Sha256).toHex();
    QCOMPARE(bytes.header("X-Linked-Etag"), '"' + sha + '"');
    QCOMPARE(bytes.header("X-Linked-Size"), QByteArray::number(m_other.size()));
}

void TestApiHub::hubWithoutTokenAndConnectionCap()
{
    QProcess server;
    QByteArray said;
    const quint16 port = startServer(server,
                                     {QStringLiteral("--hub-without-token"),
                                      QStringLiteral("--max-connections"), QStringLiteral("2")},
                                     "without the token", &said);
    QVERIFY2(port != 0, said.constData());
    QVERIFY2(said.contains("without the token"), said.constData());
    const quint16 mainPort = m_port;
    m_port = port;
    auto restore = qScopeGuard([&] {
        m_port = mainPort;
        server.terminate();
        server.waitForFinished(60'000);
    });

    const QString output = hubClientCheck(QStringLiteral("local/m"), QByteArray());
    QVERIFY2(output.contains(QStringLiteral("\"ok\":true")), qPrintable(output));
    const Reply resolve = get(QStringLiteral("/local/m/resolve/main/m.bin"),
                              {QStringLiteral("-r"), QStringLiteral("0-99")}, false);
    QVERIFY2(resolve.status == 206, resolve.describe());
    QCOMPARE(resolve.body, m_bytes.left(100));
    for (const QString& path :
         {QStringLiteral("/api/v1/models"), QStringLiteral("/api/v1/models/m/files/m.bin")}) {
        const Reply closed = get(path, {}, false);
        QVERIFY2(closed.status == 401, closed.describe());
    }
    // Nor does it let a model be removed.
    const Reply removal = get(QStringLiteral("/api/models/local/m"),
                              {QStringLiteral("-X"), QStringLiteral("DELETE")}, false);
    QVERIFY2(removal.status == 401 || removal.status == 405, removal.describe());

    // Two connections that have sent nothing yet, then a third: the oldest of the two is closed
    // for it (503), so clients that trickle their requests cannot hold every slot.
    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    const auto answer = [](QTcpSocket& s) {
        // (A socket that ends with nothing read gives an empty answer: the caller's check fails.)
        [[maybe_unused]] const bool came = QTest::qWaitFor(
            [&] {
                s.waitForReadyRead(100);
                return s.state() != QAbstractSocket::ConnectedState || s.bytesAvailable() >= 12;
            },
            30'000);
        return s.readAll();
    };
    QTcpSocket first;
    QTcpSocket second;
    for (QTcpSocket* s : {&first, &second}) {
        s->connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(s->waitForConnected(10'000));
    }
    QTest::qWait(200); // both accepted, in that order
    const Reply served = get(QStringLiteral("/api/v1/models"));
    QVERIFY2(served.status == 200, served.describe());
    QVERIFY(answer(first).startsWith("HTTP/1.1 503"));
    second.write("GET /api/models/local/m HTTP/1.1\r\n" + host + "\r\n");
    QVERIFY(answer(second).startsWith("HTTP/1.1 200"));

    // Two event streams hold both slots (their requests are whole): a third is answered 503.
    QTcpSocket streamA;
    QTcpSocket streamB;
    for (QTcpSocket* s : {&streamA, &streamB}) {
        s->connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(s->waitForConnected(10'000));
        s->write("GET /api/v1/events HTTP/1.1\r\n" + host + "Authorization: Bearer " + m_token +
                 "\r\n\r\n");
        QVERIFY(answer(*s).startsWith("HTTP/1.1 200"));
    }
    const Reply busy = get(QStringLiteral("/api/v1/models"));
    QVERIFY2(busy.status == 503, busy.describe());
    QCOMPARE(busy.header("Retry-After"), QByteArray("1"));
    QVERIFY(busy.json().contains(QStringLiteral("error")));
    streamA.close();
    streamB.close();
    QVERIFY(QTest::qWaitFor([&] { return get(QStringLiteral("/api/v1/models")).status == 200; },
                            30'000));
}

// A client that sends its request a byte at a time is answered 408 once the request deadline
// has passed, though each byte came well within the idle timeout (issue 35, item 6: 128 such
// clients held every slot for as long as they went on).
void TestApiHub::requestDeadlineBoundsASlowClient()
{
    QProcess server;
    QByteArray said;
    const quint16 port =
        startServer(server, {QStringLiteral("--request-deadline"), QStringLiteral("1")}, "", &said);
    QVERIFY2(port != 0, said.constData());
    auto stop = qScopeGuard([&] {
        server.terminate();
        server.waitForFinished(60'000);
    });
    QTcpSocket slow;
    slow.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(slow.waitForConnected(10'000));
    const QByteArray request =
        "GET /api/v1/models HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
        "\r\nX-Padding: " + QByteArray(400, 'x') + "\r\n\r\n";
    QByteArray got;
    qsizetype sent = 0;
    // A byte every 50 ms: the request would take over 20 s; the idle timer (30 s) never fires.
    QVERIFY(QTest::qWaitFor(
        [&] {
            if (slow.state() == QAbstractSocket::ConnectedState && sent < request.size())
                slow.write(request.mid(sent++, 1));
            slow.waitForReadyRead(50);
            got += slow.readAll();
            return got.contains("\r\n\r\n") || slow.state() != QAbstractSocket::ConnectedState;
        },
        15'000));
    QVERIFY2(got.startsWith("HTTP/1.1 408"), got.constData());
    QVERIFY(sent < request.size());
}

// Listening on every address takes an explicit option and says what it opens; the Host check
// then accepts an IP address (a web page cannot make one its own) and still refuses DNS names.
void TestApiHub::anotherAddressWarnsAndChecksHost()
{
    const CliResult bad = m_box->run(
        {QStringLiteral("serve"), QStringLiteral("--address"), QStringLiteral("my-laptop")});
    QVERIFY2(bad.code != 0 && bad.errText().contains(QStringLiteral("IP address")), bad.describe());

    QProcess server;
    QByteArray said;
    const quint16 port = startServer(
        server, {QStringLiteral("--address"), QStringLiteral("0.0.0.0")}, "travels", &said);
    QVERIFY2(port != 0, said.constData());
    QVERIFY2(said.contains("not only on this computer"), said.constData());
    QVERIFY2(!said.contains(m_token), "the token is never printed");
    const quint16 mainPort = m_port;
    m_port = port;
    auto restore = qScopeGuard([&] {
        m_port = mainPort;
        server.terminate();
        server.waitForFinished(60'000);
    });
    const Reply byAddress =
        get(QStringLiteral("/api/v1/models"),
            {QStringLiteral("-H"), QStringLiteral("Host: 192.0.2.7:%1").arg(port)});
    QVERIFY2(byAddress.status == 200, byAddress.describe());
    const Reply byName =
        get(QStringLiteral("/api/v1/models"),
            {QStringLiteral("-H"), QStringLiteral("Host: evil.example:%1").arg(port)});
    QVERIFY2(byName.status == 421, byName.describe());
    const Reply noToken = get(QStringLiteral("/api/v1/models"), {}, false);
    QVERIFY2(noToken.status == 401, noToken.describe());
}

void TestApiHub::hubEndpointsAnswerAsTheHub()
{
    // Not here: a repo, a revision, a file; each with the Hub's error code.
    const Reply noRepo = get(QStringLiteral("/api/models/acme/nothing"));
    QVERIFY2(noRepo.status == 404, noRepo.describe());
    QCOMPARE(noRepo.header("X-Error-Code"), QByteArray("RepoNotFound"));
    const Reply noRev = get(QStringLiteral("/local/m/resolve/") + QString(40, QLatin1Char('f')) +
                            QStringLiteral("/m.bin"));
    QVERIFY2(noRev.status == 404, noRev.describe());
    QCOMPARE(noRev.header("X-Error-Code"), QByteArray("RevisionNotFound"));
    const Reply noFile = get(QStringLiteral("/local/m/resolve/main/nothing.bin"));
    QVERIFY2(noFile.status == 404, noFile.describe());
    QCOMPARE(noFile.header("X-Error-Code"), QByteArray("EntryNotFound"));
    // The token is asked for here too, and paths stay in the registry.
    const Reply none = get(QStringLiteral("/local/m/resolve/main/m.bin"), {}, false);
    QVERIFY2(none.status == 401, none.describe());
    for (const QString& path : {QStringLiteral("/local/m/resolve/main/../m.bin"),
                                QStringLiteral("/local/m/resolve/main/%2e%2e/m.bin"),
                                QStringLiteral("/api/models/local/m/tree/main/..")}) {
        const Reply r = get(path);
        QVERIFY2(r.status == 404,
                 qPrintable(path + QLatin1Char(' ') + QString::fromUtf8(r.describe())));
    }
    // The tree lists the file as the Hub lists an LFS file; HEAD of resolve sends no body.
    const Reply tree = get(QStringLiteral("/api/models/local/m/tree/main?recursive=true"));
    QVERIFY2(tree.status == 200, tree.describe());
    const QJsonArray entries = QJsonDocument::fromJson(tree.body).array();
    QCOMPARE(entries.size(), 1);
    const QJsonObject entry = entries.first().toObject();
    QCOMPARE(entry.value(QStringLiteral("path")).toString(), QStringLiteral("m.bin"));
    QCOMPARE(entry.value(QStringLiteral("size")).toInteger(), m_bytes.size());
    QCOMPARE(
        entry.value(QStringLiteral("lfs")).toObject().value(QStringLiteral("oid")).toString(),
        QString::fromLatin1(QCryptographicHash::hash(m_bytes, QCryptographicHash::Sha256).toHex()));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(socket.waitForConnected());
    socket.write("HEAD /local/m/resolve/main/m.bin HTTP/1.1\r\nHost: 127.0.0.1:" +
                 QByteArray::number(m_port) + "\r\nAuthorization: Bearer " + m_token + "\r\n\r\n");
    QByteArray answer;
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(60'000))
        answer += socket.readAll();
    answer += socket.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 200 "), answer.constData());
    const QByteArray length = "\r\nContent-Length: " + QByteArray::number(m_bytes.size()) + "\r\n";
    QVERIFY2(answer.contains(length), answer.constData());
    QVERIFY2(answer.endsWith("\r\n\r\n"), "a HEAD answer has no body");
}

// @huggingface/hub's fileExists, pathsInfo and downloadFileToCacheDir at "main" against the local
// API (issue 38: fileExists always said false, no raw/ route; pathsInfo got 405; so the cache
// download failed), and what it caches is what `materialize --layout hf` writes: the same blob
// names (SHA-256 for the weights, the git blob id for config.json) and snapshot paths.
void TestApiHub::hubClientCachesWhatMaterializeWrites()
{
    QVERIFY(floatTiny());
    const QString clientCache = m_box->path(QStringLiteral("hf-client"));
    const QString output = hubClientCheck(QStringLiteral("acme/tiny"), m_token, clientCache);
    QVERIFY2(output.contains(QStringLiteral("\"ok\":true")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("\"path\":\"config.json\",\"size\":%1,\"lfs\":false,"
                                            "\"match\":true")
                                 .arg(m_config.size())),
             qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("\"path\":\"weights/tiny.gguf\",\"size\":%1,"
                                            "\"lfs\":true,\"match\":true")
                                 .arg(m_gguf.size())),
             qPrintable(output));

    const QString materialized = m_box->path(QStringLiteral("hf-materialized"));
    const CliResult made =
        m_box->run({QStringLiteral("materialize"), QStringLiteral("tiny"), QStringLiteral("--to"),
                    materialized, QStringLiteral("--layout"), QStringLiteral("hf")});
    QVERIFY2(made.code == 0, made.describe());
    const QStringList written = cacheEntries(materialized + QStringLiteral("/models--acme--tiny"));
    QCOMPARE(written.size(), 4); // two blobs, two snapshot links
    QCOMPARE(cacheEntries(clientCache + QStringLiteral("/models--acme--tiny")), written);
    const QString gitId = QString::fromLatin1(
        QCryptographicHash::hash(
            QByteArray("blob " + QByteArray::number(m_config.size()) + '\0' + m_config),
            QCryptographicHash::Sha1)
            .toHex());
    QVERIFY2(written.contains(QStringLiteral("blobs/") + gitId),
             qPrintable(written.join(QLatin1Char(' '))));
}

// The routes llama.cpp's -hf and the Hub's clients use, answered as the Hub answers them.
void TestApiHub::everyRouteOfTheHubClients()
{
    QVERIFY(floatTiny());
    const QString commit = QLatin1String(TinyCommit);
    // refs: "main" is the model's commit.
    const Reply refs = get(QStringLiteral("/api/models/acme/tiny/refs"));
    QVERIFY2(refs.status == 200, refs.describe());
    const QJsonObject main =
        refs.json().value(QStringLiteral("branches")).toArray().first().toObject();
    QCOMPARE(main.value(QStringLiteral("name")).toString(), QStringLiteral("main"));
    QCOMPARE(main.value(QStringLiteral("targetCommit")).toString(), commit);
    QCOMPARE(get(QStringLiteral("/api/models/acme/nothing/refs")).header("X-Error-Code"),
             QByteArray("RepoNotFound"));

    // A small file is served by git: its ETag is its git blob id, with no X-Linked-*.
    const QByteArray gitId =
        QCryptographicHash::hash(
            QByteArray("blob " + QByteArray::number(m_config.size()) + '\0' + m_config),
            QCryptographicHash::Sha1)
            .toHex();
    const Reply config = get(QStringLiteral("/acme/tiny/resolve/main/config.json"));
    QVERIFY2(config.status == 200, config.describe());
    QCOMPARE(config.body, m_config);
    QCOMPARE(config.header("ETag"), '"' + gitId + '"');
    QCOMPARE(config.header("X-Repo-Commit"), commit.toLatin1());
    QVERIFY(config.header("X-Linked-Etag").isEmpty());
    // A weight file is in LFS: its SHA-256 and size, and a range of its bytes.
    const QByteArray sha = QCryptographicHash::hash(m_gguf, QCryptographicHash::Sha256).toHex();
    const Reply weights =
        get(QStringLiteral("/acme/tiny/resolve/") + commit + QStringLiteral("/weights/tiny.gguf"),
            {QStringLiteral("-r"), QStringLiteral("0-3")});
    QVERIFY2(weights.status == 206, weights.describe());
    QCOMPARE(weights.body, QByteArray("GGUF"));
    QCOMPARE(weights.header("X-Linked-Etag"), '"' + sha + '"');
    QCOMPARE(weights.header("X-Linked-Size"), QByteArray::number(m_gguf.size()));

    // raw/: what git holds, a small file's bytes and an LFS file's pointer; 404 for nothing.
    const Reply rawConfig = get(QStringLiteral("/acme/tiny/raw/main/config.json"));
    QVERIFY2(rawConfig.status == 200 && rawConfig.body == m_config, rawConfig.describe());
    const Reply pointer = get(QStringLiteral("/acme/tiny/raw/main/weights/tiny.gguf"));
    QVERIFY2(pointer.status == 200, pointer.describe());
    QCOMPARE(pointer.body, "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha +
                               "\nsize " + QByteArray::number(m_gguf.size()) + '\n');
    const Reply noRaw =
        get(QStringLiteral("/acme/tiny/raw/main/nothing.txt"), {QStringLiteral("-I")});
    QVERIFY2(noRaw.status == 404, noRaw.describe());

    // The tree, a page at a time: each page links to the next, as the Hub pages it.
    QStringList paths;
    QString next = QStringLiteral("/api/models/acme/tiny/tree/main?recursive=true&limit=2");
    for (int page = 0; !next.isEmpty() && page < 5; ++page) {
        const Reply r = get(next);
        QVERIFY2(r.status == 200, r.describe());
        for (const QJsonValue& e : QJsonDocument::fromJson(r.body).array())
            paths << e.toObject().value(QStringLiteral("path")).toString();
        const QByteArray link = r.header("Link");
        next.clear();
        if (!link.isEmpty()) {
            QVERIFY2(link.endsWith(">; rel=\"next\""), link.constData());
            next =
                QString::fromLatin1(link.mid(1, link.indexOf('>') - 1)).mid(url(QString()).size());
        }
    }
    QCOMPARE(paths, (QStringList{QStringLiteral("config.json"), QStringLiteral("weights"),
                                 QStringLiteral("weights/tiny.gguf")}));
    const Reply badCursor =
        get(QStringLiteral("/api/models/acme/tiny/tree/main?cursor=bm90IGEgbnVtYmVy"));
    QVERIFY2(badCursor.status == 400, badCursor.describe());

    // paths-info: JSON (@huggingface/hub) or a form (the Python client); only what exists.
    const Reply asJson = get(
        QStringLiteral("/api/models/acme/tiny/paths-info/main"),
        {QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"),
         QStringLiteral("--data-binary"),
         QStringLiteral(R"({"paths": ["config.json", "weights", "nothing"], "expand": true})")});
    QVERIFY2(asJson.status == 200, asJson.describe());
    const QJsonArray infos = QJsonDocument::fromJson(asJson.body).array();
    QCOMPARE(infos.size(), 2);
    QCOMPARE(infos.at(0).toObject().value(QStringLiteral("oid")).toString(),
             QString::fromLatin1(gitId));
    QCOMPARE(infos.at(0)
                 .toObject()
                 .value(QStringLiteral("lastCommit"))
                 .toObject()
                 .value(QStringLiteral("id"))
                 .toString(),
             commit);
    QCOMPARE(infos.at(1).toObject().value(QStringLiteral("type")).toString(),
             QStringLiteral("directory"));
    const Reply asForm = get(
        QStringLiteral("/api/models/acme/tiny/paths-info/") + commit,
        {QStringLiteral("--data"), QStringLiteral("paths=weights%2Ftiny.gguf&paths=config.json")});
    QVERIFY2(asForm.status == 200, asForm.describe());
    const QJsonArray formInfos = QJsonDocument::fromJson(asForm.body).array();
    QCOMPARE(formInfos.size(), 2);
    QCOMPARE(formInfos.at(0)
                 .toObject()
                 .value(QStringLiteral("lfs"))
                 .toObject()
                 .value(QStringLiteral("oid"))
                 .toString(),
             QString::fromLatin1(sha));
    QVERIFY(!formInfos.at(0).toObject().contains(QStringLiteral("lastCommit")));
    const Reply notJson =
        get(QStringLiteral("/api/models/acme/tiny/paths-info/main"),
            {QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"),
             QStringLiteral("--data"), QStringLiteral("{\"paths\": [1]}")});
    QVERIFY2(notJson.status == 400, notJson.describe());
    const Reply byGet = get(QStringLiteral("/api/models/acme/tiny/paths-info/main"));
    QVERIFY2(byGet.status == 405, byGet.describe());
}

namespace {
// tests/peers/llama-check.mjs: llama.cpp (node-llama-cpp's prebuilt binary) loads `model` (a
// file, or an hf: URI fetched through MODEL_ENDPOINT) and answers a prompt. Its JSON line.
QString llamaCheck(const QStringList& arguments, const QProcessEnvironment& environment)
{
    QProcess node;
    node.setProcessEnvironment(environment);
    node.setProcessChannelMode(QProcess::MergedChannels);
    node.start(QStringLiteral("node"),
               QStringList{
                   QString(mf::test::testsSourceDir() + QStringLiteral("/peers/llama-check.mjs"))} +
                   arguments);
    if (!node.waitForFinished(300'000))
        node.kill();
    return QString::fromUtf8(node.readAll());
}
} // namespace

// llama.cpp itself loads the tiny llama model and answers a prompt: from the Hugging Face cache
// `materialize --layout hf` wrote, and fetched through the local API as its Hub endpoint
// (MODEL_ENDPOINT, the variable llama.cpp's -hf reads), by node-llama-cpp's resolver.
void TestApiHub::llamaCppAnswersFromTheStore()
{
    QVERIFY(floatTiny());
    const QString cache = m_box->path(QStringLiteral("hf-llama"));
    const CliResult made =
        m_box->run({QStringLiteral("materialize"), QStringLiteral("tiny"), QStringLiteral("--to"),
                    cache, QStringLiteral("--layout"), QStringLiteral("hf")});
    QVERIFY2(made.code == 0, made.describe());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_box->path(QStringLiteral("home")));
    const QString fromCache =
        llamaCheck({cache + QStringLiteral("/models--acme--tiny/snapshots/") +
                    QLatin1String(TinyCommit) + QStringLiteral("/weights/tiny.gguf")},
                   env);
    QVERIFY2(fromCache.contains(QStringLiteral("\"ok\":true")), qPrintable(fromCache));
    QVERIFY2(fromCache.contains(QStringLiteral("\"architecture\":\"llama\"")),
             qPrintable(fromCache));

    env.insert(QStringLiteral("MODEL_ENDPOINT"), url(QString()));
    env.insert(QStringLiteral("HF_TOKEN"), QString::fromLatin1(m_token));
    const QString downloads = m_box->path(QStringLiteral("llama-downloads"));
    const QString fromApi =
        llamaCheck({QStringLiteral("hf:acme/tiny/weights/tiny.gguf"), downloads}, env);
    QVERIFY2(fromApi.contains(QStringLiteral("\"ok\":true")), qPrintable(fromApi));
    // What it downloaded is the model's bytes.
    const QString path = QJsonDocument::fromJson(fromApi.toUtf8().trimmed().split('\n').last())
                             .object()
                             .value(QStringLiteral("path"))
                             .toString();
    QVERIFY2(path.startsWith(downloads), qPrintable(fromApi));
    QFile got(path);
    QVERIFY(got.open(QIODevice::ReadOnly));
    const QByteArray gotDifference = test::describeDifference(got.readAll(), m_gguf);
    QVERIFY2(gotDifference.isEmpty(),
             qPrintable(QString::fromLatin1(gotDifference) + QLatin1Char('\n') + fromApi));

    // By tag, as "hf:ORG/NAME:QUANT": the Hub's manifest route as it answers llama.cpp names the
    // GGUF file, which is then fetched by resolve/.
    const QString byTag = m_box->path(QStringLiteral("llama-by-tag"));
    const QString fromTag = llamaCheck({QStringLiteral("hf:acme/tiny:latest"), byTag}, env);
    QVERIFY2(fromTag.contains(QStringLiteral("\"ok\":true")), qPrintable(fromTag));
    const QString tagged = QJsonDocument::fromJson(fromTag.toUtf8().trimmed().split('\n').last())
                               .object()
                               .value(QStringLiteral("path"))
                               .toString();
    QFile gotByTag(tagged);
    QVERIFY2(gotByTag.open(QIODevice::ReadOnly), qPrintable(fromTag));
    const QByteArray tagDifference = test::describeDifference(gotByTag.readAll(), m_gguf);
    QVERIFY2(tagDifference.isEmpty(),
             qPrintable(QString::fromLatin1(tagDifference) + QLatin1Char('\n') + fromTag));
    // A tag the model does not have is a clear 404 to the client.
    const QString missing = llamaCheck({QStringLiteral("hf:acme/tiny:Q2_K"), byTag}, env);
    QVERIFY2(missing.contains(QStringLiteral("Cannot get quantization")), qPrintable(missing));
}

// llama.cpp's own -hf code (tests/peers/llama-hf/hf-pull: the calls `llama-cli -hf` makes, in the
// prebuilt library node-llama-cpp ships) with MODEL_ENDPOINT pointed at the local API: refs, the
// tree of that commit, then the GGUF by resolve/, into its Hugging Face cache, where llama.cpp
// loads it and answers. It writes what `materialize --layout hf` writes (issue 38: refs was 404,
// so llama.cpp found no model; and the token, made of base64, was dropped by llama.cpp as
// invalid three times in four).
void TestApiHub::llamaCppHfReadsFromTheStore()
{
    QVERIFY(floatTiny());
    const QString pull = QString(mf::test::testsSourceDir() +
                                 QStringLiteral("/peers/node_modules/.modelfloat-bin/hf-pull"));
    QVERIFY2(QFileInfo(pull).isExecutable(), "run scripts/install-peers.sh: it builds hf-pull");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString cache = m_box->path(QStringLiteral("llama-cache"));
    env.insert(QStringLiteral("HOME"), m_box->path(QStringLiteral("home")));
    env.insert(QStringLiteral("LLAMA_CACHE"), cache);
    env.insert(QStringLiteral("MODEL_ENDPOINT"), url(QString()));
    env.insert(QStringLiteral("HF_TOKEN"), QString::fromLatin1(m_token));
    QProcess hf;
    hf.setProcessEnvironment(env);
    hf.start(pull, {QStringLiteral("acme/tiny")});
    QVERIFY(hf.waitForFinished(120'000));
    const QByteArray said = hf.readAllStandardOutput() + hf.readAllStandardError();
    QVERIFY2(hf.exitCode() == 0, said.constData());
    const QString path = QString::fromUtf8(said.trimmed().split('\n').last());
    const QString snapshot = QStringLiteral("models--acme--tiny/snapshots/") +
                             QLatin1String(TinyCommit) + QStringLiteral("/weights/tiny.gguf");
    QCOMPARE(path, cache + QLatin1Char('/') + snapshot);
    QFile got(path);
    QVERIFY(got.open(QIODevice::ReadOnly));
    const QByteArray difference = test::describeDifference(got.readAll(), m_gguf);
    QVERIFY2(difference.isEmpty(), difference.constData());
    // The blob is named by its SHA-256 (the LFS oid of the tree), as materialize names it, and
    // refs/main holds the commit.
    const QByteArray sha = QCryptographicHash::hash(m_gguf, QCryptographicHash::Sha256).toHex();
    QCOMPARE(
        QFileInfo(path).canonicalFilePath(),
        QFileInfo(cache + QStringLiteral("/models--acme--tiny/blobs/") + QString::fromLatin1(sha))
            .canonicalFilePath());
    QFile ref(cache + QStringLiteral("/models--acme--tiny/refs/main"));
    QVERIFY(ref.open(QIODevice::ReadOnly));
    QCOMPARE(ref.readAll().trimmed(), QByteArray(TinyCommit));
    const QString answer = llamaCheck({path}, env);
    QVERIFY2(answer.contains(QStringLiteral("\"ok\":true")), qPrintable(answer));
}

// A token an older version made (base64: "-" and "_" after "hf_", which llama.cpp refuses to
// send) is replaced once by one every client sends, and kept.
void TestApiHub::oldTokenIsReplacedByOneEveryClientSends()
{
    static const QRegularExpression everyClient(QStringLiteral("^hf_[A-Za-z0-9]{34,253}$"));
    QVERIFY2(everyClient.match(QString::fromLatin1(m_token)).hasMatch(), m_token.constData());
    const QString store = m_box->vault() + QStringLiteral("/credentials.json");
    QFile file(store);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QByteArray json = file.readAll();
    file.close();
    const QByteArray old = "hf_RtCY3djClsGF4ow1pcjDFAf038x-RPsOhiNn_zVWPvQ";
    QVERIFY(json.contains(m_token));
    json.replace(m_token, old);
    QVERIFY(test::writeFile(store, json));
    const CliResult made = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QVERIFY2(made.code == 0, made.describe());
    const QByteArray fresh = made.out.trimmed();
    QVERIFY2(fresh != old && everyClient.match(QString::fromLatin1(fresh)).hasMatch(),
             fresh.constData());
    const CliResult again = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QCOMPARE(again.out.trimmed(), fresh);
}

QTEST_GUILESS_MAIN(TestApiHub)
#include "tst_apihub.moc"
