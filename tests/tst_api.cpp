// The local HTTP API, against the real `modelfloat-cli serve` on a real vault with two local
// providers, and curl as the client: every endpoint, the token and the Host header checked,
// paths never leaving the registry, Range edge cases, a bad replica passed over, and a lost
// chunk ending the answer short, never with wrong bytes.

#include "api/apiresponse.h"
#include "clisandbox.h"
#include "curlreply.h"
#include "storedchunks.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QtTest>

#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;

// A model floated here made as if imported from the Hub: its source is what an import records.
bool setSource(const QString& vault, const QString& model, const QString& source)
{
    const QString name = QStringLiteral("source-writer");
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(vault + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("UPDATE models SET source = ? WHERE name = ?"));
            q.addBindValue(source);
            q.addBindValue(model);
            ok = q.exec() && q.numRowsAffected() == 1;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

using Reply = test::CurlReply;

} // namespace

class TestApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void tokenIsRequired();
    void headLeavesOutFieldsWithLineBreaks();
    void hostIsChecked();
    void badRequestsGetClearAnswers();
    void listsAndSearchesModels();
    void describesAModel();
    void servesAFileWhole();
    void servesRanges();
    void manyConcurrentRangedDownloads(); // before any chunk of "m" is damaged or lost
    void removesAModel();
    void servesAChunk();
    void openApiDocumentMatchesTheServer();
    void pathsNeverLeaveTheRegistry();
    void hubClientDownloadsALocalModel();
    void hubClientDownloadsAnImportedModel();
    void hubEndpointsAnswerAsTheHub();
    void hubWithoutTokenAndConnectionCap();
    void requestDeadlineBoundsASlowClient();
    void anotherAddressWarnsAndChecksHost();
    void badReplicaIsPassedOver();
    void lostChunkEndsTheAnswerShort();

private:
    // The real @huggingface/hub client (tests/peers/hub-client-check.mjs) lists and downloads
    // every file of `repo` from this server, checking each against its listed SHA-256.
    // Starts a second `serve --port 0` with `options` in `server`; its port (0 on failure), and
    // what it printed until `until` appeared (or 10 s passed) in `said`.
    quint16 startServer(QProcess& server, const QStringList& options, const QByteArray& until,
                        QByteArray* said);
    // `token` empty: the client sends none.
    QString hubClientCheck(const QString& repo, const QByteArray& token);
    QByteArray floatModel(const QString& name, qint64 size, int seed);
    // curl against the server: `path` as is (no "../" folding), with the token unless `extra`
    // says otherwise.
    Reply get(const QString& path, const QStringList& extra = {}, bool withToken = true);
    QString url(const QString& path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path);
    }

    std::unique_ptr<test::CliSandbox> m_box;
    QProcess m_server;
    quint16 m_port = 0;
    QByteArray m_token;
    QByteArray m_bytes; // model "m", file "m.bin"
    QByteArray m_other; // model "other", file "other.bin"
};

QByteArray TestApi::floatModel(const QString& name, qint64 size, int seed)
{
    const QByteArray bytes = test::pseudoRandomBytes(size, seed);
    const QString file = m_box->path(QStringLiteral("input/") + name + QStringLiteral(".bin"));
    if (!test::writeFile(file, bytes))
        return {};
    const CliResult r = m_box->run({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                                    QStringLiteral("--chunk-size"), QStringLiteral("256K"),
                                    QStringLiteral("--replicas"), QStringLiteral("2")});
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return bytes;
}

