// No credential follows a redirect to another origin. Each adapter that sends a secret (WebDAV's
// Basic password, IPFS's Authorization header, S3's signature) talks to a real local server that
// answers every request with a redirect to a second server on another port; that second server
// records every request it receives. The secret must never reach it, and the operation must
// fail with a message that says why. A redirect within the same origin is still followed.

#include "chunking/cid.h"
#include "credentials/plaintextcredentialstore.h"
#include "networkprovidertest.h"
#include "providers/network/networkprovider.h"
#include "providers/providerfactory.h"
#include "recordingserver.h"
#include "testsupport.h"

#include <QUuid>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestRedirects final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void secretsStayWithTheirOrigin_data();
    void secretsStayWithTheirOrigin();
    void sameOriginRedirectIsFollowed();

private:
    std::unique_ptr<Provider> make(const QString& kind, const QString& origin);

    QTemporaryDir m_dir;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    qint64 m_nextId = 0;
};

void TestRedirects::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_store = std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("credentials.json")));
}

// An adapter of `kind` whose server is `origin`, with its secret in the credential store.
std::unique_ptr<Provider> TestRedirects::make(const QString& kind, const QString& origin)
{
    ProviderRecord r;
    r.id = ++m_nextId;
    r.kind = kind;
    r.name = kind;
    QJsonObject secrets;
    if (kind == QLatin1String("webdav")) {
        r.settings.insert(QStringLiteral("url"), QString(origin + QStringLiteral("/dav/")));
        r.settings.insert(QStringLiteral("username"), QStringLiteral("mf"));
        secrets.insert(QStringLiteral("password"), QStringLiteral("dav-secret"));
    } else if (kind == QLatin1String("s3")) {
        r.settings = QJsonObject{
            {QStringLiteral("endpoint"), origin},
            {QStringLiteral("bucket"), QStringLiteral("bucket")},
            {QStringLiteral("accessKeyId"), QStringLiteral("AKIDREDIRECT")},
            {QStringLiteral("region"), QStringLiteral("us-east-1")},
            {QStringLiteral("addressing"), QStringLiteral("path")},
        };
        secrets.insert(QStringLiteral("secretAccessKey"), QStringLiteral("s3-secret"));
    } else if (kind == QLatin1String("ipfs")) {
        r.settings.insert(QStringLiteral("apiUrl"), origin);
        secrets.insert(QStringLiteral("authorization"), QStringLiteral("Bearer ipfs-secret"));
    }
    ProviderContext context;
    context.credentials = m_store.get();
    context.vaultId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    context.tempDirectory = m_dir.path();
    if (!writeSecrets(*m_store, CredentialStore::providerKey(context.vaultId, r.id), secrets))
        return nullptr;
    QString error;
    ProviderFactory factory;
    std::unique_ptr<Provider> p = factory.create(r, context, &error);
    if (!p)
        qWarning("%s", qPrintable(error));
    if (auto* n = qobject_cast<NetworkProvider*>(p.get())) {
        RetryPolicy quick; // a failure here is not worth waiting for
        quick.maxAttempts = 2;
        quick.baseDelayMs = 20;
        quick.maxDelayMs = 50;
        n->setRetryPolicy(quick);
    }
    return p;
}

void TestRedirects::secretsStayWithTheirOrigin_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("status");
    for (const char* kind : {"webdav", "s3", "ipfs"})
        for (int status : {302, 307, 308})
            QTest::addRow("%s %d", kind, status) << QString::fromLatin1(kind) << status;
}

// The configured server redirects everything to another port: the other server never sees the
// secret (nor any request that would carry it), and the adapter says it was redirected.
void TestRedirects::secretsStayWithTheirOrigin()
{
    QFETCH(QString, kind);
    QFETCH(int, status);
    RecordingServer other([](const QByteArray&) { return httpResponse("200 OK", {}, "bytes"); });
    QVERIFY(other.listen());
    RecordingServer configured([&](const QByteArray& path) {
        return httpResponse(QByteArray::number(status) + " Moved",
                            "Location: " + other.origin().toUtf8() + path + "\r\n");
    });
    QVERIFY(configured.listen());
    std::unique_ptr<Provider> p = make(kind, configured.origin());
    QVERIFY(p);

    const QByteArray data("some chunk bytes");
    const QString cid = cid::ofData(data);
    const Error put = runProviderJob(p->put(cid, sourceOf(data), data.size()));
    BufferSink sink;
    const Error get = runProviderJob(p->get(cid, &sink));
    const Error stat = runProviderJob(p->stat(cid));

    QVERIFY2(!configured.heads().isEmpty(), "the adapter never asked its server");
    for (const QByteArray& head : other.heads())
        qInfo("the other origin received: %s", head.constData());
    QVERIFY2(!other.sawHeader("Authorization"),
             "a secret reached a server the user did not configure");
    QVERIFY(!other.sawHeader("Proxy-Authorization"));
    QVERIFY(!other.sawHeader("X-Amz-Security-Token"));
    QVERIFY(other.heads().isEmpty());
    for (const Error& e : {put, get, stat}) {
        QVERIFY(!e.ok());
        QVERIFY2(e.message.contains(QStringLiteral("redirect")), qPrintable(e.message));
        QVERIFY2(e.message.contains(other.origin()), qPrintable(e.message));
        QVERIFY2(!e.message.contains(QStringLiteral("secret")), qPrintable(e.message));
    }
}

// A redirect that stays on the configured origin (a server moving a path) is still followed,
// credentials and all.
void TestRedirects::sameOriginRedirectIsFollowed()
{
    std::unique_ptr<RecordingServer> server;
    server = std::make_unique<RecordingServer>([&](const QByteArray& path) {
        if (path.startsWith("/moved/"))
            return httpResponse("200 OK", {}, "stored bytes");
        return httpResponse("307 Moved",
                            "Location: " + server->origin().toUtf8() + "/moved" + path + "\r\n");
    });
    QVERIFY(server->listen());
    std::unique_ptr<Provider> p = make(QStringLiteral("webdav"), server->origin());
    QVERIFY(p);
    BufferSink sink;
    const Error get = runProviderJob(p->get(cid::ofData("stored bytes"), &sink));
    QVERIFY2(get.ok(), qPrintable(get.message));
    QCOMPARE(sink.bytes(), QByteArray("stored bytes"));
    QCOMPARE(server->heads().size(), 2);
    QVERIFY(server->heads().at(1).startsWith("GET /moved/"));
    QVERIFY(server->heads().at(1).toLower().contains("authorization: basic"));
}

QTEST_GUILESS_MAIN(TestRedirects)
#include "tst_redirects.moc"
