// GDriveProvider against the local Google Drive server (tests/peers/drive/drive-server.js, which
// tst_drivepeer checks with Google's Node client and rclone): sign-in through the loopback flow
// with PKCE (the test plays the browser), round trips and ranges, the lookup by CID, listing in
// pages, usage, a connection dropped mid-upload resumed with a status query, a session kept on
// disk resumed by a new adapter (a killed process), token expiry and revocation, rate limits,
// the storage quota, the daily upload cap as "no uploads until T", and rclone reading what
// ModelFloat stored.

#include "chunking/cid.h"
#include "credentials/plaintextcredentialstore.h"
#include "drivepeer.h"
#include "networkprovidertest.h"
#include "providers/gdrive/gdriveauth.h"
#include "providers/gdrive/gdriveprovider.h"
#include "providers/providerfactory.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

const QString VaultId = QStringLiteral("00000000-0000-4000-8000-0000000000d1");

RetryPolicy quickRetries()
{
    RetryPolicy p;
    p.maxAttempts = 5;
    p.baseDelayMs = 20;
    p.maxDelayMs = 100;
    return p;
}

QByteArray randomBytes(int size, quint32 seed)
{
    QByteArray b(size, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    for (char& c : b)
        c = char(rng.bounded(256));
    return b;
}

} // namespace

class TestDriveProvider final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void pkceVector();
    void signInWithTheBrowser();
    void signInRefusedOrForged();
    void roundTripRangesAndLookup();
    void listsInPagesAndUsage();
    void droppedUploadResumesMidChunk();
    void droppedDownloadResumesFromTheCut();
    void killedUploadResumesTheSameSession();
    void expiredTokenIsRefreshed();
    void revokedGrantAsksToSignInAgain();
    void rateLimitIsRetried();
    void fullDriveAndDailyCap();
    void rcloneReadsWhatModelFloatStored();
    void factoryMakesIt();

private:
    std::unique_ptr<GDriveProvider>
    makeProvider(const QString& folder, const QString& refreshToken = {}, int createsPerSecond = 0);
    QString putChunk(GDriveProvider& p, const QByteArray& data, Error* error = nullptr,
                     bool* alreadyStored = nullptr);
    int kindCount(const QString& kind)
    {
        return m_peer.stats().value(QStringLiteral("byKind")).toObject().value(kind).toInt();
    }

    DrivePeer m_peer;
    QTemporaryDir m_dir;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    int m_providers = 0;
};

void TestDriveProvider::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString()));
    m_store =
        std::make_unique<PlaintextCredentialStore>(m_dir.filePath(QStringLiteral("creds.json")));
}

std::unique_ptr<GDriveProvider> TestDriveProvider::makeProvider(const QString& folder,
                                                                const QString& refreshToken,
                                                                int createsPerSecond)
{
    QString refresh = refreshToken;
    if (refresh.isEmpty())
        refresh = m_peer.control(QStringLiteral("mint"))
                      .value(QStringLiteral("refresh_token"))
                      .toString();
    const QString key = CredentialStore::providerKey(VaultId, ++m_providers);
    if (!writeSecrets(*m_store, key,
                      {{QStringLiteral("clientSecret"), DrivePeer::clientSecret()},
                       {QStringLiteral("refreshToken"), refresh}}))
        return nullptr;
    ProviderContext context;
    context.credentials = m_store.get();
    context.vaultId = VaultId;
    GDriveProvider::Options o;
    o.folder = folder;
    o.apiUrl = QUrl(m_peer.baseUrl() + QLatin1Char('/'));
    o.createsPerSecond = createsPerSecond;
    o.limitWaitSeconds = 600;
    o.sessionDirectory = m_dir.filePath(QStringLiteral("sessions/%1").arg(folder));
    const QJsonObject settings{
        {QStringLiteral("clientId"), DrivePeer::clientId()},
        {QStringLiteral("authUrl"),
         QString(m_peer.baseUrl() + QStringLiteral("/o/oauth2/v2/auth"))},
        {QStringLiteral("tokenUrl"), QString(m_peer.baseUrl() + QStringLiteral("/token"))}};
    auto p =
        std::make_unique<GDriveProvider>(QStringLiteral("drive-test"), context, key, o, settings);
    p->setRetryPolicy(quickRetries());
    p->setStallTimeoutMs(3000);
    return p;
}

