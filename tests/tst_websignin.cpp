// The web page's serving and sign-in against the real `modelfloat-cli serve`, with curl: the
// page's files (security headers, ETags), the one-time sign-in link traded for a session
// cookie, the CSRF token a cookie's mutating request needs, ending every session, and the page
// a signed-in browser gets (its style sheet inline, the list's first rows in it, names escaped).

#include "apitestsupport.h"
#include "qrtestsupport.h"

#include <QNetworkInterface>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestWebSignIn final : public ApiTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { ApiTestBase::initTestCase(); }
    void cleanupTestCase() { ApiTestBase::cleanupTestCase(); }
    void pageIsServedWithStrictHeaders();
    void pageFilesAreCachedByEtag();
    void signInLinkGivesASessionOnce();
    void expiredSignInCodeIsRefused();
    void cookieMutationsNeedTheCsrfToken();
    void sessionCannotMakeSignInLinks();
    void signingOutEndsTheSession();
    void logoutAllEndsEverySession();
    void servePrintsAWorkingSignInLink();
    void onEveryAddressTheLinkNamesOneAPhoneReaches();
    void overTlsTheCookieIsSecure();
    void signedInPageComesWithTheFirstRows();

private:
    // A new sign-in link from the server (with the token); empty on failure.
    QString newLink(int lifetimeSeconds = 0);
    // Opens `link` as a browser would; the session cookie's value it set (empty if none).
    QByteArray signIn(const QString& link, Reply* reply = nullptr);
    Reply withCookie(const QString& path, const QByteArray& session, const QStringList& extra = {});
};

QString TestWebSignIn::newLink(int lifetimeSeconds)
{
    const QStringList body =
        lifetimeSeconds > 0
            ? QStringList{QStringLiteral("-d"),
                          QStringLiteral("{\"lifetimeSeconds\": %1}").arg(lifetimeSeconds)}
            : QStringList{QStringLiteral("-d"), QString()};
    const Reply r = get(QStringLiteral("/api/v1/session/links"),
                        QStringList{QStringLiteral("-X"), QStringLiteral("POST")} + body);
    if (r.status != 201) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return r.json().value(QStringLiteral("link")).toString();
}

QByteArray TestWebSignIn::signIn(const QString& link, Reply* reply)
{
    const QString prefix = url(QString());
    const Reply r = get(link.mid(prefix.size()), {}, false);
    if (reply)
        *reply = r;
    const QByteArray cookie = r.header("set-cookie");
    if (!cookie.startsWith("mf_session="))
        return {};
    return cookie.mid(11, cookie.indexOf(';') - 11);
}

Reply TestWebSignIn::withCookie(const QString& path, const QByteArray& session,
                                const QStringList& extra)
{
    return get(path,
               QStringList{QStringLiteral("-H"),
                           QStringLiteral("Cookie: mf_session=") + QString::fromLatin1(session)} +
                   extra,
               false);
}

void TestWebSignIn::pageIsServedWithStrictHeaders()
{
    // The page holds no data: it is served without the token, and finds the session itself.
    const Reply page = get(QStringLiteral("/"), {}, false);
    QVERIFY2(page.status == 200, page.describe());
    QVERIFY(page.header("content-type").startsWith("text/html"));
    QVERIFY(page.body.contains("<script type=\"module\" src=\"/web/app.js\">"));
    const QByteArray csp = page.header("content-security-policy");
    QVERIFY2(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") &&
                 !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
             csp.constData());
    QCOMPARE(page.header("x-content-type-options"), QByteArray("nosniff"));
    QCOMPARE(page.header("x-frame-options"), QByteArray("DENY"));
    QCOMPARE(page.header("referrer-policy"), QByteArray("no-referrer"));
    QVERIFY(page.header("access-control-allow-origin").isEmpty()); // still no CORS
    // No inline script anywhere in the page: the policy would refuse it.
    QVERIFY(!page.body.contains("<script>"));

    const Reply script = get(QStringLiteral("/web/app.js"), {}, false);
    QVERIFY2(script.status == 200, script.describe());
    QVERIFY(script.header("content-type").startsWith("text/javascript"));
    // The API's own answers carry the policy too.
    QVERIFY(!get(QStringLiteral("/api/v1/models")).header("content-security-policy").isEmpty());

    // Only the page's own files: nothing else of the resources, no path.
    for (const QString& bad :
         {QStringLiteral("/web/nothing.js"), QStringLiteral("/web/..%2Fapi.js"),
          QStringLiteral("/web/APP.JS"), QStringLiteral("/web/")}) {
        const Reply r = get(bad, {}, false);
        QVERIFY2(r.status == 404 || r.status == 401,
                 qPrintable(bad + QLatin1Char(' ') + QString::fromUtf8(r.describe())));
    }
    // The DNS-rebinding check holds for the page too.
    const Reply rebound =
        get(QStringLiteral("/"),
            {QStringLiteral("-H"), QStringLiteral("Host: evil.example:%1").arg(m_port)}, false);
    QCOMPARE(rebound.status, 421);
    const Reply posted =
        get(QStringLiteral("/"), {QStringLiteral("-X"), QStringLiteral("POST")}, false);
    QCOMPARE(posted.status, 405);
}

