#include "webresources.h"

#include "modelresources.h"
#include "weblisthtml.h"
#include "websessions.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>

namespace mf::api {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api", text);
}

QByteArray contentTypeOf(const QString& name)
{
    if (name.endsWith(QLatin1String(".html")))
        return "text/html; charset=utf-8";
    if (name.endsWith(QLatin1String(".css")))
        return "text/css; charset=utf-8";
    if (name.endsWith(QLatin1String(".js")))
        return "text/javascript; charset=utf-8";
    if (name.endsWith(QLatin1String(".svg")))
        return "image/svg+xml";
    return "application/octet-stream";
}

ApiResponse plainText(int status, const QString& text)
{
    ApiResponse r;
    r.status = status;
    r.addHeader({"Content-Type", "text/plain; charset=utf-8"});
    r.body = text.toUtf8() + '\n';
    return r;
}

// `bytes` as the answer, with their ETag (a hash of them); 304 when `ifNoneMatch` names it.
ApiResponse etagged(const QByteArray& bytes, const QByteArray& contentType,
                    const QByteArray& ifNoneMatch)
{
    const QByteArray etag =
        '"' + QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(32) + '"';
    ApiResponse r;
    r.addHeader({"ETag", etag});
    // Kept, but asked about each time: a new version of the program serves new files.
    r.addHeader({"Cache-Control", "no-cache"});
    const QList<QByteArray> known = ifNoneMatch.split(',');
    if (std::any_of(known.cbegin(), known.cend(),
                    [&](const QByteArray& tag) { return tag.trimmed() == etag; })) {
        r.status = 304;
        return r;
    }
    r.addHeader({"Content-Type", contentType});
    r.body = bytes;
    return r;
}

// index.html as `/` serves it: the style sheet inline, in place of the link to it, and the hash
// the Content-Security-Policy allows it by. Made once: both are in the binary.
struct PageTemplate
{
    QByteArray page;
    QByteArray styleHash;
};

const PageTemplate& pageTemplate()
{
    static const PageTemplate made = [] {
        QFile html(QStringLiteral(":/modelfloat/web/index.html"));
        QFile css(QStringLiteral(":/modelfloat/web/app.css"));
        PageTemplate t;
        if (!html.open(QIODevice::ReadOnly) || !css.open(QIODevice::ReadOnly))
            return t;
        const QByteArray style = css.readAll();
        t.page = html.readAll().replace(
            QByteArrayLiteral("<link rel=\"stylesheet\" href=\"/web/app.css\">"),
            QByteArray("<style>" + style + "</style>"));
        t.styleHash =
            "sha256-" + QCryptographicHash::hash(style, QCryptographicHash::Sha256).toBase64();
        return t;
    }();
    return made;
}
} // namespace

ApiResponse webFile(const QString& name, const QByteArray& ifNoneMatch)
{
    // One plain file name: nothing here is joined to a path a request could steer.
    static const QRegularExpression plainName(QStringLiteral("^[a-z0-9-]+\\.(html|css|js|svg)$"));
    QFile file(QStringLiteral(":/modelfloat/web/") + name);
    if (!plainName.match(name).hasMatch() || !file.open(QIODevice::ReadOnly))
        return ApiResponse::error(404, tr("There is nothing at this address"));
    return etagged(file.readAll(), contentTypeOf(name), ifNoneMatch);
}

ApiResponse webPage(Vault* vault, const QByteArray& ifNoneMatch)
{
    const PageTemplate& t = pageTemplate();
    if (!vault) {
        ApiResponse r = etagged(t.page, contentTypeOf(QStringLiteral("index.html")), ifNoneMatch);
        r.inlineStyleHash = t.styleHash;
        return r;
    }
    // Signed in: the list as models.js draws it from its first batch, in place of "Loading…",
    // marked for models.js to take over; Sign out shown. Not kept by the browser (no ETag, and
    // the default no-store): it holds the vault's models.
    static const QByteArray mainOpen = "<main id=\"main\" tabindex=\"-1\">";
    QByteArray page = t.page;
    const qsizetype open = page.indexOf(mainOpen);
    const qsizetype close = open < 0 ? -1 : page.indexOf("</main>", open);
    if (close > open) {
        const QJsonObject batch = modelPageJson(vault, QString(), 0, WebFirstBatch);
        page.replace(open, close - open,
                     QByteArray("<main id=\"main\" tabindex=\"-1\" data-rendered=\"models\">" +
                                modelListHtml(batch).toUtf8()));
        page.replace(QByteArrayLiteral("<button id=\"sign-out\" type=\"button\" hidden>"),
                     QByteArrayLiteral("<button id=\"sign-out\" type=\"button\">"));
    }
    ApiResponse r;
    r.addHeader({"Content-Type", contentTypeOf(QStringLiteral("index.html"))});
    r.inlineStyleHash = t.styleHash;
    r.body = page;
    return r;
}

ApiResponse webSignIn(WebSessions& sessions, const QUrlQuery& query, bool secure)
{
    const auto session =
        sessions.redeem(query.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded).toUtf8());
    if (!session)
        return plainText(
            403, tr("This sign-in link was already used or has expired: each link signs in one "
                    "browser, once, within minutes. Get a new one: modelfloat-cli serve prints "
                    "one when it starts, and POST /api/v1/session/links with the token makes "
                    "another while it runs."));
    ApiResponse r;
    r.status = 303;
    r.addHeader({"Location", "/"});
    r.addHeader({"Set-Cookie", QByteArray(WebSessions::CookieName) + '=' + session->id +
                                   "; Path=/; Max-Age=" +
                                   QByteArray::number(WebSessions::SessionLifetimeSeconds) +
                                   "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")});
    return r;
}

ApiResponse webSessionInfo(WebSessions& sessions, const QByteArray& sessionId)
{
    const auto session = sessions.find(sessionId);
    if (!session)
        return ApiResponse::error(401, tr("This browser is not signed in: open a sign-in link"));
    return ApiResponse::json(
        200, {{QStringLiteral("csrfToken"), QString::fromLatin1(session->csrf)},
              {QStringLiteral("expires"),
               QDateTime::fromMSecsSinceEpoch(session->expiresMs, Qt::UTC).toString(Qt::ISODate)}});
}

ApiResponse webSignInLink(WebSessions& sessions, const QString& baseUrl, const QByteArray& body)
{
    int lifetime = WebSessions::DefaultCodeLifetimeSeconds;
    if (!body.trimmed().isEmpty()) {
        const QJsonDocument doc = QJsonDocument::fromJson(body);
        const QJsonValue asked = doc.object().value(QStringLiteral("lifetimeSeconds"));
        if (!doc.isObject() || (!asked.isUndefined() && !asked.isDouble()))
            return ApiResponse::error(
                400, tr("The body is a JSON object, with \"lifetimeSeconds\" a number if given"));
        const double seconds = asked.toDouble(lifetime);
        if (seconds < 1 || seconds > WebSessions::MaxCodeLifetimeSeconds)
            return ApiResponse::error(
                400,
                tr("lifetimeSeconds is from 1 to %1").arg(WebSessions::MaxCodeLifetimeSeconds));
        lifetime = int(seconds);
    }
    return ApiResponse::json(
        201, {{QStringLiteral("link"), signInLink(baseUrl, sessions.newCode(lifetime))},
              {QStringLiteral("lifetimeSeconds"), lifetime}});
}

QString signInLink(const QString& baseUrl, const QByteArray& code)
{
    return baseUrl + QStringLiteral("/signin?code=") + QString::fromLatin1(code);
}

} // namespace mf::api