QString TestDriveProvider::putChunk(GDriveProvider& p, const QByteArray& data, Error* error,
                                    bool* alreadyStored)
{
    QString locator;
    Error e;
    const bool ok =
        runProviderJob(p.put(cid::ofData(data), sourceOf(data), data.size()), [&](ProviderJob& j) {
            e = j.error();
            locator = j.locator();
            if (alreadyStored)
                *alreadyStored = j.alreadyStored();
        });
    if (!ok)
        e = Error::make(Error::Kind::Fatal, QStringLiteral("the put did not finish"));
    if (error)
        *error = e;
    else if (e)
        qWarning("put failed: %s", qPrintable(e.message));
    return e ? QString() : locator;
}

void TestDriveProvider::pkceVector()
{
    // RFC 7636, appendix B.
    QCOMPARE(gdrive::codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
             QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    const QByteArray v = gdrive::makeCodeVerifier();
    QCOMPARE(v.size(), 43);
    QVERIFY(QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]{43}$"))
                .match(QString::fromLatin1(v))
                .hasMatch());
}

void TestDriveProvider::signInWithTheBrowser()
{
    QUrl opened;
    gdrive::setConsentPageOpener([&opened](const QUrl& u) { opened = u; });
    gdrive::OAuthClient client{DrivePeer::clientId(), DrivePeer::clientSecret(),
                               QUrl(m_peer.baseUrl() + QStringLiteral("/o/oauth2/v2/auth")),
                               QUrl(m_peer.baseUrl() + QStringLiteral("/token"))};
    gdrive::SignInJob job(client);
    QSignalSpy finished(&job, &CredentialJob::finished);
    job.start();
    QVERIFY(opened.isValid());
    const QUrlQuery q(opened);
    QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
    QVERIFY(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded)
                .startsWith(QLatin1String("http://127.0.0.1:")));
    // A request without the state is not the answer: 400, and the wait goes on.
    {
        QNetworkAccessManager nam;
        const QUrl redirect(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded) +
                            QStringLiteral("?code=4/forged&state=wrong"));
        std::unique_ptr<QNetworkReply> r(nam.get(QNetworkRequest(redirect)));
        QSignalSpy done(r.get(), &QNetworkReply::finished);
        QVERIFY(r->isFinished() || done.wait(10000));
        QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 400);
        QVERIFY(finished.isEmpty());
    }
    int status = 0;
    const QByteArray page = m_peer.playBrowser(opened, &status);
    QCOMPARE(status, 200);
    QVERIFY(page.contains("close this page"));
    QVERIFY(!finished.isEmpty() || finished.wait(20000));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    // The server issued the code "4/…": it reached the token request decoded once, or the
    // exchange (PKCE verified by the server) would have failed.
    const QString refresh = job.secrets().value(QStringLiteral("refreshToken")).toString();
    QVERIFY(refresh.startsWith(QLatin1String("1//")));
    QCOMPARE(job.secrets().value(QStringLiteral("clientSecret")).toString(),
             DrivePeer::clientSecret());

    // The refresh token works.
    auto p = makeProvider(QStringLiteral("SignedIn"), refresh);
    QVERIFY(!putChunk(*p, randomBytes(1000, 1)).isEmpty());
    gdrive::setConsentPageOpener({});
}

void TestDriveProvider::signInRefusedOrForged()
{
    QUrl opened;
    gdrive::setConsentPageOpener([&opened](const QUrl& u) { opened = u; });
    gdrive::OAuthClient client{DrivePeer::clientId(), DrivePeer::clientSecret(),
                               QUrl(m_peer.baseUrl() + QStringLiteral("/o/oauth2/v2/auth")),
                               QUrl(m_peer.baseUrl() + QStringLiteral("/token"))};
    {
        // The user presses "Cancel" on the consent screen.
        gdrive::SignInJob job(client);
        QSignalSpy finished(&job, &CredentialJob::finished);
        job.start();
        m_peer.playBrowser(opened, nullptr, true);
        QVERIFY(!finished.isEmpty() || finished.wait(20000));
        QCOMPARE(job.error().kind, Error::Kind::Authentication);
        QVERIFY(job.secrets().isEmpty());
    }
    {
        // A wrong client secret: the token endpoint refuses the client.
        gdrive::OAuthClient wrong = client;
        wrong.clientSecret = QStringLiteral("not-the-secret");
        gdrive::SignInJob job(wrong);
        QSignalSpy finished(&job, &CredentialJob::finished);
        job.start();
        m_peer.playBrowser(opened);
        QVERIFY(!finished.isEmpty() || finished.wait(20000));
        QCOMPARE(job.error().kind, Error::Kind::Authentication);
        QVERIFY(!job.error().message.contains(QLatin1String("not-the-secret")));
    }
    gdrive::setConsentPageOpener({});
}

