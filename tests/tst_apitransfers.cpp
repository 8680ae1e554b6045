// The local API's writing half, against the real `modelfloat-cli serve` on a real vault with two
// local providers: uploads as a streamed request body (and one cut off mid-body, which must leave
// nothing behind), the transfer queue (float a local path, restore, verify; list, pause, resume,
// cancel) and its Server-Sent Events, with curl and raw sockets as the clients.

#include "clisandbox.h"
#include "curlreply.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkInterface>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QtTest>

#include <functional>
#include <memory>

using namespace mf;
using test::CliResult;
using test::CurlReply;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;

// Waits (running the event loop) until `done` holds, at most `ms`.
bool waitFor(const std::function<bool()>& done, int ms = 60'000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > ms)
            return false;
        QTest::qWait(50);
    }
    return true;
}

} // namespace

class TestApiTransfers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void uploadFloatsTheBodyAsItArrives();
    void uploadCutOffLeavesNothing();
    void uploadRefusals();
    void folderUploadFloatsOneModel();
    void folderUploadRefusalsLeaveNothing();
    void floatRestoreAndVerifyAreTransfers();
    void pauseResumeAndCancel();
    void eventsFollowATransfer();
    void localPathsOnlyFromThisComputer();

private:
    CurlReply call(const QString& method, const QString& path, const QByteArray& json = {},
                   const QStringList& extra = {});
    QString url(const QString& path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path);
    }
    // The transfer's JSON as GET /transfers/{id} shows it.
    QJsonObject transfer(qint64 id);
    // The titles of the uploads the transfer list shows.
    QStringList uploadTitles();
    // Waits until transfer `id` is in one of `states`; its last JSON.
    QJsonObject waitForState(qint64 id, const QStringList& states);
    // Chunk objects (named by a raw-leaf CID) in both providers' folders.
    int chunkObjects() const;
    QString secondStore() const { return m_box->path(QStringLiteral("second")); }
    QByteArray rawRequestHead(const QByteArray& method, const QByteArray& target,
                              qint64 length) const;

    std::unique_ptr<test::CliSandbox> m_box;
    QProcess m_server;
    quint16 m_port = 0;
    QByteArray m_token;
};

void TestApiTransfers::initTestCase()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
    for (const QStringList& args :
         {QStringList{QStringLiteral("init")},
          QStringList{QStringLiteral("config"), QStringLiteral("credentials"),
                      QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")},
          QStringList{QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                      QStringLiteral("second"), secondStore()},
          QStringList{QStringLiteral("config"), QStringLiteral("replication"), QStringLiteral("2")},
          // A cut-off upload's chunks are freed at once (the grace period before an unused
          // chunk may go is tst_catalogcollect's).
          QStringList{QStringLiteral("config"), QStringLiteral("collect-grace"),
                      QStringLiteral("0"), QStringLiteral("--expert")},
          // Small chunks: a few MiB make many, so a body cut off has placed some.
          QStringList{QStringLiteral("config"), QStringLiteral("chunker"),
                      QStringLiteral("fastcdc:min=65536,avg=262144,max=1048576")}}) {
        const CliResult r = m_box->run(args);
        QVERIFY2(r.code == 0, r.describe());
    }
    const CliResult token = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QVERIFY2(token.code == 0, token.describe());
    m_token = token.out.trimmed();

    m_server.setProcessEnvironment(m_box->environment());
    m_server.setWorkingDirectory(m_box->root());
    m_server.setProcessChannelMode(QProcess::MergedChannels);
    // Slow providers (4 MB/s up), so a float runs long enough to be paused and cancelled.
    m_server.start(test::CliSandbox::cli(),
                   {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                    QStringLiteral("--address"), QStringLiteral("0.0.0.0"),
                    QStringLiteral("--limit-upload"), QStringLiteral("4M")});
    QVERIFY(m_server.waitForStarted());
    static const QRegularExpression urlLine(QStringLiteral("http://127\\.0\\.0\\.1:(\\d+)/"));
    QByteArray said;
    while (m_port == 0 && m_server.waitForReadyRead(60'000)) {
        said += m_server.readAll();
        const auto m = urlLine.match(QString::fromUtf8(said));
        if (m.hasMatch())
            m_port = quint16(m.captured(1).toUInt());
    }
    QVERIFY2(m_port != 0, said.constData());
}

void TestApiTransfers::cleanupTestCase()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.terminate();
        QVERIFY(m_server.waitForFinished(60'000));
        QCOMPARE(m_server.exitCode(), 0);
    }
}

CurlReply TestApiTransfers::call(const QString& method, const QString& path, const QByteArray& json,
                                 const QStringList& extra)
{
    QStringList args{QStringLiteral("-X"), method, QStringLiteral("-H"),
                     QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token)};
    if (!json.isNull())
        args << QStringLiteral("-H") << QStringLiteral("Content-Type: application/json")
             << QStringLiteral("--data-binary") << QString::fromUtf8(json);
    return test::curlRequest(url(path), args + extra, m_box->path(QStringLiteral("out")));
}

