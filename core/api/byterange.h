#pragma once

#include <QByteArray>

namespace mf::api {

// What a Range header asks of a representation of `size` bytes (RFC 9110, section 14). One range
// is served (bytes=A-B, bytes=A-, bytes=-N); a header this server does not serve (several
// ranges, another unit, bad syntax) is ignored and the whole body sent, as the RFC allows.
struct ByteRange
{
    enum class Kind { Whole, Part, Unsatisfiable };
    Kind kind = Kind::Whole;
    qint64 begin = 0; // [begin, end)
    qint64 end = 0;

    static ByteRange parse(const QByteArray& header, qint64 size);
};

} // namespace mf::api
