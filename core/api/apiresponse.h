#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

namespace mf::api {

// One answer's status line, header fields and (small) body, as the JSON endpoints make them.
// Byte streams write their head with the same serialization and then stream the body.
struct ApiResponse
{
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    // "sha256-…" of the one inline style sheet the body holds (the web page's), which the
    // Content-Security-Policy then allows; empty: none is.
    QByteArray inlineStyleHash;

    void addHeader(const QPair<QByteArray, QByteArray>& field) { headers.append(field); }

    static ApiResponse json(int status, const QJsonObject& document);
    static ApiResponse jsonArray(int status, const QJsonArray& document);
    // {"error": {"status": 404, "message": "…"}}: the message says what is wrong in plain words.
    static ApiResponse error(int status, const QString& message);

    // The status line and header fields, Content-Length of `contentLength` (the body's size
    // unless given; none for NoLength, a stream that ends when the connection does), and
    // Connection: close.
    static constexpr qint64 NoLength = -2;
    QByteArray head(qint64 contentLength = -1) const;
};

QByteArray reasonPhrase(int status);

} // namespace mf::api