void TestDriveProvider::roundTripRangesAndLookup()
{
    auto p = makeProvider(QStringLiteral("RoundTrip"));
    const QByteArray data = randomBytes(3 * 262144 + 777, 2);
    bool already = true;
    const QString id = putChunk(*p, data, nullptr, &already);
    QVERIFY(!id.isEmpty());
    QVERIFY(!already);

    BufferSink whole;
    QCOMPARE(runProviderJob(p->get(id, &whole)).kind, Error::Kind::None);
    QVERIFY(whole.bytes() == data);
    BufferSink part;
    QCOMPARE(runProviderJob(p->get(id, &part, 262100, 300)).kind, Error::Kind::None);
    QVERIFY(part.bytes() == data.mid(262100, 300));
    BufferSink tail;
    QCOMPARE(runProviderJob(p->get(id, &tail, data.size() - 10)).kind, Error::Kind::None);
    QVERIFY(tail.bytes() == data.right(10));

    qint64 size = -1;
    runProviderJob(p->stat(id), [&](ProviderJob& j) { size = j.objectSize(); });
    QCOMPARE(size, qint64(data.size()));

    // Stored again: found by its CID with one query, nothing sent.
    const int resumable = kindCount(QStringLiteral("upload.resumable"));
    QString again;
    QCOMPARE(again = putChunk(*p, data, nullptr, &already), id);
    QVERIFY(already);
    QCOMPARE(kindCount(QStringLiteral("upload.resumable")), resumable);
    // A new adapter (another process) finds it too.
    auto other = makeProvider(QStringLiteral("RoundTrip"));
    QCOMPARE(putChunk(*other, data, nullptr, &already), id);
    QVERIFY(already);

    QCOMPARE(runProviderJob(p->remove(id)).kind, Error::Kind::None);
    QCOMPARE(runProviderJob(p->remove(id)).kind, Error::Kind::None); // gone: still fine
    QCOMPARE(runProviderJob(p->stat(id)).kind, Error::Kind::NotFound);
    BufferSink none;
    QCOMPARE(runProviderJob(p->get(id, &none)).kind, Error::Kind::NotFound);
    QCOMPARE(runProviderJob(p->get(QStringLiteral("../etc"), &none)).kind, Error::Kind::NotFound);
}

void TestDriveProvider::listsInPagesAndUsage()
{
    auto p = makeProvider(QStringLiteral("Listing"));
    QSet<QString> ids;
    for (int i = 0; i < 5; ++i)
        ids.insert(putChunk(*p, randomBytes(2000 + i, 100 + i)));
    QCOMPARE(ids.size(), 5);
    QList<StoredObject> objects;
    QCOMPARE(runProviderJob(p->list(), [&](ProviderJob& j) { objects = j.objects(); }), true);
    QSet<QString> listed;
    for (const StoredObject& o : objects)
        listed.insert(o.locator);
    QCOMPARE(listed, ids);

    ProviderUsage u;
    QVERIFY(runProviderJob(p->usage(), [&](ProviderJob& j) { u = j.usage(); }));
    QVERIFY(u.usedBytes >= 5 * 2000);
    QCOMPARE(u.quotaBytes, qint64(15) * 1024 * 1024 * 1024);
    QCOMPARE(u.availableBytes, u.quotaBytes - u.usedBytes);
}

