#include "dagpbreader.h"

#include "sha256.h"
#include "unixfs.h"

namespace mf::unixfs {

namespace {

// A protobuf reader over untrusted bytes: every read is bounds-checked.
class Reader
{
public:
    explicit Reader(QByteArrayView bytes)
        : m_bytes(bytes)
    {}
    bool atEnd() const { return m_pos >= m_bytes.size(); }
    bool varint(quint64* v)
    {
        *v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (atEnd())
                return false;
            const quint8 b = quint8(m_bytes[m_pos++]);
            *v |= quint64(b & 0x7f) << shift;
            if (!(b & 0x80))
                return true;
        }
        return false;
    }
    bool bytes(QByteArrayView* out)
    {
        quint64 n = 0;
        if (!varint(&n) || n > quint64(m_bytes.size() - m_pos))
            return false;
        *out = m_bytes.sliced(m_pos, qsizetype(n));
        m_pos += qsizetype(n);
        return true;
    }
    // Skips a field of `wireType` whose key was read.
    bool skip(quint64 wireType)
    {
        quint64 ignored = 0;
        QByteArrayView view;
        switch (wireType) {
        case 0:
            return varint(&ignored);
        case 1:
            return advance(8);
        case 2:
            return bytes(&view);
        case 5:
            return advance(4);
        default:
            return false;
        }
    }

private:
    bool advance(qsizetype n)
    {
        if (n > m_bytes.size() - m_pos)
            return false;
        m_pos += n;
        return true;
    }
    QByteArrayView m_bytes;
    qsizetype m_pos = 0;
};

// A link's Hash: CIDv1 bytes, or a CIDv0 (a bare sha2-256 multihash, always dag-pb).
QByteArray linkCid(QByteArrayView hash)
{
    if (hash.size() == 34 && quint8(hash[0]) == 0x12 && quint8(hash[1]) == 0x20)
        return QByteArray(1, char(1)) + char(CodecDagPb) + hash.toByteArray();
    return hash.toByteArray();
}

bool readLink(QByteArrayView bytes, LinkRead* link)
{
    Reader r(bytes);
    while (!r.atEnd()) {
        quint64 key = 0;
        if (!r.varint(&key))
            return false;
        QByteArrayView view;
        if (key == (1 << 3 | 2)) {
            if (!r.bytes(&view))
                return false;
            link->cid = linkCid(view);
        } else if (key == (2 << 3 | 2)) {
            if (!r.bytes(&view))
                return false;
            link->name = QString::fromUtf8(view);
        } else if (key == (3 << 3 | 0)) {
            if (!r.varint(&link->size))
                return false;
        } else if (!r.skip(key & 7)) {
            return false;
        }
    }
    return !link->cid.isEmpty();
}

bool readData(QByteArrayView bytes, NodeRead* node)
{
    Reader r(bytes);
    bool typed = false;
    while (!r.atEnd()) {
        quint64 key = 0;
        quint64 v = 0;
        if (!r.varint(&key))
            return false;
        QByteArrayView view;
        if (key == (1 << 3 | 0)) {
            if (!r.varint(&v) || v > 5)
                return false;
            node->type = NodeRead::Type(v);
            typed = true;
        } else if (key == (2 << 3 | 2)) {
            if (!r.bytes(&view))
                return false;
            node->data = view.toByteArray();
        } else if (key == (3 << 3 | 0)) {
            if (!r.varint(&node->fileSize))
                return false;
        } else if (key == (4 << 3 | 0)) {
            if (!r.varint(&v))
                return false;
            node->blockSizes.append(v);
        } else if (key == (4 << 3 | 2)) { // packed blocksizes
            if (!r.bytes(&view))
                return false;
            Reader packed(view);
            while (!packed.atEnd()) {
                if (!packed.varint(&v))
                    return false;
                node->blockSizes.append(v);
            }
        } else if (!r.skip(key & 7)) {
            return false;
        }
    }
    return typed;
}

} // namespace

bool readNode(QByteArrayView block, NodeRead* node, QString* error)
{
    *node = NodeRead();
    Reader r(block);
    bool hasData = false;
    while (!r.atEnd()) {
        quint64 key = 0;
        if (!r.varint(&key)) {
            *error = QStringLiteral("the dag-pb block is cut short");
            return false;
        }
        QByteArrayView view;
        if (key == (2 << 3 | 2)) {
            LinkRead link;
            if (!r.bytes(&view) || !readLink(view, &link)) {
                *error = QStringLiteral("a link of the dag-pb block is malformed");
                return false;
            }
            node->links.append(link);
        } else if (key == (1 << 3 | 2)) {
            if (!r.bytes(&view) || !readData(view, node)) {
                *error = QStringLiteral("the block's UnixFS data is malformed");
                return false;
            }
            hasData = true;
        } else {
            *error = QStringLiteral("the block is not dag-pb (field %1)").arg(key >> 3);
            return false;
        }
    }
    if (!hasData) {
        *error = QStringLiteral("the dag-pb block has no UnixFS data");
        return false;
    }
    return true;
}

bool blockMatchesCid(const QByteArray& cid, QByteArrayView block, QString* why)
{
    // CIDv1 (0x01), a one-byte codec, sha2-256 (0x12) of 32 bytes (0x20): all this reads.
    if (cid.size() != 36 || quint8(cid[0]) != 1 || quint8(cid[2]) != 0x12 ||
        quint8(cid[3]) != 0x20) {
        *why = QStringLiteral("its CID does not use sha2-256, the only hash checked here");
        return false;
    }
    const quint8 codec = quint8(cid[1]);
    if (codec != CodecRaw && codec != CodecDagPb) {
        *why = QStringLiteral("its CID's codec 0x%1 is neither raw nor dag-pb")
                   .arg(codec, 2, 16, QLatin1Char('0'));
        return false;
    }
    if (Sha256::hash(block) != cid.sliced(4)) {
        *why = QStringLiteral("its bytes do not hash to its CID");
        return false;
    }
    return true;
}

} // namespace mf::unixfs
