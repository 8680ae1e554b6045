#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QStringList>

namespace mf::test {

// What curl said of one request.
struct CurlReply
{
    int curlExit = -1;
    int status = 0;
    QByteArray head; // the answer's header fields, as received
    QByteArray body;
    QByteArray err;

    QByteArray header(const QByteArray& name) const;
    QJsonObject json() const;
    QByteArray describe() const;
};

// Runs curl on `url` with `args` (before the URL; the target is sent as is, no "../" folding),
// keeping the answer's head and body in files under `scratchDir`.
CurlReply curlRequest(const QString& url, const QStringList& args, const QString& scratchDir);

} // namespace mf::test