void TestDriveProvider::droppedUploadResumesMidChunk()
{
    auto p = makeProvider(QStringLiteral("Dropped"));
    const QByteArray data = randomBytes(4 * 262144 + 5000, 3);
    // The connection drops after 2.5 pieces: the server keeps two whole pieces.
    m_peer.fault({{QStringLiteral("dropAfterBytes"), 2 * 262144 + 131072},
                  {QStringLiteral("path"), QStringLiteral("upload_id=")}});
    const int statusQueriesBefore = kindCount(QStringLiteral("upload.session"));
    const int sessionsBefore = kindCount(QStringLiteral("upload.resumable"));
    const QString id = putChunk(*p, data);
    QVERIFY(!id.isEmpty());
    // One session only, a status query, and the rest sent from byte 524288.
    QCOMPARE(kindCount(QStringLiteral("upload.resumable")), sessionsBefore + 1);
    QCOMPARE(kindCount(QStringLiteral("upload.session")), statusQueriesBefore + 3);
    BufferSink back;
    QCOMPARE(runProviderJob(p->get(id, &back)).kind, Error::Kind::None);
    QVERIFY(back.bytes() == data);
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("sessions/Dropped"))).isEmpty());
    m_peer.resetFaults();
}

void TestDriveProvider::droppedDownloadResumesFromTheCut()
{
    // The connection drops after 300000 bytes of the file: the get asks for the rest only, and
    // every byte of the file crosses the wire once (HttpExchange's resume, for every kind).
    auto p = makeProvider(QStringLiteral("Cut"));
    const QByteArray data = randomBytes(700 * 1024 + 11, 4);
    const QString id = putChunk(*p, data);
    QVERIFY(!id.isEmpty());
    m_peer.fault({{QStringLiteral("dropAfterBytes"), 300000},
                  {QStringLiteral("method"), QStringLiteral("GET")},
                  {QStringLiteral("path"), QStringLiteral("alt=media")}});
    const int before = m_peer.stats().value(QStringLiteral("mediaBytes")).toInt();
    BufferSink back;
    QCOMPARE(runProviderJob(p->get(id, &back)).kind, Error::Kind::None);
    QVERIFY(back.bytes() == data);
    QCOMPARE(m_peer.stats().value(QStringLiteral("mediaCuts")).toInt(), 1);
    QCOMPARE(m_peer.stats().value(QStringLiteral("mediaBytes")).toInt() - before, data.size());
    m_peer.resetFaults();
}

void TestDriveProvider::killedUploadResumesTheSameSession()
{
    const QByteArray data = randomBytes(4 * 262144 + 99, 4);
    QString sessionFile;
    {
        // The server stops reading mid-chunk; the process "dies": the job is aborted and the
        // adapter destroyed, as a killed process would leave it (the session file stays).
        auto p = makeProvider(QStringLiteral("Killed"));
        sessionFile = p->sessionFile(cid::ofData(data));
        m_peer.fault({{QStringLiteral("stallAfterBytes"), 3 * 262144 + 100},
                      {QStringLiteral("path"), QStringLiteral("upload_id=")}});
        ProviderJob* job = p->put(cid::ofData(data), sourceOf(data), data.size());
        std::unique_ptr<ProviderJob> owned(job);
        QSignalSpy finished(job, &ProviderJob::finished);
        job->start();
        QVERIFY(QTest::qWaitFor(
            [&] { return m_peer.stats().value(QStringLiteral("stalled")).toInt() >= 1; }, 30000));
        job->abort();
        QVERIFY(finished.wait(10000));
        QCOMPARE(job->error().kind, Error::Kind::Cancelled);
        QVERIFY(QFile::exists(sessionFile));
        m_peer.resetFaults();
    }
    const int sessionsBefore = kindCount(QStringLiteral("upload.resumable"));
    auto p = makeProvider(QStringLiteral("Killed"));
    QCOMPARE(p->sessionFile(cid::ofData(data)), sessionFile);
    const QString id = putChunk(*p, data);
    QVERIFY(!id.isEmpty());
    QCOMPARE(kindCount(QStringLiteral("upload.resumable")), sessionsBefore); // the same session
    QVERIFY(!QFile::exists(sessionFile));
    BufferSink back;
    QCOMPARE(runProviderJob(p->get(id, &back)).kind, Error::Kind::None);
    QVERIFY(back.bytes() == data);
}