QJsonObject TestApiTransfers::transfer(qint64 id)
{
    return call(QStringLiteral("GET"), QStringLiteral("/api/v1/transfers/%1").arg(id)).json();
}

QStringList TestApiTransfers::uploadTitles()
{
    QStringList titles;
    const CurlReply r = call(QStringLiteral("GET"), QStringLiteral("/api/v1/transfers"));
    for (const QJsonValue t : r.json().value(QStringLiteral("transfers")).toArray())
        if (t[QStringLiteral("title")].toString().startsWith(QLatin1String("Upload ")))
            titles.append(t[QStringLiteral("title")].toString());
    return titles;
}

QJsonObject TestApiTransfers::waitForState(qint64 id, const QStringList& states)
{
    QJsonObject last;
    waitFor([&] {
        last = transfer(id);
        return states.contains(last.value(QStringLiteral("state")).toString());
    });
    return last;
}

int TestApiTransfers::chunkObjects() const
{
    int n = 0;
    for (const QString& root : {m_box->localStore(), secondStore()}) {
        QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            n += it.next().section(QLatin1Char('/'), -1).startsWith(QLatin1String("bafkrei")) ? 1
                                                                                              : 0;
    }
    return n;
}

QByteArray TestApiTransfers::rawRequestHead(const QByteArray& method, const QByteArray& target,
                                            qint64 length) const
{
    return method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port) +
           "\r\nAuthorization: Bearer " + m_token +
           "\r\nContent-Length: " + QByteArray::number(length) + "\r\n\r\n";
}

// curl PUTs a file (with "Expect: 100-continue", as it does for large bodies): it is floated as a
// model of that one file, listed as a transfer, and reads back bit-exact.
void TestApiTransfers::uploadFloatsTheBodyAsItArrives()
{
    const QByteArray bytes = test::pseudoRandomBytes(3 * MiB + 5, 11);
    const QString file = m_box->path(QStringLiteral("input/up.gguf"));
    QVERIFY(test::writeFile(file, bytes));
    const CurlReply put =
        call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/up/files/up.gguf"), {},
             {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(put.status == 201, put.describe());
    const QJsonObject answer = put.json();
    QCOMPARE(
        answer.value(QStringLiteral("sha256")).toString(),
        QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()));
    QCOMPARE(put.header("Location"), QByteArray("/api/v1/models/up"));
    const qint64 id = answer.value(QStringLiteral("transfer")).toInteger();
    const QJsonObject t = waitForState(id, {QStringLiteral("done")});
    QCOMPARE(t.value(QStringLiteral("kind")).toString(), QStringLiteral("float"));
    QCOMPARE(t.value(QStringLiteral("totalBytes")).toInteger(), bytes.size());

    const CurlReply back =
        call(QStringLiteral("GET"), QStringLiteral("/api/v1/models/up/files/up.gguf"));
    QVERIFY2(back.status == 200, back.describe());
    QVERIFY(back.body == bytes);
    // The model is complete with two copies of every chunk, as a float from disk would be.
    const CliResult info =
        m_box->run({QStringLiteral("info"), QStringLiteral("up"), QStringLiteral("--json")});
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject model = QJsonDocument::fromJson(info.out).object();
    QVERIFY2(QByteArray(info.out).contains("\"complete\"") ||
                 model.value(QStringLiteral("state")).toString() == QLatin1String("complete"),
             info.out.constData());
}