void TestWebSignIn::pageFilesAreCachedByEtag()
{
    const Reply first = get(QStringLiteral("/web/app.css"), {}, false);
    QVERIFY2(first.status == 200, first.describe());
    const QByteArray etag = first.header("etag");
    QVERIFY2(etag.startsWith('"') && etag.size() > 10, etag.constData());
    QCOMPARE(first.header("cache-control"), QByteArray("no-cache"));
    const Reply again = get(QStringLiteral("/web/app.css"),
                            {QStringLiteral("-H"),
                             QStringLiteral("If-None-Match: \"x\", ") + QString::fromLatin1(etag)},
                            false);
    QCOMPARE(again.status, 304);
    QVERIFY(again.body.isEmpty());
    const Reply changed =
        get(QStringLiteral("/web/app.css"),
            {QStringLiteral("-H"), QStringLiteral("If-None-Match: \"other\"")}, false);
    QCOMPARE(changed.status, 200);
    QCOMPARE(changed.body, first.body);
}

void TestWebSignIn::signInLinkGivesASessionOnce()
{
    const QString link = newLink();
    QVERIFY(link.startsWith(url(QStringLiteral("/signin?code="))));
    // A HEAD (a link preview's) spends nothing.
    const Reply head = get(link.mid(url(QString()).size()), {QStringLiteral("-I")}, false);
    QCOMPARE(head.status, 405);
    Reply opened;
    const QByteArray session = signIn(link, &opened);
    QVERIFY2(!session.isEmpty(), opened.describe());
    QCOMPARE(opened.status, 303);
    QCOMPARE(opened.header("location"), QByteArray("/"));
    const QByteArray cookie = opened.header("set-cookie");
    QVERIFY2(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict") &&
                 cookie.contains("; Max-Age=") && cookie.contains("; Path=/"),
             cookie.constData());

    // The session reads the API as the token does.
    const Reply models = withCookie(QStringLiteral("/api/v1/models"), session);
    QVERIFY2(models.status == 200, models.describe());
    QCOMPARE(models.json().value(QStringLiteral("total")).toInt(), 2);
    const Reply info = withCookie(QStringLiteral("/api/v1/session"), session);
    QVERIFY2(info.status == 200, info.describe());
    QVERIFY(info.json().value(QStringLiteral("csrfToken")).toString().size() >= 32);

    // The same link again signs nothing in.
    Reply reused;
    QVERIFY(signIn(link, &reused).isEmpty());
    QCOMPARE(reused.status, 403);
    QVERIFY2(reused.body.contains("already used or has expired"), reused.body.constData());
    // Nor does a made-up code, or none.
    QCOMPARE(get(QStringLiteral("/signin?code=abc"), {}, false).status, 403);
    QCOMPARE(get(QStringLiteral("/signin"), {}, false).status, 403);
    // A made-up cookie is no session.
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models"), "made-up").status, 401);
}

void TestWebSignIn::expiredSignInCodeIsRefused()
{
    const QString link = newLink(1);
    QVERIFY(!link.isEmpty());
    QTest::qWait(1500); // past its lifetime
    Reply late;
    QVERIFY(signIn(link, &late).isEmpty());
    QCOMPARE(late.status, 403);
    // The lifetime asked for is bounded.
    const Reply tooLong = get(QStringLiteral("/api/v1/session/links"),
                              {QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-d"),
                               QStringLiteral("{\"lifetimeSeconds\": 1e9}")});
    QCOMPARE(tooLong.status, 400);
}

