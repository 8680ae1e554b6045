#pragma once

#include <QByteArray>
#include <QString>

namespace mf {

// Chunk identity: CIDv1, codec raw (0x55), multihash sha2-256 (0x12, 32 bytes), rendered as
// multibase base32 lower-case without padding ('b' prefix) — byte-for-byte what IPFS computes
// for a raw block, so any IPFS tool can verify a chunk.
namespace cid {

constexpr int Sha256Size = 32;

// The CID string of a raw block with this SHA-256 digest (32 bytes).
QString fromSha256(const QByteArray& digest);
// The CID of these bytes.
QString ofData(QByteArrayView data);
// The SHA-256 digest inside a raw sha2-256 CIDv1, or an empty array if `text` is not one.
QByteArray toSha256(QStringView text);
bool isValid(QStringView text);

// RFC 4648 base32, lower-case, no padding (the multibase 'b' alphabet).
QString base32Encode(const QByteArray& bytes);
QByteArray base32Decode(QStringView text, bool* ok);

} // namespace cid
} // namespace mf
