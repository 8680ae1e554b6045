#include "cid.h"

#include "sha256.h"

namespace mf::cid {

namespace {
// CIDv1 (0x01), raw codec (0x55), sha2-256 multihash code (0x12), digest length 32 (0x20).
constexpr char Prefix[] = {0x01, 0x55, 0x12, 0x20};
constexpr char Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
} // namespace

QString base32Encode(const QByteArray& bytes)
{
    QString out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    quint32 buffer = 0;
    int bits = 0;
    for (char c : bytes) {
        buffer = (buffer << 8) | quint8(c);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.append(QLatin1Char(Alphabet[(buffer >> bits) & 31]));
        }
    }
    if (bits > 0)
        out.append(QLatin1Char(Alphabet[(buffer << (5 - bits)) & 31]));
    return out;
}

QByteArray base32Decode(QStringView text, bool* ok)
{
    QByteArray out;
    out.reserve(text.size() * 5 / 8);
    quint32 buffer = 0;
    int bits = 0;
    for (QChar ch : text) {
        const char16_t c = ch.unicode();
        int v;
        if (c >= u'a' && c <= u'z')
            v = c - u'a';
        else if (c >= u'2' && c <= u'7')
            v = c - u'2' + 26;
        else {
            *ok = false;
            return {};
        }
        buffer = (buffer << 5) | quint32(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.append(char((buffer >> bits) & 0xff));
        }
    }
    // Leftover bits must be zero padding, or the text is not a canonical encoding.
    *ok = bits < 5 && (buffer & ((1u << bits) - 1)) == 0;
    return *ok ? out : QByteArray();
}

QString fromSha256(const QByteArray& digest)
{
    Q_ASSERT(digest.size() == Sha256Size);
    QByteArray raw(Prefix, sizeof Prefix);
    raw.append(digest);
    return QLatin1Char('b') + base32Encode(raw);
}

QString ofData(QByteArrayView data)
{
    return fromSha256(Sha256::hash(data));
}

QByteArray toSha256(QStringView text)
{
    if (!text.startsWith(u'b'))
        return {};
    bool ok = false;
    const QByteArray raw = base32Decode(text.mid(1), &ok);
    if (!ok || raw.size() != int(sizeof Prefix) + Sha256Size ||
        !raw.startsWith(QByteArrayView(Prefix, sizeof Prefix)))
        return {};
    return raw.mid(sizeof Prefix);
}

bool isValid(QStringView text)
{
    return !toSha256(text).isEmpty();
}

} // namespace mf::cid
