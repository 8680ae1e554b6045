#include "httprequesthead.h"

#include <QList>

namespace mf::api {

namespace {
bool isToken(const QByteArray& s)
{
    if (s.isEmpty())
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              QByteArray("!#$%&'*+-.^_`|~").contains(c)))
            return false;
    return true;
}
} // namespace

HttpRequestHead::State HttpRequestHead::feed(QByteArray& buffer)
{
    // A request starts with its method, a token. Anything else (a TLS ClientHello begins with
    // 0x16: a client trying https first, as registry clients do) is not HTTP: refused at once
    // rather than waited on until the request's deadline.
    if (!buffer.isEmpty() && !isToken(buffer.left(1)))
        return State::Malformed;
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return buffer.size() > MaxHeadBytes ? State::TooLarge : State::Incomplete;
    if (end + 4 > MaxHeadBytes)
        return State::TooLarge;
    const QByteArray head = buffer.left(end + 1); // every line then ends with its CR
    buffer.remove(0, end + 4);
    return parse(head) ? State::Complete : State::Malformed;
}

bool HttpRequestHead::parse(const QByteArray& head)
{
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> request =
        lines.first().chopped(lines.first().endsWith('\r') ? 1 : 0).split(' ');
    if (request.size() != 3 || !isToken(request.at(0)) || !request.at(1).startsWith('/') ||
        (request.at(2) != "HTTP/1.1" && request.at(2) != "HTTP/1.0"))
        return false;
    m_method = request.at(0);
    m_target = request.at(1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (!line.endsWith('\r'))
            return false; // a bare LF: refused, as request smuggling starts with such ambiguity
        line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.left(colon)))
            return false; // also refuses obsolete line folding (a line starting with a space)
        const QByteArray name = line.left(colon).toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (m_headers.contains(name))
            m_headers[name] += ", " + value;
        else
            m_headers.insert(name, value);
    }
    return true;
}

} // namespace mf::api
