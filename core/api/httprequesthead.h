#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace mf::api {

// The head of one HTTP/1.1 request (request line and header fields), read from a connection as
// its bytes arrive. A head larger than the limit is refused before it is read whole, so a client
// cannot make the server hold an unbounded head in memory.
class HttpRequestHead final
{
public:
    static constexpr qsizetype MaxHeadBytes = 16 * 1024;

    enum class State { Incomplete, Complete, Malformed, TooLarge };

    // Appends bytes from the connection; returns the state once they are taken in. Bytes after
    // the head (a body) are left in `buffer`.
    State feed(QByteArray& buffer);

    QByteArray method() const { return m_method; }
    QByteArray target() const { return m_target; } // as sent: "/api/v1/models?q=x"
    // A header field's value by its name in lower case; fields sent twice are joined with ", ".
    QByteArray header(const QByteArray& lowerName) const { return m_headers.value(lowerName); }
    bool hasHeader(const QByteArray& lowerName) const { return m_headers.contains(lowerName); }

private:
    bool parse(const QByteArray& head);

    QByteArray m_method;
    QByteArray m_target;
    QHash<QByteArray, QByteArray> m_headers;
};

} // namespace mf::api