void TestWebSignIn::cookieMutationsNeedTheCsrfToken()
{
    const QByteArray session = signIn(newLink());
    QVERIFY(!session.isEmpty());
    const QString csrf = withCookie(QStringLiteral("/api/v1/session"), session)
                             .json()
                             .value(QStringLiteral("csrfToken"))
                             .toString();
    QVERIFY(!csrf.isEmpty());
    // A removal a cookie alone asks for (what another page could make the browser send) is
    // refused, and removes nothing.
    const QStringList remove{QStringLiteral("-X"), QStringLiteral("DELETE")};
    Reply refused = withCookie(QStringLiteral("/api/v1/models/other"), session, remove);
    QCOMPARE(refused.status, 403);
    QVERIFY2(refused.body.contains("X-CSRF-Token"), refused.body.constData());
    refused = withCookie(
        QStringLiteral("/api/v1/models/other"), session,
        remove + QStringList{QStringLiteral("-H"), QStringLiteral("X-CSRF-Token: wrong")});
    QCOMPARE(refused.status, 403);
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models/other"), session).status, 200);
    const Reply verify =
        withCookie(QStringLiteral("/api/v1/models/other/verify"), session,
                   {QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-d"), QString()});
    QCOMPARE(verify.status, 403);
    // With the token, the same request goes through.
    const Reply verified =
        withCookie(QStringLiteral("/api/v1/models/other/verify"), session,
                   {QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-d"), QString(),
                    QStringLiteral("-H"), QStringLiteral("X-CSRF-Token: ") + csrf});
    QVERIFY2(verified.status == 202 || verified.status == 200, verified.describe());
    // Reads need none.
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models/other/files/other.bin"), session,
                        {QStringLiteral("-r"), QStringLiteral("0-9")})
                 .status,
             206);
}

void TestWebSignIn::sessionCannotMakeSignInLinks()
{
    const QByteArray session = signIn(newLink());
    QVERIFY(!session.isEmpty());
    const QString csrf = withCookie(QStringLiteral("/api/v1/session"), session)
                             .json()
                             .value(QStringLiteral("csrfToken"))
                             .toString();
    const Reply r =
        withCookie(QStringLiteral("/api/v1/session/links"), session,
                   {QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-d"), QString(),
                    QStringLiteral("-H"), QStringLiteral("X-CSRF-Token: ") + csrf});
    QCOMPARE(r.status, 403);
}

void TestWebSignIn::signingOutEndsTheSession()
{
    const QByteArray session = signIn(newLink());
    QVERIFY(!session.isEmpty());
    const QString csrf = withCookie(QStringLiteral("/api/v1/session"), session)
                             .json()
                             .value(QStringLiteral("csrfToken"))
                             .toString();
    const Reply out = withCookie(QStringLiteral("/api/v1/session"), session,
                                 {QStringLiteral("-X"), QStringLiteral("DELETE"),
                                  QStringLiteral("-H"), QStringLiteral("X-CSRF-Token: ") + csrf});
    QVERIFY2(out.status == 200, out.describe());
    QVERIFY(out.header("set-cookie").contains("Max-Age=0"));
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models"), session).status, 401);
}

void TestWebSignIn::logoutAllEndsEverySession()
{
    const QByteArray first = signIn(newLink());
    const QByteArray second = signIn(newLink());
    QVERIFY(!first.isEmpty() && !second.isEmpty());
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models"), first).status, 200);
    QTest::qWait(20); // a session made in the stamp's own millisecond would count as ended
    // From another process, while the server runs.
    const CliResult ended = m_box->run({QStringLiteral("serve"), QStringLiteral("--logout-all")});
    QVERIFY2(ended.code == 0, ended.describe());
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models"), first).status, 401);
    QCOMPARE(withCookie(QStringLiteral("/api/v1/session"), second).status, 401);
    // The token still works, and new links sign in again.
    QCOMPARE(get(QStringLiteral("/api/v1/models")).status, 200);
    QTest::qWait(20);
    const QByteArray again = signIn(newLink());
    QVERIFY(!again.isEmpty());
    QCOMPARE(withCookie(QStringLiteral("/api/v1/models"), again).status, 200);
}

