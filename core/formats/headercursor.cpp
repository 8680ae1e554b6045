#include "headercursor.h"

#include <QtEndian>

#include <cstring>

namespace mf::formats {

namespace {
constexpr qint64 kWindowBytes = 256 * 1024;
} // namespace

HeaderCursor::HeaderCursor(ByteSource& source, qint64 limit)
    : m_source(source)
    , m_limit(limit)
{}

bool HeaderCursor::fail(ParseError::Kind kind, const QString& message)
{
    return failAt(kind, m_offset, message);
}

bool HeaderCursor::failAt(ParseError::Kind kind, qint64 offset, const QString& message)
{
    if (m_error.ok())
        m_error = ParseError::make(kind, offset, message);
    return false;
}

qint64 HeaderCursor::remaining() const
{
    qint64 end = m_limit;
    if (m_source.size() >= 0)
        end = qMin(end, m_source.size());
    else if (m_source.available() < end)
        return -1;
    return qMax<qint64>(0, end - m_offset);
}

bool HeaderCursor::require(quint64 n, const char* what)
{
    if (failed())
        return false;
    const qint64 size = m_source.size();
    // Compared as unsigned remainders, so a huge n cannot overflow offset + n.
    if (size >= 0 && (m_offset > size || n > quint64(size - m_offset)))
        return fail(ParseError::Kind::Truncated,
                    QStringLiteral("truncated at byte %1: %2 needs %3 bytes but the file ends at "
                                   "byte %4")
                        .arg(m_offset)
                        .arg(QLatin1String(what))
                        .arg(n)
                        .arg(size));
    if (n > quint64(m_limit - m_offset))
        return fail(ParseError::Kind::TooLarge,
                    QStringLiteral("at byte %1: %2 of %3 bytes would take the header past the "
                                   "%4 MiB limit")
                        .arg(m_offset)
                        .arg(QLatin1String(what))
                        .arg(n)
                        .arg(m_limit >> 20));
    const qint64 end = m_offset + qint64(n);
    if (end > m_source.available()) {
        if (!m_error.ok())
            return false;
        m_error = ParseError::make(ParseError::Kind::NeedMore, m_offset,
                                   QStringLiteral("the header goes on past the %1 bytes read so "
                                                  "far (%2 at byte %3)")
                                       .arg(m_source.available())
                                       .arg(QLatin1String(what))
                                       .arg(m_offset));
        m_error.needed = end;
        return false;
    }
    return true;
}

// Makes [m_offset, m_offset + n) present in the window; n <= kWindowBytes.
bool HeaderCursor::fill(qint64 n)
{
    const qint64 inWindow = m_windowStart + m_window.size() - m_offset;
    if (m_offset >= m_windowStart && inWindow >= n)
        return true;
    const qint64 want = qMax(n, kWindowBytes);
    m_window.resize(want);
    const qint64 got = m_source.readAt(m_offset, m_window.data(), want);
    if (got < 0) {
        m_window.clear();
        return fail(
            ParseError::Kind::Io,
            QStringLiteral("cannot read at byte %1: %2").arg(m_offset).arg(m_source.errorString()));
    }
    m_window.resize(got);
    m_windowStart = m_offset;
    if (got < n)
        return fail(ParseError::Kind::Truncated,
                    QStringLiteral("truncated at byte %1: the file is shorter than it said")
                        .arg(m_offset + got));
    return true;
}

bool HeaderCursor::read(char* data, qint64 n, const char* what)
{
    if (n < 0 || !require(quint64(n), what))
        return false;
    qint64 done = 0;
    while (done < n) {
        const qint64 piece = qMin(n - done, kWindowBytes);
        if (!fill(piece))
            return false;
        std::memcpy(data + done, m_window.constData() + (m_offset - m_windowStart), size_t(piece));
        if (m_capture)
            m_capture->append(data + done, piece);
        done += piece;
        m_offset += piece;
    }
    return true;
}

bool HeaderCursor::skip(quint64 n, const char* what)
{
    if (!require(n, what))
        return false;
    if (!m_capture) {
        m_offset += qint64(n);
        return true;
    }
    char buffer[4096];
    while (n > 0) {
        const qint64 piece = qint64(qMin<quint64>(n, sizeof buffer));
        if (!read(buffer, piece, what))
            return false;
        n -= quint64(piece);
    }
    return true;
}

bool HeaderCursor::readBytes(QByteArray& out, quint64 n, const char* what)
{
    // Checked before the allocation: the bytes are there.
    if (!require(n, what))
        return false;
    out.resize(qsizetype(n));
    return read(out.data(), qint64(n), what);
}

template <class T> bool HeaderCursor::integer(T& v, const char* what)
{
    uchar raw[sizeof(T)];
    if (!read(reinterpret_cast<char*>(raw), sizeof(T), what))
        return false;
    v = m_bigEndian ? qFromBigEndian<T>(raw) : qFromLittleEndian<T>(raw);
    return true;
}

bool HeaderCursor::u8(quint8& v, const char* what)
{
    return read(reinterpret_cast<char*>(&v), 1, what);
}
bool HeaderCursor::u16(quint16& v, const char* what)
{
    return integer(v, what);
}
bool HeaderCursor::u32(quint32& v, const char* what)
{
    return integer(v, what);
}
bool HeaderCursor::u64(quint64& v, const char* what)
{
    return integer(v, what);
}

} // namespace mf::formats