// A client that goes away mid-body: the upload fails, and the model it began is removed with
// every chunk it had placed, so nothing is left half-floated.
void TestApiTransfers::uploadCutOffLeavesNothing()
{
    const int objectsBefore = chunkObjects();
    const qint64 length = 8 * MiB;
    const QByteArray part = test::pseudoRandomBytes(3 * MiB, 12);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(socket.waitForConnected(10'000));
    socket.write(rawRequestHead("PUT", "/api/v1/models/cut/files/cut.bin", length));
    socket.write(part);
    // Chunks of it are placed on the providers while the rest has not come.
    QVERIFY2(waitFor([&] {
                 socket.waitForBytesWritten(10);
                 return chunkObjects() > objectsBefore + 2;
             }),
             "no chunk of the upload was placed");
    qint64 id = 0;
    for (const QJsonValue v : call(QStringLiteral("GET"), QStringLiteral("/api/v1/transfers"))
                                  .json()
                                  .value(QStringLiteral("transfers"))
                                  .toArray())
        if (v.toObject().value(QStringLiteral("title")).toString().contains(QLatin1String("cut")))
            id = v.toObject().value(QStringLiteral("id")).toInteger();
    QVERIFY(id > 0);
    QCOMPARE(transfer(id).value(QStringLiteral("state")).toString(), QStringLiteral("running"));
    socket.abort();

    const QJsonObject failed = waitForState(id, {QStringLiteral("failed")});
    QVERIFY2(failed.value(QStringLiteral("error")).toString().contains(QLatin1String("cut off")),
             QJsonDocument(failed).toJson().constData());
    // No model, no chunk object it placed.
    QVERIFY(waitFor([&] {
        return call(QStringLiteral("GET"), QStringLiteral("/api/v1/models/cut")).status == 404;
    }));
    QVERIFY2(
        waitFor([&] { return chunkObjects() == objectsBefore; }),
        qPrintable(
            QStringLiteral("%1 chunk objects, %2 before").arg(chunkObjects()).arg(objectsBefore)));
    const CliResult list = m_box->run({QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(!list.out.contains("\"cut\""), list.out.constData());
    // The name is free again: the same upload, whole, succeeds.
    const QString file = m_box->path(QStringLiteral("input/cut.bin"));
    QVERIFY(test::writeFile(file, test::pseudoRandomBytes(length, 12)));
    const CurlReply again =
        call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/cut/files/cut.bin"), {},
             {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(again.status == 201, again.describe());
}

// PUT /api/v1/models/{model} with X-Model-Files: a folder's files, one after another in one
// body, floated as one model with their paths (a space and a sub-folder among them, and an
// empty file), each reading back bit-exact.
void TestApiTransfers::folderUploadFloatsOneModel()
{
    const QList<QPair<QString, QByteArray>> files = {
        {QStringLiteral("config.json"), QByteArray("{\"architecture\": \"llama\"}")},
        {QStringLiteral("weights/part 1.bin"), test::pseudoRandomBytes(2 * MiB + 3, 21)},
        {QStringLiteral("empty.txt"), QByteArray()},
        {QStringLiteral("weights/part 2.bin"), test::pseudoRandomBytes(300 * KiB, 22)}};
    QByteArray body;
    QStringList listed;
    for (const auto& [path, bytes] : files) {
        body += bytes;
        listed.append(QString::fromLatin1(QUrl::toPercentEncoding(path)) + QLatin1Char(':') +
                      QString::number(bytes.size()));
    }
    const QString file = m_box->path(QStringLiteral("input/folder.body"));
    QVERIFY(test::writeFile(file, body));
    const CurlReply put = call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/folder"), {},
                               {QStringLiteral("-H"),
                                QStringLiteral("X-Model-Files: ") + listed.join(QLatin1Char(',')),
                                QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(put.status == 201, put.describe());
    const QJsonArray answered = put.json().value(QStringLiteral("files")).toArray();
    QCOMPARE(answered.size(), files.size());
    for (qsizetype i = 0; i < files.size(); ++i) {
        const QJsonObject f = answered.at(i).toObject();
        QCOMPARE(f.value(QStringLiteral("path")).toString(), files.at(i).first);
        QCOMPARE(
            f.value(QStringLiteral("sha256")).toString(),
            QString::fromLatin1(
                QCryptographicHash::hash(files.at(i).second, QCryptographicHash::Sha256).toHex()));
        const QString at = QStringLiteral("/api/v1/models/folder/files/") +
                           QString::fromLatin1(QUrl::toPercentEncoding(files.at(i).first, "/"));
        const CurlReply back = call(QStringLiteral("GET"), at);
        QVERIFY2(back.status == 200, back.describe());
        QVERIFY2(back.body == files.at(i).second, qPrintable(files.at(i).first));
    }
    const QJsonObject t = waitForState(put.json().value(QStringLiteral("transfer")).toInteger(),
                                       {QStringLiteral("done")});
    QCOMPARE(t.value(QStringLiteral("totalBytes")).toInteger(), body.size());
    const CurlReply info = call(QStringLiteral("GET"), QStringLiteral("/api/v1/models/folder"));
    QCOMPARE(info.json().value(QStringLiteral("files")).toArray().size(), files.size());
}

// A folder's upload is all or nothing: a header that is not a list of the body's files, a path
// the vault does not take, a path twice, a name taken, or a body cut off after its first file
// are refused, and no model of it stays.
void TestApiTransfers::folderUploadRefusalsLeaveNothing()
{
    const QString file = m_box->path(QStringLiteral("input/two.body"));
    QVERIFY(test::writeFile(file, test::pseudoRandomBytes(200 * KiB, 23)));
    const auto put = [&](const QString& model, const QStringList& header) {
        QStringList extra{QStringLiteral("--data-binary"), QLatin1Char('@') + file};
        if (!header.isEmpty())
            extra << QStringLiteral("-H") << QStringLiteral("X-Model-Files: ") + header.first();
        return call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/") + model, {}, extra);
    };
    const struct
    {
        QStringList header;
        int status;
        const char* says;
    } cases[] = {
        {{}, 400, "X-Model-Files lists"},
        {{QStringLiteral("a.bin:1000,b.bin:1000")}, 400, "come to 2000 bytes"},
        {{QStringLiteral("a.bin:102400,b.bin")}, 400, "X-Model-Files lists"},
        {{QStringLiteral("a.bin:-1,b.bin:204801")}, 400, "X-Model-Files lists"},
        {{QStringLiteral("%2E%2E%2Fa.bin:102400,b.bin:102400")}, 400, ""},
        {{QStringLiteral("a.bin:102400,a.bin:102400")}, 400, "comes twice"},
        {{QStringLiteral("a.bin:102400,b%5Cc.bin:102400")}, 400, ""},
    };
    for (const auto& c : cases) {
        const CurlReply r = put(QStringLiteral("refused"), c.header);
        QVERIFY2(r.status == c.status && r.body.contains(c.says), r.describe());
        QCOMPARE(call(QStringLiteral("GET"), QStringLiteral("/api/v1/models/refused")).status, 404);
    }
    const CurlReply taken =
        put(QStringLiteral("up"), {QStringLiteral("a.bin:102400,b.bin:102400")});
    QVERIFY2(taken.status == 409 && taken.body.contains("exists already"), taken.describe());
    // Refused at the door: none of them is listed as a transfer (not even one failed at 0 %).
    const QStringList listed = uploadTitles();
    QVERIFY2(!listed.join(QLatin1Char('|')).contains(QLatin1String("refused")) &&
                 !listed.contains(QStringLiteral("Upload up (2 files)")),
             qPrintable(listed.join(QLatin1Char('|'))));

    // Cut off in its second file: the first, floated whole, goes with the model.
    const int objectsBefore = chunkObjects();
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(socket.waitForConnected(10'000));
    QByteArray head = rawRequestHead("PUT", "/api/v1/models/halfdone", 3 * MiB);
    head.insert(head.size() - 2, "X-Model-Files: first.bin:1048576,second.bin:2097152\r\n");
    socket.write(head);
    socket.write(test::pseudoRandomBytes(2 * MiB, 24));
    QVERIFY2(waitFor([&] {
                 socket.waitForBytesWritten(10);
                 const QJsonArray files =
                     call(QStringLiteral("GET"), QStringLiteral("/api/v1/models/halfdone"))
                         .json()
                         .value(QStringLiteral("files"))
                         .toArray();
                 return std::any_of(files.begin(), files.end(), [](const QJsonValue& f) {
                     return f[QStringLiteral("path")].toString() == QLatin1String("first.bin") &&
                            f[QStringLiteral("complete")].toBool();
                 });
             }),
             "the first file was not floated whole");
    socket.abort();
    QVERIFY(waitFor([&] {
        return call(QStringLiteral("GET"), QStringLiteral("/api/v1/models/halfdone")).status == 404;
    }));
    QVERIFY2(
        waitFor([&] { return chunkObjects() == objectsBefore; }),
        qPrintable(
            QStringLiteral("%1 chunk objects, %2 before").arg(chunkObjects()).arg(objectsBefore)));
}

void TestApiTransfers::uploadRefusals()
{
    const QString file = m_box->path(QStringLiteral("input/small.bin"));
    QVERIFY(test::writeFile(file, test::pseudoRandomBytes(100 * KiB, 13)));
    const QStringList uploadsBefore = uploadTitles();
    // A name taken.
    const CurlReply taken =
        call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/up/files/other.bin"), {},
             {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(taken.status == 409 && taken.body.contains("exists already"), taken.describe());
    // A chunked body: the size must be known before the first byte is placed.
    const CurlReply chunked =
        call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/chunked/files/x.bin"), {},
             {QStringLiteral("-H"), QStringLiteral("Transfer-Encoding: chunked"),
              QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(chunked.status == 411, chunked.describe());
    // A bad model name.
    const CurlReply badName =
        call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/%20/files/x.bin"), {},
             {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(badName.status == 400, badName.describe());
    // A path with ".." is no endpoint at all.
    const CurlReply traversal =
        call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/t/files/../../etc/x"), {},
             {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
    QVERIFY2(traversal.status == 404 || traversal.status == 405, traversal.describe());
    // Paths the catalog would refuse in the manifest (issue 35, item 6): a NUL, a backslash, a
    // newline, bytes that are not UTF-8, a 4,000-character name. Each is refused before
    // anything is recorded.
    const QStringList badPaths{QStringLiteral("a%00b.bin"), QStringLiteral("a%5Cb.bin"),
                               QStringLiteral("a%0Ab.bin"), QStringLiteral("a%FF%FEb.bin"),
                               QString(4000, QLatin1Char('x'))};
    for (const QString& path : badPaths) {
        const CurlReply bad =
            call(QStringLiteral("PUT"), QStringLiteral("/api/v1/models/badpath/files/") + path, {},
                 {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
        QVERIFY2(bad.status == 400 || bad.status == 414, bad.describe());
    }
    // Each was refused before it was listed as a transfer: the list has no upload more than
    // before (a refusal once showed there as an upload "failed" at 0 %).
    QCOMPARE(uploadTitles(), uploadsBefore);
    const CliResult list = m_box->run({QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(!list.out.contains("chunked") && !list.out.contains("\"t\"") &&
                 !list.out.contains("badpath"),
             list.out.constData());
}

void TestApiTransfers::floatRestoreAndVerifyAreTransfers()
{
    const QByteArray bytes = test::pseudoRandomBytes(1 * MiB + 3, 14);
    const QString file = m_box->path(QStringLiteral("input/local.bin"));
    QVERIFY(test::writeFile(file, bytes));
    const QByteArray request =
        QJsonDocument(QJsonObject{{QStringLiteral("paths"), QJsonArray{file}},
                                  {QStringLiteral("model"), QStringLiteral("local")}})
            .toJson(QJsonDocument::Compact);
    const CurlReply queued =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/floats"), request);
    QVERIFY2(queued.status == 202, queued.describe());
    const qint64 floatId = queued.json().value(QStringLiteral("transfer")).toInteger();
    QVERIFY(floatId > 0);
    QCOMPARE(waitForState(floatId, {QStringLiteral("done"), QStringLiteral("failed")})
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("done"));

    const CurlReply verify =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/models/local/verify"));
    QVERIFY2(verify.status == 202, verify.describe());
    QCOMPARE(waitForState(verify.json().value(QStringLiteral("transfer")).toInteger(),
                          {QStringLiteral("done"), QStringLiteral("failed")})
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("done"));

    const QString into = m_box->path(QStringLiteral("restored"));
    const CurlReply restore =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/models/local/restore"),
             QJsonDocument(QJsonObject{{QStringLiteral("destination"), into}})
                 .toJson(QJsonDocument::Compact));
    QVERIFY2(restore.status == 202, restore.describe());
    QCOMPARE(waitForState(restore.json().value(QStringLiteral("transfer")).toInteger(),
                          {QStringLiteral("done"), QStringLiteral("failed")})
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("done"));
    QFile restored(into + QStringLiteral("/local.bin"));
    QVERIFY(restored.open(QIODevice::ReadOnly));
    QVERIFY(restored.readAll() == bytes);

    // Listed, in the queue's order.
    const QJsonArray all = call(QStringLiteral("GET"), QStringLiteral("/api/v1/transfers"))
                               .json()
                               .value(QStringLiteral("transfers"))
                               .toArray();
    QVERIFY(std::any_of(all.cbegin(), all.cend(), [&](const QJsonValue& v) {
        return v.toObject().value(QStringLiteral("id")).toInteger() == floatId;
    }));
    // Bad requests get 400 or 404, and queue nothing.
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/floats"), "not json").status,
             400);
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/floats"),
                  R"({"paths": ["relative.bin"], "model": "x"})")
                 .status,
             400);
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/models/none/verify")).status,
             404);
    QCOMPARE(
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/models/local/restore"), "{}").status,
        400);
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/transfers/999999/cancel")).status,
             404);
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/transfers/%1/pause").arg(floatId))
                 .status,
             409);
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/transfers/%1/jump").arg(floatId))
                 .status,
             404);
    QCOMPARE(call(QStringLiteral("GET"), QStringLiteral("/api/v1/floats")).status, 405);
    QCOMPARE(call(QStringLiteral("POST"), QStringLiteral("/api/v1/floats"), {},
                  {QStringLiteral("-H"), QStringLiteral("Content-Length: 999999")})
                 .status,
             413);
}

void TestApiTransfers::pauseResumeAndCancel()
{
    // 12 MiB, two copies, at 4 MB/s: several seconds of work (each float its own bytes: the
    // same bytes again would be found stored already).
    auto floatOf = [&](const QString& model) {
        const QString file = m_box->path(QStringLiteral("input/") + model);
        if (!test::writeFile(file, test::pseudoRandomBytes(12 * MiB, qHash(model))))
            return qint64(0);
        const CurlReply r =
            call(QStringLiteral("POST"), QStringLiteral("/api/v1/floats"),
                 QJsonDocument(QJsonObject{{QStringLiteral("paths"), QJsonArray{file}},
                                           {QStringLiteral("model"), model}})
                     .toJson(QJsonDocument::Compact));
        return r.json().value(QStringLiteral("transfer")).toInteger();
    };
    const qint64 id = floatOf(QStringLiteral("slow"));
    QVERIFY(id > 0);
    waitForState(id, {QStringLiteral("running")});
    const CurlReply pause =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/transfers/%1/pause").arg(id));
    QVERIFY2(pause.status == 202, pause.describe());
    const QJsonObject paused = waitForState(id, {QStringLiteral("paused"), QStringLiteral("done")});
    QCOMPARE(paused.value(QStringLiteral("state")).toString(), QStringLiteral("paused"));
    const CurlReply resume =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/transfers/%1/resume").arg(id));
    QVERIFY2(resume.status == 202, resume.describe());
    QCOMPARE(waitForState(id, {QStringLiteral("done"), QStringLiteral("failed")})
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("done"));

    const qint64 other = floatOf(QStringLiteral("cancelled"));
    QVERIFY(other > 0);
    waitForState(other, {QStringLiteral("running")});
    const CurlReply cancel =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/transfers/%1/cancel").arg(other));
    QVERIFY2(cancel.status == 202, cancel.describe());
    QCOMPARE(waitForState(other, {QStringLiteral("cancelled"), QStringLiteral("done")})
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("cancelled"));
}

// A client of GET /api/v1/events sees every transfer as it is, then each change as it happens.
void TestApiTransfers::eventsFollowATransfer()
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(socket.waitForConnected(10'000));
    socket.write("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port) +
                 "\r\nAuthorization: Bearer " + m_token + "\r\n\r\n");
    QByteArray received;
    QVERIFY(waitFor([&] {
        socket.waitForReadyRead(10);
        received += socket.readAll();
        return received.contains("\r\n\r\n");
    }));
    QVERIFY2(received.startsWith("HTTP/1.1 200"), received.constData());
    QVERIFY(received.contains("Content-Type: text/event-stream"));
    QVERIFY(!received.contains("Content-Length"));

    const CurlReply verify =
        call(QStringLiteral("POST"), QStringLiteral("/api/v1/models/up/verify"));
    QVERIFY2(verify.status == 202, verify.describe());
    const qint64 id = verify.json().value(QStringLiteral("transfer")).toInteger();
    // Events until this transfer's "done".
    QStringList statesSeen;
    QVERIFY2(waitFor([&] {
                 socket.waitForReadyRead(10);
                 received += socket.readAll();
                 qsizetype end;
                 while ((end = received.indexOf("\n\n")) >= 0) {
                     const QByteArray event = received.left(end);
                     received.remove(0, end + 2);
                     if (!event.startsWith("event: transfer\ndata: "))
                         continue;
                     const QJsonObject data =
                         QJsonDocument::fromJson(event.mid(event.indexOf("data: ") + 6)).object();
                     if (data.value(QStringLiteral("id")).toInteger() == id)
                         statesSeen << data.value(QStringLiteral("state")).toString();
                 }
                 return statesSeen.contains(QStringLiteral("done"));
             }),
             qPrintable(statesSeen.join(QLatin1Char(','))));
    QVERIFY(statesSeen.contains(QStringLiteral("running")) ||
            statesSeen.contains(QStringLiteral("queued")));
}

// Floating a local path or restoring into a folder reads or writes this computer's disk: from
// another computer (the server listens on every address here) that is refused, while reads and
// uploads are not.
void TestApiTransfers::localPathsOnlyFromThisComputer()
{
    QHostAddress outside;
    for (const QHostAddress& a : QNetworkInterface::allAddresses())
        if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback())
            outside = a;
    if (outside.isNull())
        QSKIP("This machine has no address other than loopback");
    auto from = [&](const QString& method, const QString& path, const QByteArray& json) {
        QStringList args{QStringLiteral("-X"),
                         method,
                         QStringLiteral("-H"),
                         QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token),
                         QStringLiteral("--data-binary"),
                         QString::fromUtf8(json)};
        return test::curlRequest(
            QStringLiteral("http://%1:%2%3").arg(outside.toString()).arg(m_port).arg(path), args,
            m_box->path(QStringLiteral("out")));
    };
    const CurlReply floatIt = from(QStringLiteral("POST"), QStringLiteral("/api/v1/floats"),
                                   R"({"paths": ["/etc/passwd"], "model": "stolen"})");
    QVERIFY2(floatIt.status == 403, floatIt.describe());
    const CurlReply restore =
        from(QStringLiteral("POST"), QStringLiteral("/api/v1/models/up/restore"),
             R"({"destination": "/tmp/x"})");
    QVERIFY2(restore.status == 403, restore.describe());
    const CurlReply verify =
        from(QStringLiteral("POST"), QStringLiteral("/api/v1/models/up/verify"), "{}");
    QVERIFY2(verify.status == 202, verify.describe());
}

QTEST_GUILESS_MAIN(TestApiTransfers)
#include "tst_apitransfers.moc"
