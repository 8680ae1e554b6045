#include "unixfs.h"

#include "cid.h"
#include "nestedsha256.h"
#include "sha256.h"

#include <QMap>

#include <algorithm>

namespace mf::unixfs {

namespace {

constexpr quint8 Sha256Code = 0x12;

// UnixFS Data.DataType (unixfs.proto).
constexpr quint64 TypeDirectory = 1;
constexpr quint64 TypeFile = 2;

void putVarint(QByteArray& out, quint64 v)
{
    while (v >= 0x80) {
        out.append(char(quint8(v) | 0x80));
        v >>= 7;
    }
    out.append(char(quint8(v)));
}

// A protobuf field key: field number and wire type (0 varint, 2 length-delimited).
void putKey(QByteArray& out, int field, int wireType)
{
    putVarint(out, quint64(field) << 3 | quint64(wireType));
}

void putBytes(QByteArray& out, int field, const QByteArray& bytes)
{
    putKey(out, field, 2);
    putVarint(out, quint64(bytes.size()));
    out.append(bytes);
}

void putUint(QByteArray& out, int field, quint64 v)
{
    putKey(out, field, 0);
    putVarint(out, v);
}

struct Link
{
    QByteArray name; // UTF-8; empty for a file's parts
    Node node;
};

// The dag-pb block of a node: PBNode's Links (field 2) before its Data (field 1), each PBLink
// as Hash (1), Name (2, written even when empty, as both reference encoders do), Tsize (3).
QByteArray encodeDagPb(const QList<Link>& links, const QByteArray& data)
{
    QByteArray out;
    for (const Link& l : links) {
        QByteArray link;
        putBytes(link, 1, l.node.cid);
        putBytes(link, 2, l.name);
        putUint(link, 3, l.node.cumulativeSize);
        putBytes(out, 2, link);
    }
    putBytes(out, 1, data);
    return out;
}

Node storeNode(const QList<Link>& links, const QByteArray& data, quint64 fileSize,
               const BlockSink& sink)
{
    const QByteArray block = encodeDagPb(links, data);
    Node n;
    n.cid = cidOf(CodecDagPb, Sha256::hash(block));
    n.fileSize = fileSize;
    n.cumulativeSize = quint64(block.size());
    for (const Link& l : links)
        n.cumulativeSize += l.node.cumulativeSize;
    if (sink)
        sink(n, block);
    return n;
}

// One File node over `parts` (its Data: Type, filesize, one blocksize per link).
Node fileNode(const QList<Node>& parts, const BlockSink& sink)
{
    QByteArray data;
    putUint(data, 1, TypeFile);
    quint64 size = 0;
    for (const Node& p : parts)
        size += p.fileSize;
    putUint(data, 3, size);
    QList<Link> links;
    links.reserve(parts.size());
    for (const Node& p : parts) {
        putUint(data, 4, p.fileSize);
        links.append({QByteArray(), p});
    }
    return storeNode(links, data, size, sink);
}

bool validName(const QString& name)
{
    return !name.isEmpty() && name != QLatin1String(".") && name != QLatin1String("..") &&
           !name.contains(QLatin1Char('/'));
}

// A folder of modelDag() while it is being filled.
struct Folder
{
    QMap<QString, Node> files;
    QMap<QString, Folder> folders;
};

Node build(const Folder& folder, const BlockSink& sink)
{
    QList<Entry> entries;
    for (auto it = folder.files.cbegin(); it != folder.files.cend(); ++it)
        entries.append({it.key(), it.value()});
    for (auto it = folder.folders.cbegin(); it != folder.folders.cend(); ++it)
        entries.append({it.key(), build(it.value(), sink)});
    return directory(std::move(entries), sink);
}

} // namespace

QByteArray cidOf(quint8 codec, const QByteArray& digest)
{
    QByteArray out;
    out.reserve(4 + digest.size());
    out.append(char(0x01));
    out.append(char(codec));
    out.append(char(Sha256Code));
    out.append(char(digest.size()));
    out.append(digest);
    return out;
}

QString toText(const QByteArray& binaryCid)
{
    return QLatin1Char('b') + cid::base32Encode(binaryCid);
}

QByteArray fromText(QStringView text)
{
    if (!text.startsWith(u'b'))
        return {};
    bool ok = false;
    const QByteArray binary = cid::base32Decode(text.mid(1), &ok);
    // Only what this file makes: CIDv1, raw or dag-pb, sha2-256 of 32 bytes.
    if (!ok || binary.size() != 36 || binary.at(0) != 0x01 ||
        (quint8(binary.at(1)) != CodecRaw && quint8(binary.at(1)) != CodecDagPb) ||
        quint8(binary.at(2)) != Sha256Code || binary.at(3) != 32)
        return {};
    return binary;
}

Node rawLeaf(const QByteArray& digest, quint64 size)
{
    return Node{cidOf(CodecRaw, digest), size, size};
}

Node balancedFile(const QList<Node>& children, const BlockSink& sink)
{
    if (children.isEmpty())
        return rawLeaf(Sha256::hash({}), 0); // `ipfs add` of an empty file: one empty leaf
    if (children.size() == 1)
        return children.first();
    QList<Node> level = children;
    while (level.size() > 1) {
        QList<Node> parents;
        parents.reserve((level.size() + MaxLinks - 1) / MaxLinks);
        for (qsizetype i = 0; i < level.size(); i += MaxLinks)
            parents.append(fileNode(level.mid(i, MaxLinks), sink));
        level = std::move(parents);
    }
    return level.first();
}

Node chunkDag(QByteArrayView bytes, const BlockSink& sink, QByteArray* chunkSha256)
{
    FileDagBuilder builder(sink);
    builder.addBytes(reinterpret_cast<const uchar*>(bytes.data()), bytes.size());
    builder.endChunk(chunkSha256);
    return builder.finish(); // one chunk: its own node (the empty file's when there was none)
}

FileDagBuilder::FileDagBuilder(BlockSink sink)
    : m_sink(std::move(sink))
    , m_sha(std::make_unique<NestedSha256>())
{}

FileDagBuilder::~FileDagBuilder() = default;

void FileDagBuilder::addBytes(const uchar* data, qsizetype size)
{
    NestedSha256& sha = *m_sha;
    while (size > 0) {
        const qsizetype n = qsizetype(std::min<qint64>(size, LeafBytes - sha.innerSize()));
        sha.addData(data, n);
        data += n;
        size -= n;
        if (sha.innerSize() == LeafBytes) {
            addLeaf();
            sha.restartInner(); // a whole leaf from the chunk's start: a block boundary
        }
    }
}

void FileDagBuilder::addLeaf()
{
    const NestedSha256& sha = *m_sha;
    if (sha.innerSize() > 0)
        m_leaves.append(rawLeaf(sha.innerResult(), quint64(sha.innerSize())));
}

Node FileDagBuilder::endChunk(QByteArray* chunkSha256)
{
    addLeaf(); // the last, short one (reset() below starts the next chunk)
    if (m_leaves.isEmpty())
        return {};
    if (chunkSha256)
        *chunkSha256 = m_sha->outerResult();
    m_sha->reset();
    m_chunks.append(balancedFile(m_leaves, m_sink));
    m_leaves.clear();
    return m_chunks.last();
}

Node FileDagBuilder::finish()
{
    endChunk();
    return balancedFile(m_chunks, m_sink);
}

Node directory(QList<Entry> entries, const BlockSink& sink)
{
    // dag-pb sorts links by their names' bytes.
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name.toUtf8() < b.name.toUtf8(); });
    QList<Link> links;
    links.reserve(entries.size());
    for (const Entry& e : std::as_const(entries))
        links.append({e.name.toUtf8(), e.node});
    QByteArray data;
    putUint(data, 1, TypeDirectory);
    return storeNode(links, data, 0, sink);
}

Node modelDag(const QList<QPair<QString, Node>>& files, QString* error, const BlockSink& sink)
{
    error->clear();
    Folder root;
    for (const auto& [path, node] : files) {
        const QStringList parts = path.split(QLatin1Char('/'));
        if (!std::all_of(parts.cbegin(), parts.cend(), validName)) {
            *error = QStringLiteral("“%1” is not a path inside a model").arg(path);
            return {};
        }
        Folder* folder = &root;
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            if (folder->files.contains(parts.at(i))) {
                *error = QStringLiteral("“%1” is both a file and a folder")
                             .arg(parts.mid(0, i + 1).join(QLatin1Char('/')));
                return {};
            }
            folder = &folder->folders[parts.at(i)];
        }
        if (folder->folders.contains(parts.last()) || folder->files.contains(parts.last())) {
            *error =
                QStringLiteral("“%1” is named twice, or is both a file and a folder").arg(path);
            return {};
        }
        folder->files.insert(parts.last(), node);
    }
    return build(root, sink);
}

} // namespace mf::unixfs
