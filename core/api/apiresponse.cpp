#include "apiresponse.h"

#include <QJsonDocument>

namespace mf::api {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 206:
        return "Partial Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 406:
        return "Not Acceptable";
    case 416:
        return "Range Not Satisfiable";
    case 421:
        return "Misdirected Request";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 403:
        return "Forbidden";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

namespace {
ApiResponse jsonAnswer(int status, const QJsonDocument& document)
{
    ApiResponse r;
    r.status = status;
    r.addHeader({"Content-Type", "application/json"});
    r.body = document.toJson(QJsonDocument::Compact) + '\n';
    return r;
}
} // namespace

ApiResponse ApiResponse::json(int status, const QJsonObject& document)
{
    return jsonAnswer(status, QJsonDocument(document));
}

ApiResponse ApiResponse::jsonArray(int status, const QJsonArray& document)
{
    return jsonAnswer(status, QJsonDocument(document));
}

ApiResponse ApiResponse::error(int status, const QString& message)
{
    return json(status,
                {{QStringLiteral("error"), QJsonObject{{QStringLiteral("status"), status},
                                                       {QStringLiteral("message"), message}}}});
}

QByteArray ApiResponse::head(qint64 contentLength) const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    // A field with a line break or NUL in it would end the head early or add fields of its
    // own choosing (a value that came from a stored name or hash): it is left out.
    for (const auto& h : headers) {
        const auto breaks = [](const QByteArray& b) {
            return b.contains('\r') || b.contains('\n') || b.contains('\0');
        };
        if (!breaks(h.first) && !breaks(h.second))
            out += h.first + ": " + h.second + "\r\n";
    }
    if (contentLength != NoLength)
        out += "Content-Length: " +
               QByteArray::number(contentLength >= 0 ? contentLength : body.size()) + "\r\n";
    // Every answer, the web page's files and the API's alike: a strict Content-Security-Policy
    // (no inline script, nothing from elsewhere), no framing, no sniffing, and no referrer (a
    // sign-in code in an address never leaves in one). A style sheet inline (the page's) is
    // allowed by its hash alone.
    QByteArray styles = "'self'";
    if (!inlineStyleHash.isEmpty())
        styles += " '" + inlineStyleHash + '\'';
    out += "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src " + styles +
           "; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
           "form-action 'self'; frame-ancestors 'none'\r\n"
           "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
           "Referrer-Policy: no-referrer\r\nCross-Origin-Opener-Policy: same-origin\r\n"
           "Cross-Origin-Resource-Policy: same-origin\r\n";
    // The web page's files say how they are cached (revalidated by ETag); nothing else is.
    const bool cachingSaid = std::any_of(headers.cbegin(), headers.cend(), [](const auto& h) {
        return h.first.compare("Cache-Control", Qt::CaseInsensitive) == 0;
    });
    if (!cachingSaid)
        out += "Cache-Control: no-store\r\n";
    out += "Connection: close\r\n\r\n";
    return out;
}

} // namespace mf::api