void TestDriveProvider::expiredTokenIsRefreshed()
{
    auto p = makeProvider(QStringLiteral("Expiry"));
    QVERIFY(!putChunk(*p, randomBytes(100, 5)).isEmpty());
    QCOMPARE(p->tokens().refreshes(), 1);
    // Two hours later on the server's clock: the access token is dead; one 401, one refresh.
    m_peer.advanceClock(qint64(2) * 3600 * 1000);
    QVERIFY(!putChunk(*p, randomBytes(100, 6)).isEmpty());
    QCOMPARE(p->tokens().refreshes(), 2);
}

void TestDriveProvider::revokedGrantAsksToSignInAgain()
{
    const QString refresh =
        m_peer.control(QStringLiteral("mint")).value(QStringLiteral("refresh_token")).toString();
    auto p = makeProvider(QStringLiteral("Revoked"), refresh);
    QVERIFY(!putChunk(*p, randomBytes(100, 7)).isEmpty());
    QVERIFY(m_peer.revoke(refresh));

    Error e;
    putChunk(*p, randomBytes(100, 8), &e);
    QCOMPARE(e.kind, Error::Kind::Authentication);
    QVERIFY2(e.message.contains(QLatin1String("sign in again")), qPrintable(e.message));
    QVERIFY(!e.message.contains(refresh));
}

void TestDriveProvider::rateLimitIsRetried()
{
    auto p = makeProvider(QStringLiteral("Rate"));
    QVERIFY(!putChunk(*p, randomBytes(100, 9)).isEmpty()); // the folder exists
    // A 403 rate limit is Drive asking for fewer requests at once, as a 429 or 503 would.
    QCOMPARE(p->concurrencyLimit(), ConcurrencyGovernor::Start);
    m_peer.fault({{QStringLiteral("method"), QStringLiteral("POST")},
                  {QStringLiteral("path"), QStringLiteral("uploadType=resumable")},
                  {QStringLiteral("times"), 1},
                  {QStringLiteral("status"), 403},
                  {QStringLiteral("reason"), QStringLiteral("userRateLimitExceeded")}});
    QVERIFY(!putChunk(*p, randomBytes(200, 8)).isEmpty());
    QCOMPARE(p->concurrencyLimit(), ConcurrencyGovernor::Start / 2);
    // Twice a 403 rate limit, then a 429 and a 503: all retried with backoff.
    m_peer.fault({{QStringLiteral("method"), QStringLiteral("POST")},
                  {QStringLiteral("path"), QStringLiteral("uploadType=resumable")},
                  {QStringLiteral("times"), 2},
                  {QStringLiteral("status"), 403},
                  {QStringLiteral("reason"), QStringLiteral("userRateLimitExceeded")},
                  {QStringLiteral("message"),
                   QStringLiteral("User Rate Limit Exceeded. Rate of requests for user exceed "
                                  "configured project quota.")}});
    m_peer.fault({{QStringLiteral("method"), QStringLiteral("POST")},
                  {QStringLiteral("path"), QStringLiteral("uploadType=resumable")},
                  {QStringLiteral("status"), 429},
                  {QStringLiteral("reason"), QStringLiteral("rateLimitExceeded")}});
    m_peer.fault({{QStringLiteral("method"), QStringLiteral("POST")},
                  {QStringLiteral("path"), QStringLiteral("uploadType=resumable")},
                  {QStringLiteral("status"), 503},
                  {QStringLiteral("reason"), QStringLiteral("backendError")}});
    const QByteArray data = randomBytes(3000, 10);
    const QString id = putChunk(*p, data);
    QVERIFY(!id.isEmpty());
    m_peer.resetFaults();

    // Paced creations: the server refuses more than 2 new files a second (no burst); an adapter
    // that creates at most one a second is never refused, even with puts started together.
    const int refusedBefore = m_peer.stats()
                                  .value(QStringLiteral("errors"))
                                  .toObject()
                                  .value(QStringLiteral("userRateLimitExceeded"))
                                  .toInt();
    m_peer.configure({{QStringLiteral("createPerSecond"), 2}, {QStringLiteral("createBurst"), 1}});
    auto paced = makeProvider(QStringLiteral("Rate"), {}, 1);
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (int i = 0; i < 3; ++i) {
        const QByteArray chunk = randomBytes(3000, 20 + i);
        jobs.emplace_back(paced->put(cid::ofData(chunk), sourceOf(chunk), chunk.size()));
        spies.push_back(std::make_unique<QSignalSpy>(jobs.back().get(), &ProviderJob::finished));
        jobs.back()->start();
    }
    for (int i = 0; i < 3; ++i) {
        QVERIFY(!spies[i]->isEmpty() || spies[i]->wait(30000));
        QVERIFY2(jobs[i]->error().ok(), qPrintable(jobs[i]->error().message));
    }
    QCOMPARE(m_peer.stats()
                 .value(QStringLiteral("errors"))
                 .toObject()
                 .value(QStringLiteral("userRateLimitExceeded"))
                 .toInt(),
             refusedBefore);
    m_peer.configure({{QStringLiteral("createPerSecond"), 0}});
}