void TestWebSignIn::servePrintsAWorkingSignInLink()
{
    QProcess server;
    QByteArray said;
    const quint16 port = startServer(server, {}, "/signin?code=", &said);
    QVERIFY2(port != 0, said.constData());
    const auto stop = qScopeGuard([&] {
        server.terminate();
        server.waitForFinished(60'000);
    });
    static const QRegularExpression linkPattern(
        QStringLiteral("(http://127\\.0\\.0\\.1:\\d+/signin\\?code=[A-Za-z0-9_-]+)"));
    const auto m = linkPattern.match(QString::fromUtf8(said));
    QVERIFY2(m.hasMatch(), said.constData());
    // Above it, the same link as a QR code in half blocks, for a phone: zbarimg reads it off the
    // terminal's text drawn as an image.
    const QString pbm = m_box->path(QStringLiteral("serve-qr.pbm"));
    QVERIFY2(test::halfBlocksToPbm(QString::fromUtf8(said), pbm), said.constData());
    QString zbar;
    QCOMPARE(test::zbarDecode(pbm, &zbar), m.captured(1));
    const Reply opened = test::curlRequest(m.captured(1), {}, m_box->path(QStringLiteral("out")));
    QCOMPARE(opened.status, 303);
    QVERIFY(opened.header("set-cookie").startsWith("mf_session="));
}

// serve --address 0.0.0.0 (the README's way to reach it from a phone): the link, and its QR
// code, name an address this computer has on its network, not 127.0.0.1, which on a phone is
// the phone; and the link signs in there. (127.0.0.1 only where it has no other address.)
void TestWebSignIn::onEveryAddressTheLinkNamesOneAPhoneReaches()
{
    QStringList networkAddresses;
    for (const QHostAddress& a : QNetworkInterface::allAddresses())
        if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback() && !a.isLinkLocal())
            networkAddresses.append(a.toString());
    QProcess server;
    QByteArray said;
    const quint16 port = startServer(
        server, {QStringLiteral("--address"), QStringLiteral("0.0.0.0")}, "/signin?code=", &said);
    QVERIFY2(port != 0, said.constData());
    const auto stop = qScopeGuard([&] {
        server.terminate();
        server.waitForFinished(60'000);
    });
    static const QRegularExpression linkPattern(
        QStringLiteral("(http://([0-9.]+):\\d+/signin\\?code=[A-Za-z0-9_-]+)"));
    const auto m = linkPattern.match(QString::fromUtf8(said));
    QVERIFY2(m.hasMatch(), said.constData());
    if (networkAddresses.isEmpty())
        QCOMPARE(m.captured(2), QStringLiteral("127.0.0.1"));
    else
        QVERIFY2(networkAddresses.contains(m.captured(2)),
                 qPrintable(m.captured(2) + QStringLiteral(" is not one of ") +
                            networkAddresses.join(QStringLiteral(", "))));
    const Reply opened = test::curlRequest(m.captured(1), {}, m_box->path(QStringLiteral("out")));
    QCOMPARE(opened.status, 303);
    QVERIFY(opened.header("set-cookie").startsWith("mf_session="));
}

// serve --tls-cert/--tls-key: HTTPS, whose sign-in link gives a Secure cookie; plain HTTP to
// it is no HTTP answer at all; a key that is not one is refused at start.
void TestWebSignIn::overTlsTheCookieIsSecure()
{
    const QString cert = m_box->path(QStringLiteral("tls/cert.pem"));
    const QString key = m_box->path(QStringLiteral("tls/key.pem"));
    QVERIFY(QDir().mkpath(m_box->path(QStringLiteral("tls"))));
    QString made;
    QVERIFY2(test::runProcess(
                 QStringLiteral("openssl"),
                 {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                  QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                  key, QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("1"),
                  QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")},
                 &made),
             qPrintable(made));

    const CliResult badKey =
        m_box->run({QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                    QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), cert});
    QVERIFY(badKey.code != 0);
    QVERIFY2(badKey.err.contains("no PEM private key"), badKey.describe());
    const CliResult half =
        m_box->run({QStringLiteral("serve"), QStringLiteral("--tls-cert"), cert});
    QVERIFY(half.code != 0);
    QVERIFY2(half.err.contains("go together"), half.describe());

    QProcess server;
    server.setProcessEnvironment(m_box->environment());
    server.setWorkingDirectory(m_box->root());
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(test::CliSandbox::cli(),
                 {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                  QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key});
    QVERIFY(server.waitForStarted());
    const auto stop = qScopeGuard([&] {
        server.terminate();
        server.waitForFinished(60'000);
    });
    static const QRegularExpression linkPattern(
        QStringLiteral("(https://127\\.0\\.0\\.1:(\\d+)/signin\\?code=[A-Za-z0-9_-]+)"));
    QByteArray said;
    QRegularExpressionMatch m;
    while (!m.hasMatch() && server.waitForReadyRead(60'000)) {
        said += server.readAll();
        m = linkPattern.match(QString::fromUtf8(said));
    }
    QVERIFY2(m.hasMatch(), said.constData());
    const QString scratch = m_box->path(QStringLiteral("out"));
    const Reply opened = test::curlRequest(m.captured(1), {QStringLiteral("-k")}, scratch);
    QCOMPARE(opened.status, 303);
    const QByteArray cookie = opened.header("set-cookie");
    QVERIFY2(cookie.startsWith("mf_session=") && cookie.contains("; Secure") &&
                 cookie.contains("; HttpOnly"),
             cookie.constData());
    const QString base = QStringLiteral("https://127.0.0.1:") + m.captured(2);
    const Reply models = test::curlRequest(
        base + QStringLiteral("/api/v1/models"),
        {QStringLiteral("-k"), QStringLiteral("-H"),
         QStringLiteral("Cookie: ") + QString::fromLatin1(cookie.left(cookie.indexOf(';')))},
        scratch);
    QCOMPARE(models.status, 200);
    // Plain HTTP to the TLS port gets no HTTP answer.
    const Reply plain =
        test::curlRequest(QStringLiteral("http://127.0.0.1:") + m.captured(2) + QStringLiteral("/"),
                          {QStringLiteral("--max-time"), QStringLiteral("20")}, scratch);
    QCOMPARE(plain.status, 0);
}

// Signed in, `/` comes with the model list's first page rendered into it, so that the first paint
// shows the models: every text from the registry escaped (a name is hostile input), the style
// sheet inline and allowed by its hash alone (still no inline script). Not signed in, the page
// holds no data and is cached by its ETag.
void TestWebSignIn::signedInPageComesWithTheFirstRows()
{
    const QString hostile = QStringLiteral("<img src=x onerror=\"alert(1)\">&amp;'</td>");
    const QString file = m_box->path(QStringLiteral("input/hostile.bin"));
    QVERIFY(test::writeFile(file, test::pseudoRandomBytes(1000, 5)));
    const CliResult floated = m_box->run({QStringLiteral("float"), file, QStringLiteral("--name"),
                                          hostile, QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe());
    const QByteArray session = signIn(newLink());
    QVERIFY(!session.isEmpty());
    const Reply page = withCookie(QStringLiteral("/"), session);
    QVERIFY2(page.status == 200, page.describe());
    QVERIFY(page.header("content-type").startsWith("text/html"));
    QVERIFY2(page.body.contains("<main id=\"main\" tabindex=\"-1\" data-rendered=\"models\">"),
             page.body.constData());
    const qsizetype body = page.body.indexOf("<tbody>");
    const QByteArray rows = page.body.mid(body, page.body.indexOf("</tbody>") - body);
    QCOMPARE(rows.count("<tr>"), 3);
    QVERIFY2(rows.contains("<td data-label=\"Name\"><a href=\"#/model/other\">other</a></td>"),
             rows.constData());
    // The name as text and in the link's address (as encodeURIComponent() writes it), never as
    // markup.
    QVERIFY(!page.body.contains(hostile.toUtf8()));
    QVERIFY2(rows.contains("<a href=\"#/model/"
                           "%3Cimg%20src%3Dx%20onerror%3D%22alert(1)%22%3E%26amp%3B'%3C%2Ftd%3E\">"
                           "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;'&lt;/td&gt;"
                           "</a>"),
             rows.constData());
    QVERIFY2(page.body.contains(">3 of 3 models</p>"), page.body.constData());
    // The style sheet inline, the policy allowing it by its hash; no inline script.
    const qsizetype from = page.body.indexOf("<style>") + 7;
    const qsizetype to = page.body.indexOf("</style>");
    QVERIFY(from > 7 && to > from);
    const QByteArray hash =
        "'sha256-" +
        QCryptographicHash::hash(page.body.mid(from, to - from), QCryptographicHash::Sha256)
            .toBase64() +
        '\'';
    const QByteArray csp = page.header("content-security-policy");
    QVERIFY2(csp.contains(QByteArray("style-src 'self' " + hash + ';')) &&
                 csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"),
             csp.constData());
    QVERIFY(!page.body.contains("<script>") && !page.body.contains("rel=\"stylesheet\""));
    // The vault's models are not kept by the browser.
    QCOMPARE(page.header("cache-control"), QByteArray("no-store"));
    QVERIFY(page.header("etag").isEmpty());

    // Not signed in: no model in it, the same inline style, cached by its ETag.
    const Reply anonymous = get(QStringLiteral("/"), {}, false);
    QVERIFY2(anonymous.status == 200, anonymous.describe());
    QVERIFY(!anonymous.body.contains("#/model/") && !anonymous.body.contains("data-rendered"));
    QVERIFY(anonymous.body.contains("<style>") &&
            anonymous.header("content-security-policy").contains(hash));
    const QByteArray etag = anonymous.header("etag");
    QVERIFY(!etag.isEmpty());
    const Reply again =
        get(QStringLiteral("/"),
            {QStringLiteral("-H"), QStringLiteral("If-None-Match: ") + QString::fromLatin1(etag)},
            false);
    QCOMPARE(again.status, 304);
}

QTEST_GUILESS_MAIN(TestWebSignIn)
#include "tst_websignin.moc"
