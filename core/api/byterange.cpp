#include "byterange.h"

#include <algorithm>
#include <limits>

namespace mf::api {

namespace {
// A decimal number of at most 18 digits (below 2^63), or -1: nothing here can overflow.
qint64 number(const QByteArray& digits)
{
    if (digits.isEmpty() || digits.size() > 18)
        return -1;
    qint64 n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}
} // namespace

ByteRange ByteRange::parse(const QByteArray& header, qint64 size)
{
    ByteRange whole{Kind::Whole, 0, size};
    const QByteArray value = header.trimmed();
    if (!value.startsWith("bytes="))
        return whole;
    const QByteArray spec = value.mid(6).trimmed();
    if (spec.contains(','))
        return whole;
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return whole;
    const QByteArray first = spec.left(dash).trimmed();
    const QByteArray last = spec.mid(dash + 1).trimmed();
    if (first.isEmpty()) { // suffix: the last N bytes
        const qint64 n = number(last);
        if (n < 0)
            return whole;
        if (n == 0 || size == 0)
            return {Kind::Unsatisfiable, 0, 0};
        return {Kind::Part, qMax<qint64>(0, size - n), size};
    }
    const qint64 a = number(first);
    // A last position too long to be a number here is past any end: to the end.
    const bool huge = last.size() > 18 && std::all_of(last.begin(), last.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
    const qint64 b = last.isEmpty() || huge ? std::numeric_limits<qint64>::max() : number(last);
    if (a < 0 || b < 0 || b < a)
        return whole; // not a valid range-spec: ignored
    if (a >= size)
        return {Kind::Unsatisfiable, 0, 0};
    return {Kind::Part, a, b >= size ? size : b + 1};
}

} // namespace mf::api
