// The local HTTP API, against the real `modelfloat-cli serve` on a real vault with two local
// providers, and curl as the client: the REST endpoints, the token and the Host header checked,
// paths never leaving the registry, Range edge cases, a bad replica passed over, and a lost
// chunk ending the answer short, never with wrong bytes. The Hugging Face-compatible routes are
// tst_apihub's.

#include "apitestsupport.h"
#include "hub/appuses.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestApi final : public ApiTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { ApiTestBase::initTestCase(); }
    void cleanupTestCase() { ApiTestBase::cleanupTestCase(); }
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
    void badReplicaIsPassedOver();
    void lostChunkEndsTheAnswerShort();
};

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
    // And the copy the chunk cache kept from the reads before (docs/mount.md): a verified chunk
    // there would be served, as it should.
    QFile::remove(m_box->vault() + QStringLiteral("/chunk-cache/") + lost.cid);
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

    // While an app uses it (`modelfloat-cli use`) it stays: 409, naming the app.
    AppUses::Use use;
    use.model = QStringLiteral("gone");
    use.app = QStringLiteral("lmstudio");
    use.appName = QStringLiteral("LM Studio");
    QString why;
    QVERIFY2(AppUses::ofVault(m_box->vault()).add(use, &why), qPrintable(why));
    const Reply refused = get(QStringLiteral("/api/v1/models/gone"),
                              {QStringLiteral("-X"), QStringLiteral("DELETE")});
    QVERIFY2(refused.status == 409 && refused.body.contains("in use by LM Studio"),
             refused.describe());
    QVERIFY(QFile::exists(ownObject));
    QVERIFY(AppUses::ofVault(m_box->vault()).forget(use.model, use.app, &why));

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
