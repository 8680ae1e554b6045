#pragma once

#include <QByteArray>
#include <QString>

namespace mf::ipfscid {

// CIDs as IPFS nodes print them: Kubo answers in base32 ("bafk…"), js-ipfs in base58btc
// ("zb2r…"), old data as CIDv0 ("Qm…"). Everything here works on the binary CIDv1 form
// (version, codec, multihash), so two spellings of one CID compare equal.

constexpr quint8 CodecRaw = 0x55;
constexpr quint8 CodecDagPb = 0x70;

// The binary CIDv1 of `text` (a CIDv0 becomes its dag-pb CIDv1), or empty if it is not a CID
// in base32 ('b'/'B'), base58btc ('z') or CIDv0 form. Only single-byte codec varints.
QByteArray decode(QStringView text);
// The codec of a binary CIDv1 (0 if unreadable).
quint8 codec(const QByteArray& binary);
// The multihash part of a binary CIDv1.
QByteArray multihash(const QByteArray& binary);
// "b" + base32: the form locators are kept in.
QString toBase32(const QByteArray& binary);
// `text` in base32 form, or empty if it is not a CID.
QString normalize(QStringView text);

QByteArray base58Decode(QStringView text, bool* ok);

} // namespace mf::ipfscid