void TestDriveProvider::fullDriveAndDailyCap()
{
    auto p = makeProvider(QStringLiteral("Limits"));
    QVERIFY(!putChunk(*p, randomBytes(100, 12)).isEmpty());
    const qint64 used = m_peer.stats().value(QStringLiteral("uploadedToday")).toInteger();

    // The daily cap: "no uploads until T", T from the provider's limitWait.
    m_peer.configure({{QStringLiteral("uploadCapBytes"), used}});
    Error e;
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    putChunk(*p, randomBytes(5000, 13), &e);
    QVERIFY2(e.isOutOfBudget(), qPrintable(e.message));
    QVERIFY(e.budgetResetMs >= before + 600 * 1000);
    QVERIFY(e.message.contains(QLatin1String("daily upload limit")));
    // A day later on the server's clock, the cap is lifted.
    m_peer.advanceClock(qint64(25) * 3600 * 1000);
    QVERIFY(!putChunk(*p, randomBytes(5000, 13)).isEmpty());
    m_peer.configure({{QStringLiteral("uploadCapBytes"), qint64(750) * 1024 * 1024 * 1024}});

    // A full Drive: QuotaExceeded without a reset time (chunks go elsewhere).
    m_peer.configure({{QStringLiteral("storageLimitBytes"), 1}});
    putChunk(*p, randomBytes(5000, 14), &e);
    QCOMPARE(e.kind, Error::Kind::QuotaExceeded);
    QVERIFY(!e.isOutOfBudget());
    m_peer.configure({{QStringLiteral("storageLimitBytes"), qint64(15) * 1024 * 1024 * 1024}});
}

void TestDriveProvider::rcloneReadsWhatModelFloatStored()
{
    auto p = makeProvider(QStringLiteral("ForRclone"));
    const QByteArray data = randomBytes(2 * 1024 * 1024 + 17, 15);
    QVERIFY(!putChunk(*p, data).isEmpty());
    QByteArray out;
    QVERIFY(m_peer.rclone(
        {QStringLiteral("cat"), QStringLiteral("gd:ForRclone/") + cid::ofData(data)}, &out));
    QVERIFY(out == data);
    QVERIFY(m_peer.rclone(
        {QStringLiteral("lsjson"), QStringLiteral("--hash"), QStringLiteral("gd:ForRclone")},
        &out));
    const QJsonArray listed = QJsonDocument::fromJson(out).array();
    QCOMPARE(listed.size(), 1);
    QCOMPARE(listed.at(0)[QStringLiteral("Name")].toString(), cid::ofData(data));
}

void TestDriveProvider::factoryMakesIt()
{
    ProviderFactory factory;
    const ProviderKind* kind = factory.kind(QStringLiteral("gdrive"));
    QVERIFY(kind);
    QVERIFY(bool(kind->signIn));
    QVERIFY(kind->field(QStringLiteral("clientSecret"))->isSecret());
    ProviderRecord r;
    r.id = 7;
    r.kind = QStringLiteral("gdrive");
    r.name = QStringLiteral("drive");
    QString error;
    ProviderContext context;
    QVERIFY(!factory.create(r, context, &error));
    QVERIFY(error.contains(QLatin1String("client id")));
    r.settings = {{QStringLiteral("clientId"), DrivePeer::clientId()}};
    auto p = factory.create(r, context, &error);
    QVERIFY2(p, qPrintable(error));
    QCOMPARE(p->kind(), QStringLiteral("gdrive"));
}

QTEST_GUILESS_MAIN(TestDriveProvider)
#include "tst_driveprovider.moc"