void TestApi::initTestCase()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
    // The token lives in the credential store; this sandbox has no keychain.
    const CliResult made = m_box->run({QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe());
    const CliResult optIn =
        m_box->run({QStringLiteral("config"), QStringLiteral("credentials"),
                    QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe());
    // A removal frees its chunks at once (the grace period is tst_catalogcollect's).
    const CliResult noGrace = m_box->run({QStringLiteral("config"), QStringLiteral("collect-grace"),
                                          QStringLiteral("0"), QStringLiteral("--expert")});
    QVERIFY2(noGrace.code == 0, noGrace.describe());
    const CliResult add =
        m_box->run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                    QStringLiteral("second"), m_box->path(QStringLiteral("second"))});
    QVERIFY2(add.code == 0, add.describe());
    m_bytes = floatModel(QStringLiteral("m"), 2 * MiB + 11, 77);
    QVERIFY(!m_bytes.isEmpty());
    m_other = floatModel(QStringLiteral("other"), 300 * KiB, 78);
    QVERIFY(!m_other.isEmpty());

    // The token is made on first use and the same ever after.
    const CliResult token = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QVERIFY2(token.code == 0, token.describe());
    m_token = token.out.trimmed();
    QVERIFY(m_token.size() >= 32);
    QVERIFY2(m_token.startsWith("hf_"), "Hugging Face clients refuse a token without hf_");
    const CliResult again = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QCOMPARE(again.out.trimmed(), m_token);

    m_server.setProcessEnvironment(m_box->environment());
    m_server.setWorkingDirectory(m_box->root());
    m_server.start(test::CliSandbox::cli(),
                   {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY(m_server.waitForStarted());
    static const QRegularExpression urlLine(QStringLiteral("http://127\\.0\\.0\\.1:(\\d+)/"));
    QByteArray said;
    while (m_port == 0 && m_server.waitForReadyRead(60'000)) {
        said += m_server.readAllStandardOutput();
        const auto m = urlLine.match(QString::fromUtf8(said));
        if (m.hasMatch())
            m_port = quint16(m.captured(1).toUInt());
    }
    QVERIFY2(m_port != 0, QByteArray(said + m_server.readAllStandardError()).constData());
}

void TestApi::cleanupTestCase()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.terminate(); // SIGTERM: as Ctrl-C
        QVERIFY(m_server.waitForFinished(60'000));
        QCOMPARE(m_server.exitCode(), 0);
    }
    m_box.reset();
}

Reply TestApi::get(const QString& path, const QStringList& extra, bool withToken)
{
    QStringList args;
    if (withToken)
        args << QStringLiteral("-H")
             << QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token);
    return test::curlRequest(url(path), args + extra, m_box->path(QStringLiteral("out")));
}

void TestApi::tokenIsRequired()
{
    const Reply none = get(QStringLiteral("/api/v1/models"), {}, false);
    QVERIFY2(none.status == 401, none.describe());
    QCOMPARE(none.header("WWW-Authenticate"), QByteArray("Bearer"));
    QVERIFY2(none.json()
                 .value(QStringLiteral("error"))
                 .toObject()
                 .value(QStringLiteral("message"))
                 .toString()
                 .contains(QStringLiteral("token")),
             none.describe());
    QVERIFY(!none.body.contains(m_token));
    QByteArray wrong = m_token;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    const Reply bad = get(QStringLiteral("/api/v1/models"),
                          {QStringLiteral("-H"),
                           QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(wrong)},
                          false);
    QVERIFY2(bad.status == 401, bad.describe());
    const Reply file = get(QStringLiteral("/api/v1/models/m/files/m.bin"), {}, false);
    QVERIFY2(file.status == 401, file.describe());
    QVERIFY(!file.body.contains(m_bytes.left(64)));
    const Reply good = get(QStringLiteral("/api/v1/models"));
    QVERIFY2(good.status == 200, good.describe());
}

void TestApi::hostIsChecked()
{
    for (const QString& host : {QStringLiteral("evil.example:%1").arg(m_port),
                                QStringLiteral("127.0.0.1:1"), QStringLiteral("localhost")}) {
        const Reply r = get(QStringLiteral("/api/v1/models"),
                            {QStringLiteral("-H"), QStringLiteral("Host: ") + host});
        QVERIFY2(r.status == 421, QByteArray(host.toUtf8() + "\n" + r.describe()).constData());
        QVERIFY(r.json().contains(QStringLiteral("error")));
    }
    const Reply local =
        get(QStringLiteral("/api/v1/models"),
            {QStringLiteral("-H"), QStringLiteral("Host: localhost:%1").arg(m_port)});
    QVERIFY2(local.status == 200, local.describe());
    QVERIFY2(local.header("Access-Control-Allow-Origin").isEmpty(), local.describe());
}

void TestApi::badRequestsGetClearAnswers()
{
    // A head past the limit is refused before it is read whole.
    const Reply big = get(QStringLiteral("/api/v1/models"),
                          {QStringLiteral("-H"),
                           QStringLiteral("X-Padding: ") + QString(20 * 1024, QLatin1Char('x'))});
    QVERIFY2(big.status == 431, big.describe());
    QVERIFY(big.json().contains(QStringLiteral("error")));
    // Only reads are served.
    const Reply post =
        get(QStringLiteral("/api/v1/models"), {QStringLiteral("-X"), QStringLiteral("PUT")});
    QVERIFY2(post.status == 405, post.describe());
    QCOMPARE(post.header("Allow"), QByteArray("GET, HEAD"));
    // Not HTTP at all: a 400, and the server goes on.
    QProcess raw;
    raw.start(QStringLiteral("curl"),
              {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("60"),
               QStringLiteral("-X"), QStringLiteral("GET /x HTTP/1.1\r\nBad"),
               url(QStringLiteral("/api/v1/models"))});
    QVERIFY(raw.waitForFinished(90'000));
    QVERIFY2(raw.readAllStandardOutput().contains("\"status\":400"),
             raw.readAllStandardError().constData());
    const Reply after = get(QStringLiteral("/api/v1/models"));
    QVERIFY2(after.status == 200, after.describe());
}

void TestApi::listsAndSearchesModels()
{
    const Reply all = get(QStringLiteral("/api/v1/models"));
    QVERIFY2(all.status == 200, all.describe());
    QCOMPARE(all.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(all.json().value(QStringLiteral("total")).toInt(), 2);
    QCOMPARE(all.json().value(QStringLiteral("models")).toArray().size(), 2);

    const Reply found = get(QStringLiteral("/api/v1/models?q=OTH"));
    QVERIFY2(found.status == 200, found.describe());
    QCOMPARE(found.json().value(QStringLiteral("total")).toInt(), 1);
    const QJsonObject other =
        found.json().value(QStringLiteral("models")).toArray().at(0).toObject();
    QCOMPARE(other.value(QStringLiteral("name")).toString(), QStringLiteral("other"));
    QCOMPARE(other.value(QStringLiteral("bytes")).toInteger(), m_other.size());

    const Reply page = get(QStringLiteral("/api/v1/models?limit=1&offset=1"));
    QVERIFY2(page.status == 200, page.describe());
    QCOMPARE(page.json().value(QStringLiteral("total")).toInt(), 2);
    QCOMPARE(page.json().value(QStringLiteral("models")).toArray().size(), 1);
    const Reply past = get(QStringLiteral("/api/v1/models?offset=5"));
    QCOMPARE(past.json().value(QStringLiteral("models")).toArray().size(), 0);

    for (const QString& bad : {QStringLiteral("limit=0"), QStringLiteral("limit=abc"),
                               QStringLiteral("offset=-1"), QStringLiteral("limit=100000")}) {
        const Reply r = get(QStringLiteral("/api/v1/models?") + bad);
        QVERIFY2(r.status == 400, QByteArray(bad.toUtf8() + "\n" + r.describe()).constData());
    }
}

void TestApi::describesAModel()
{
    const Reply r = get(QStringLiteral("/api/v1/models/m"));
    QVERIFY2(r.status == 200, r.describe());
    const QJsonObject info = r.json();
    QCOMPARE(info.value(QStringLiteral("name")).toString(), QStringLiteral("m"));
    QCOMPARE(info.value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
    const QJsonObject file = info.value(QStringLiteral("files")).toArray().at(0).toObject();
    QCOMPARE(file.value(QStringLiteral("path")).toString(), QStringLiteral("m.bin"));
    QCOMPARE(file.value(QStringLiteral("size")).toInteger(), m_bytes.size());
    QCOMPARE(file.value(QStringLiteral("sha256")).toString().toLatin1(),
             QCryptographicHash::hash(m_bytes, QCryptographicHash::Sha256).toHex());
    const QJsonArray chunks = file.value(QStringLiteral("manifest")).toArray();
    QVERIFY(chunks.size() >= 4);
    QCOMPARE(chunks.at(0).toObject().value(QStringLiteral("placements")).toArray().size(), 2);
    // The same document `info --json` prints.
    const CliResult cli =
        m_box->run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(cli.code == 0, cli.describe());
    QCOMPARE(cli.json(), info);

    const Reply missing = get(QStringLiteral("/api/v1/models/nope"));
    QVERIFY2(missing.status == 404, missing.describe());
    QVERIFY(missing.json()
                .value(QStringLiteral("error"))
                .toObject()
                .value(QStringLiteral("message"))
                .toString()
                .contains(QStringLiteral("nope")));
    const Reply nothing = get(QStringLiteral("/api/v2/whatever"));
    QVERIFY2(nothing.status == 404, nothing.describe());
}

void TestApi::servesAFileWhole()
{
    const Reply r = get(QStringLiteral("/api/v1/models/m/files/m.bin"));
    QVERIFY2(r.status == 200 && r.curlExit == 0, r.describe());
    QVERIFY(r.body == m_bytes);
    QCOMPARE(r.header("Content-Length"), QByteArray::number(m_bytes.size()));
    QCOMPARE(r.header("ETag"),
             '"' + QCryptographicHash::hash(m_bytes, QCryptographicHash::Sha256).toHex() + '"');
    QCOMPARE(r.header("Accept-Ranges"), QByteArray("bytes"));
    const Reply head = get(QStringLiteral("/api/v1/models/m/files/m.bin"), {QStringLiteral("-I")});
    // curl -I writes the head to its output too: no byte of the file may follow it.
    QVERIFY2(head.status == 200 && head.curlExit == 0 && !head.body.contains(m_bytes.left(64)),
             head.describe());
    QCOMPARE(head.header("Content-Length"), QByteArray::number(m_bytes.size()));
    const Reply missing = get(QStringLiteral("/api/v1/models/m/files/nope.bin"));
    QVERIFY2(missing.status == 404, missing.describe());
}

void TestApi::servesRanges()
{
    const qint64 size = m_bytes.size();
    struct Case
    {
        QString range;
        qint64 begin;
        qint64 end;
    };
    for (const Case& c :
         {Case{QStringLiteral("bytes=0-0"), 0, 1}, Case{QStringLiteral("bytes=10-20"), 10, 21},
          Case{QStringLiteral("bytes=-100"), size - 100, size},
          Case{QStringLiteral("bytes=-99999999"), 0, size},
          Case{QStringLiteral("bytes=1000000-"), 1000000, size},
          Case{QStringLiteral("bytes=%1-").arg(size - 1), size - 1, size},
          Case{QStringLiteral("bytes=5-%1").arg(size * 4), 5, size}}) {
        const Reply r = get(QStringLiteral("/api/v1/models/m/files/m.bin"),
                            {QStringLiteral("-H"), QStringLiteral("Range: ") + c.range});
        const QByteArray what = c.range.toUtf8() + "\n" + r.describe();
        QVERIFY2(r.status == 206 && r.curlExit == 0, what.constData());
        QVERIFY2(r.body == m_bytes.mid(c.begin, c.end - c.begin), what.constData());
        QCOMPARE(r.header("Content-Range"),
                 QStringLiteral("bytes %1-%2/%3").arg(c.begin).arg(c.end - 1).arg(size).toLatin1());
    }
    for (const QString& range : {QStringLiteral("bytes=%1-").arg(size),
                                 QStringLiteral("bytes=%1-%2").arg(size + 10).arg(size + 20),
                                 QStringLiteral("bytes=-0")}) {
        const Reply r = get(QStringLiteral("/api/v1/models/m/files/m.bin"),
                            {QStringLiteral("-H"), QStringLiteral("Range: ") + range});
        QVERIFY2(r.status == 416, QByteArray(range.toUtf8() + "\n" + r.describe()).constData());
        QCOMPARE(r.header("Content-Range"), "bytes */" + QByteArray::number(size));
    }
    // What this server does not serve as a range (several ranges, bad syntax) gets it whole.
    for (const QString& range : {QStringLiteral("bytes=0-1,5-6"), QStringLiteral("bytes=abc"),
                                 QStringLiteral("items=0-1"), QStringLiteral("bytes=9-3")}) {
        const Reply r = get(QStringLiteral("/api/v1/models/m/files/m.bin"),
                            {QStringLiteral("-H"), QStringLiteral("Range: ") + range});
        QVERIFY2(r.status == 200 && r.body == m_bytes,
                 QByteArray(range.toUtf8() + "\n" + r.describe()).constData());
    }
}

void TestApi::servesAChunk()
{
    const QList<test::ChunkRow> chunks =
        test::fileManifest(m_box->vault(), QStringLiteral("m.bin"));
    QVERIFY(chunks.size() >= 4);
    const test::ChunkRow& c = chunks.at(1);
    const Reply r = get(QStringLiteral("/api/v1/chunks/") + c.cid);
    QVERIFY2(r.status == 200 && r.curlExit == 0, r.describe());
    QVERIFY(r.body == m_bytes.mid(c.offset, c.size));
    QCOMPARE(r.header("ETag"), '"' + c.cid.toLatin1() + '"');
    const Reply unknown = get(QStringLiteral("/api/v1/chunks/bafkreinotachunk"));
    QVERIFY2(unknown.status == 404, unknown.describe());

    // The IPFS trustless gateway's form: a raw block when asked for one, by query or Accept.
    const Reply raw = get(QStringLiteral("/ipfs/") + c.cid + QStringLiteral("?format=raw"));
    QVERIFY2(raw.status == 200, raw.describe());
    QVERIFY(raw.body == m_bytes.mid(c.offset, c.size));
    QCOMPARE(raw.header("Content-Type"), QByteArray("application/vnd.ipld.raw"));
    QCOMPARE(raw.header("ETag"), '"' + c.cid.toLatin1() + ".raw\"");
    const Reply accepted =
        get(QStringLiteral("/ipfs/") + c.cid,
            {QStringLiteral("-H"), QStringLiteral("Accept: application/vnd.ipld.raw")});
    QVERIFY2(accepted.status == 200, accepted.describe());
    QVERIFY(accepted.body == raw.body);
    const Reply other = get(QStringLiteral("/ipfs/") + c.cid);
    QVERIFY2(other.status == 406, other.describe());
}

// The OpenAPI document describes what the server answers: every path in it, filled in with a
// real model, file and chunk, is answered 200.
void TestApi::openApiDocumentMatchesTheServer()
{
    const Reply doc = get(QStringLiteral("/api/v1/openapi.json"));
    QVERIFY2(doc.status == 200, doc.describe());
    const QJsonObject root = doc.json();
    QCOMPARE(root.value(QStringLiteral("openapi")).toString(), QStringLiteral("3.0.3"));
    const QJsonObject paths = root.value(QStringLiteral("paths")).toObject();
    QVERIFY(paths.size() >= 10);
    const QString cid = test::fileManifest(m_box->vault(), QStringLiteral("m.bin")).first().cid;
    // A transfer to name: a verification of "m", queued.
    const Reply verify = get(QStringLiteral("/api/v1/models/m/verify"),
                             {QStringLiteral("-X"), QStringLiteral("POST")});
    QVERIFY2(verify.status == 202, verify.describe());
    const QString transfer =
        QString::number(verify.json().value(QStringLiteral("transfer")).toInteger());
    for (auto it = paths.begin(); it != paths.end(); ++it) {
        QString path = it.key();
        path.replace(QStringLiteral("{model}"), QStringLiteral("m"))
            .replace(QStringLiteral("{path}"), QStringLiteral("m.bin"))
            .replace(QStringLiteral("{cid}"), cid)
            .replace(QStringLiteral("{repo}"), QStringLiteral("local/m"))
            .replace(QStringLiteral("{revision}"), QStringLiteral("main"))
            .replace(QStringLiteral("{id}"), transfer)
            .replace(QStringLiteral("{action}"), QStringLiteral("cancel"));
        if (path.startsWith(QLatin1String("/ipfs/")))
            path += QStringLiteral("?format=raw");
        QVERIFY2(!path.contains(QLatin1Char('{')), qPrintable(path));
        const QJsonObject operations = it.value().toObject();
        // The methods the document lists are those the server takes (a method it does not
        // take gets 405 and the list in Allow).
        QStringList documented;
        for (auto op = operations.begin(); op != operations.end(); ++op)
            documented << op.key().toUpper();
        if (documented.contains(QLatin1String("GET")))
            documented << QStringLiteral("HEAD");
        const Reply refused = get(path, {QStringLiteral("-X"), QStringLiteral("PATCH")});
        QVERIFY2(refused.status == 405, qPrintable(path + QString::fromUtf8(refused.describe())));
        QStringList allowed =
            QString::fromLatin1(refused.header("Allow")).split(QStringLiteral(", "));
        allowed.sort();
        documented.sort();
        QCOMPARE(allowed, documented);
        if (!operations.contains(QLatin1String("get")))
            continue;
        // Every GET answers; the event stream is asked for its head only (it lasts).
        const Reply r =
            get(path, path.endsWith(QLatin1String("/events")) ? QStringList{QStringLiteral("-I")}
                                                              : QStringList{});
        QVERIFY2(r.status == 200,
                 qPrintable(path + QLatin1Char(' ') + QString::fromUtf8(r.describe())));
    }
}

QString TestApi::hubClientCheck(const QString& repo, const QByteArray& token)
{
    QString output;
    test::runProcess(QStringLiteral("node"),
                     {QStringLiteral(MODELFLOAT_TESTS_SOURCE_DIR "/peers/hub-client-check.mjs"),
                      url(QString()), repo, QString::fromLatin1(token)},
                     &output);
    return output;
}

// HF_ENDPOINT pointed at this server: the Hub's own client finds a local model as
// "local/<name>" and downloads it, each file checked against its SHA-256.
void TestApi::hubClientDownloadsALocalModel()
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
void TestApi::hubClientDownloadsAnImportedModel()
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

// A second server, started with the Hub's endpoints open and room for two connections: the Hub
// client downloads without a token while the rest of the API still asks for one; a third
// connection takes the slot of one still sending its request, and is told to come back when
// both are serving, until one of them has gone.
quint16 TestApi::startServer(QProcess& server, const QStringList& options, const QByteArray& until,
                             QByteArray* said)
{
    server.setProcessEnvironment(m_box->environment());
    server.setWorkingDirectory(m_box->root());
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(
        test::CliSandbox::cli(),
        QStringList{QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0")} +
            options);
    if (!server.waitForStarted())
        return 0;
    static const QRegularExpression urlLine(QStringLiteral("http://127\\.0\\.0\\.1:(\\d+)/"));
    quint16 port = 0;
    while (port == 0 && server.waitForReadyRead(60'000)) {
        *said += server.readAllStandardOutput();
        const auto m = urlLine.match(QString::fromUtf8(*said));
        if (m.hasMatch())
            port = quint16(m.captured(1).toUInt());
    }
    while (port != 0 && !said->contains(until) && server.waitForReadyRead(10'000))
        *said += server.readAllStandardOutput();
    return port;
}

void TestApi::hubWithoutTokenAndConnectionCap()
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
void TestApi::requestDeadlineBoundsASlowClient()
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
void TestApi::anotherAddressWarnsAndChecksHost()
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

void TestApi::hubEndpointsAnswerAsTheHub()
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

void TestApi::pathsNeverLeaveTheRegistry()
{
    // Files a path joined to a folder could reach: none of their bytes may come back.
    QVERIFY(test::writeFile(m_box->path(QStringLiteral("secret.txt")), "top secret bytes"));
    QVERIFY(test::writeFile(m_box->vault() + QStringLiteral("/secret.txt"), "top secret bytes"));
    for (const QString& path :
         {QStringLiteral("/api/v1/models/m/files/../../../../secret.txt"),
          QStringLiteral("/api/v1/models/m/files/..%2f..%2f..%2fsecret.txt"),
          QStringLiteral("/api/v1/models/m/files/%2e%2e/%2e%2e/secret.txt"),
          QStringLiteral("/api/v1/models/m/files/./m.bin"),
          QStringLiteral("/api/v1/models/m/files//etc/passwd"),
          QStringLiteral("/api/v1/models/m/files/%2fetc%2fpasswd"),
          QStringLiteral("/api/v1/models/../../secret.txt"),
          QStringLiteral("/api/v1/../../secret.txt"), QStringLiteral("/secret.txt")}) {
        const Reply r = get(path);
        QVERIFY2(r.status == 404, QByteArray(path.toUtf8() + "\n" + r.describe()).constData());
        QVERIFY2(!r.body.contains("top secret") && !r.body.contains("root:"),
                 QByteArray(path.toUtf8() + "\n" + r.describe()).constData());
    }
}

void TestApi::badReplicaIsPassedOver()
{
    // The chunk on the default local provider is damaged; the second provider's copy is good.
    const QList<test::ChunkRow> chunks =
        test::fileManifest(m_box->vault(), QStringLiteral("m.bin"));
    const test::ChunkRow& bad = chunks.at(2);
    QVERIFY(test::flipOneByte(test::chunkObjectBelow(m_box->localStore(), bad.cid)));
    const Reply r = get(QStringLiteral("/api/v1/models/m/files/m.bin"));
    QVERIFY2(r.status == 200 && r.curlExit == 0, r.describe());
    QVERIFY(r.body == m_bytes);
    const Reply chunk = get(QStringLiteral("/api/v1/chunks/") + bad.cid);
    QVERIFY2(chunk.status == 200 && chunk.curlExit == 0, chunk.describe());
    QVERIFY(chunk.body == m_bytes.mid(bad.offset, bad.size));
}

void TestApi::lostChunkEndsTheAnswerShort()
{
    // Another chunk of "m" has no copy anywhere: the answer stops short of its length (curl
    // says so) and every byte that came is right.
    const QList<test::ChunkRow> chunks =
        test::fileManifest(m_box->vault(), QStringLiteral("m.bin"));
    const test::ChunkRow& lost = chunks.at(3);
    QVERIFY(QFile::remove(test::chunkObjectBelow(m_box->localStore(), lost.cid)));
    QVERIFY(QFile::remove(test::chunkObjectBelow(m_box->path(QStringLiteral("second")), lost.cid)));
    for (int attempt = 0; attempt < 2; ++attempt) { // the second knows it is lost at once
        const Reply r = get(QStringLiteral("/api/v1/models/m/files/m.bin"));
        QVERIFY2(r.curlExit != 0, r.describe());
        QVERIFY2(r.body.size() <= lost.offset, r.describe());
        QVERIFY2(m_bytes.startsWith(r.body), r.describe());
    }
    const Reply chunk = get(QStringLiteral("/api/v1/chunks/") + lost.cid);
    QVERIFY2(chunk.curlExit != 0 && chunk.body.isEmpty(), chunk.describe());
    // A range that does not touch it is still served, and the server is still up.
    const Reply before =
        get(QStringLiteral("/api/v1/models/m/files/m.bin"),
            {QStringLiteral("-H"), QStringLiteral("Range: bytes=0-%1").arg(lost.offset - 1)});
    QVERIFY2(before.status == 206 && before.curlExit == 0, before.describe());
    QVERIFY(before.body == m_bytes.left(lost.offset));
}

// DELETE removes a model as `modelfloat-cli rm` does: its chunks that no other model uses are
// freed on the providers, and a model it shares chunks with still restores.
void TestApi::removesAModel()
{
    // "gone" begins with the first 1 MiB of "m": cut the same way, its first chunks are m's.
    const QByteArray shared = m_bytes.left(MiB) + test::pseudoRandomBytes(512 * KiB, 79);
    const QString file = m_box->path(QStringLiteral("input/gone.bin"));
    QVERIFY(test::writeFile(file, shared));
    const CliResult floated = m_box->run({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                                          QStringLiteral("--chunk-size"), QStringLiteral("256K")});
    QVERIFY2(floated.code == 0, floated.describe());
    const QList<test::ChunkRow> own =
        test::fileManifest(m_box->vault(), QStringLiteral("gone.bin"));
    QVERIFY(own.size() >= 2);
    QCOMPARE(own.first().cid,
             test::fileManifest(m_box->vault(), QStringLiteral("m.bin")).first().cid);
    const QString ownObject = test::chunkObjectBelow(m_box->localStore(), own.last().cid);
    QVERIFY(!ownObject.isEmpty());

    const Reply removed = get(QStringLiteral("/api/v1/models/gone"),
                              {QStringLiteral("-X"), QStringLiteral("DELETE")});
    QVERIFY2(removed.status == 200, removed.describe());
    QCOMPARE(removed.json().value(QStringLiteral("removed")).toString(), QStringLiteral("gone"));
    QVERIFY(removed.json().value(QStringLiteral("chunksFreed")).toInt() >= 2);
    QVERIFY(!QFile::exists(ownObject));
    const Reply again = get(QStringLiteral("/api/v1/models/gone"),
                            {QStringLiteral("-X"), QStringLiteral("DELETE")});
    QVERIFY2(again.status == 404, again.describe());
    const Reply info = get(QStringLiteral("/api/v1/models/gone"));
    QVERIFY2(info.status == 404, info.describe());
    // What "m" shared with it is still there.
    const Reply whole = get(QStringLiteral("/api/v1/models/m/files/m.bin"));
    QVERIFY2(whole.status == 200 && whole.curlExit == 0, whole.describe());
    QVERIFY(whole.body == m_bytes);
    // Removal is only for models.
    const Reply notHere = get(QStringLiteral("/api/v1/models/m/files/m.bin"),
                              {QStringLiteral("-X"), QStringLiteral("DELETE")});
    QVERIFY2(notHere.status == 405, notHere.describe());
}

// A bounded load on loopback: rounds of 100 concurrent ranged downloads (one curl running them
// in parallel), every answer bit-exact, and the server's memory not growing from round to round.
void TestApi::manyConcurrentRangedDownloads()
{
    constexpr int Clients = 100;
    constexpr int Rounds = 3;
    const auto residentKiB = [this] {
        QFile status(QStringLiteral("/proc/%1/status").arg(m_server.processId()));
        if (!status.open(QIODevice::ReadOnly))
            return qint64(-1);
        for (const QByteArray& line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').first().toLongLong();
        return qint64(-1);
    };
    qint64 afterFirst = 0;
    for (int round = 0; round < Rounds; ++round) {
        QByteArray config;
        QList<QPair<qint64, qint64>> ranges;
        for (int i = 0; i < Clients; ++i) {
            const qint64 begin = (qint64(i) * 20011 + round * 7919) % (m_bytes.size() - 1);
            const qint64 end = qMin<qint64>(m_bytes.size() - 1, begin + 256 * KiB - 1);
            ranges.append({begin, end});
            if (i > 0)
                config += "next\n";
            config += "url = \"" + url(QStringLiteral("/api/v1/models/m/files/m.bin")).toUtf8() +
                      "\"\noutput = \"" + m_box->path(QStringLiteral("load/%1").arg(i)).toUtf8() +
                      "\"\nrange = \"" + QByteArray::number(begin) + '-' + QByteArray::number(end) +
                      "\"\nheader = \"Authorization: Bearer " + m_token + "\"\nfail\nsilent\n" +
                      "show-error\n";
        }
        QVERIFY(QDir().mkpath(m_box->path(QStringLiteral("load"))));
        const QString configFile = m_box->path(QStringLiteral("load.curlrc"));
        QVERIFY(test::writeFile(configFile, config));
        QString output;
        QVERIFY2(
            test::runProcess(QStringLiteral("curl"),
                             {QStringLiteral("--parallel"), QStringLiteral("--parallel-max"),
                              QString::number(Clients), QStringLiteral("--config"), configFile},
                             &output, 300'000),
            qPrintable(output));
        for (int i = 0; i < Clients; ++i) {
            QFile f(m_box->path(QStringLiteral("load/%1").arg(i)));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const auto [begin, end] = ranges.at(i);
            QVERIFY2(f.readAll() == m_bytes.mid(begin, end - begin + 1),
                     qPrintable(QStringLiteral("download %1 of round %2").arg(i).arg(round)));
        }
        const qint64 rss = residentKiB();
        QVERIFY(rss > 0);
        if (round == 0)
            afterFirst = rss;
        else
            QVERIFY2(rss - afterFirst < 64 * 1024,
                     qPrintable(QStringLiteral("the server grew from %1 KiB to %2 KiB")
                                    .arg(afterFirst)
                                    .arg(rss)));
    }
}

void TestApi::headLeavesOutFieldsWithLineBreaks()
{
    // Issue 35, item 4: a value from the vault (a hash, a name) with CR or LF in it would end the
    // head early or add fields of its own; such a field is not written.
    api::ApiResponse r;
    r.addHeader({"ETag", "\"abc\"\r\nSet-Cookie: x=1"});
    r.addHeader({"X-Name", "a\nb"});
    r.addHeader({"X-Good", "fine"});
    const QByteArray head = r.head(0);
    QVERIFY2(!head.contains("Set-Cookie") && !head.contains("X-Name") && !head.contains("ETag"),
             head.constData());
    QVERIFY(head.contains("X-Good: fine\r\n"));
    QVERIFY(head.endsWith("\r\n\r\n"));
    QCOMPARE(head.count("\r\n\r\n"), 1);
}

QTEST_GUILESS_MAIN(TestApi)
#include "tst_api.moc"
