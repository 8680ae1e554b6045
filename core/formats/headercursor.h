#pragma once

#include "bytesource.h"
#include "parseerror.h"

#include <QByteArray>

namespace mf::formats {

// Reads a header front to back through a small window, never past `limit` bytes from the start
// of the file. Every read checks first that the bytes exist (in the file and under the cap), so
// a length read from the file is never allocated before it is known to be backed by bytes. On
// the first failure error() is set and every later read fails too.
class HeaderCursor final
{
public:
    HeaderCursor(ByteSource& source, qint64 limit);

    qint64 offset() const { return m_offset; }
    const ParseError& error() const { return m_error; }
    bool failed() const { return !m_error.ok(); }
    void setBigEndian(bool on) { m_bigEndian = on; }
    bool bigEndian() const { return m_bigEndian; }

    // True when `n` more bytes exist past offset(); otherwise sets the error, saying `what`
    // would have been read there. Reads nothing.
    bool require(quint64 n, const char* what);
    bool read(char* data, qint64 n, const char* what);
    bool skip(quint64 n, const char* what);
    bool readBytes(QByteArray& out, quint64 n, const char* what);
    bool u8(quint8& v, const char* what);
    bool u16(quint16& v, const char* what);
    bool u32(quint32& v, const char* what);
    bool u64(quint64& v, const char* what);

    // Bytes left before the cap or the end of the file, whichever comes first (-1: unknown, a
    // stream prefix whose total size is not known).
    qint64 remaining() const;

    // Every byte read from now on is also appended to `sink` (nullptr stops).
    void capture(QByteArray* sink) { m_capture = sink; }

    bool fail(ParseError::Kind kind, const QString& message);
    bool failAt(ParseError::Kind kind, qint64 offset, const QString& message);

private:
    bool fill(qint64 n);
    template <class T> bool integer(T& v, const char* what);

    ByteSource& m_source;
    qint64 m_limit;
    qint64 m_offset = 0;
    QByteArray m_window;
    qint64 m_windowStart = 0;
    QByteArray* m_capture = nullptr;
    bool m_bigEndian = false;
    ParseError m_error;
};

} // namespace mf::formats
