#include "ipfscid.h"

#include "chunking/cid.h"

#include <vector>

namespace mf::ipfscid {

QByteArray base58Decode(QStringView text, bool* ok)
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    *ok = false;
    std::vector<quint8> bytes; // big-endian number, grown as digits come
    int leadingZeros = 0;
    bool leading = true;
    for (const QChar c : text) {
        const char* at = c.unicode() < 128 ? strchr(alphabet, char(c.unicode())) : nullptr;
        if (!at || c.unicode() == 0)
            return {};
        int carry = int(at - alphabet);
        if (leading && carry == 0) {
            ++leadingZeros;
            continue;
        }
        leading = false;
        for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
            carry += 58 * *it;
            *it = quint8(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes.insert(bytes.begin(), quint8(carry & 0xff));
            carry >>= 8;
        }
    }
    QByteArray out(leadingZeros, '\0');
    out.append(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size()));
    *ok = true;
    return out;
}

QByteArray decode(QStringView text)
{
    if (text.isEmpty())
        return {};
    bool ok = false;
    QByteArray bin;
    if (text.size() == 46 && text.startsWith(QLatin1String("Qm"))) {
        const QByteArray mh = base58Decode(text, &ok);
        if (!ok || mh.size() != 34)
            return {};
        bin = QByteArray("\x01\x70", 2) + mh;
    } else if (text.front() == QLatin1Char('b') || text.front() == QLatin1Char('B')) {
        bin = cid::base32Decode(text.mid(1).toString().toLower(), &ok);
    } else if (text.front() == QLatin1Char('z')) {
        bin = base58Decode(text.mid(1), &ok);
    }
    // version 1, a codec, then a multihash <code><length><digest>
    if (!ok || bin.size() < 4 || quint8(bin.at(0)) != 1 || (quint8(bin.at(1)) & 0x80) ||
        (quint8(bin.at(2)) & 0x80) || quint8(bin.at(3)) != bin.size() - 4)
        return {};
    return bin;
}

quint8 codec(const QByteArray& binary)
{
    return binary.size() >= 2 ? quint8(binary.at(1)) : 0;
}

QByteArray multihash(const QByteArray& binary)
{
    return binary.mid(2);
}

QString toBase32(const QByteArray& binary)
{
    return QLatin1Char('b') + cid::base32Encode(binary);
}

QString normalize(QStringView text)
{
    const QByteArray bin = decode(text);
    return bin.isEmpty() ? QString() : toBase32(bin);
}

} // namespace mf::ipfscid
