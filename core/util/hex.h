#pragma once

#include <QByteArrayView>

namespace mf {

// `length` lowercase hexadecimal digits and nothing else: the one check for a digest that comes
// from outside (a catalog's SHA-256, the Hub's LFS oid or commit) before it becomes part of a
// path or a header.
bool isLowerHex(QByteArrayView text, qsizetype length);
// A SHA-256 digest as text: 64 lowercase hexadecimal digits.
inline bool isSha256Hex(QByteArrayView text)
{
    return isLowerHex(text, 64);
}

} // namespace mf
