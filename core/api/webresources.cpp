#include "webresources.h"

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
} // namespace

ApiResponse webFile(const QString& name, const QByteArray& ifNoneMatch)
{
    // One plain file name: nothing here is joined to a path a request could steer.
    static const QRegularExpression plainName(QStringLiteral("^[a-z0-9-]+\\.(html|css|js|svg)$"));
    QFile file(QStringLiteral(":/modelfloat/web/") + name);
    if (!plainName.match(name).hasMatch() || !file.open(QIODevice::ReadOnly))
        return ApiResponse::error(404, tr("There is nothing at this address"));
    const QByteArray bytes = file.readAll();
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
    r.addHeader({"Content-Type", contentTypeOf(name)});
    r.body = bytes;
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
