#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

namespace mf {
class NestedSha256;
}

namespace mf::unixfs {

// Files and models in the IPFS data model (docs/cids.md): UnixFS v1 nodes encoded as dag-pb,
// identified by CIDv1 with sha2-256, leaves as raw blocks. The layout is the one `ipfs add
// --cid-version 1 --raw-leaves` builds with its default balanced layout, applied to
// ModelFloat's chunks: each chunk is a balanced DAG of raw leaves of at most LeafBytes, and a
// file is a balanced DAG of its chunks' DAGs, at most MaxLinks links per node. With chunks of
// exactly LeafBytes (`--chunker fixed --chunk-size 1M`) a file's CID is the one `ipfs add
// --cid-version 1 --raw-leaves --chunker size-1048576` gives.

constexpr qint64 LeafBytes = 1024 * 1024;
constexpr int MaxLinks = 174; // Kubo's and js-ipfs's DefaultLinksPerBlock

constexpr quint8 CodecRaw = 0x55;
constexpr quint8 CodecDagPb = 0x70;

// One node of a DAG as its parent links to it.
struct Node
{
    QByteArray cid;             // binary CIDv1 (version, codec, sha2-256 multihash)
    quint64 fileSize = 0;       // bytes of file content below it (0 for a directory)
    quint64 cumulativeSize = 0; // its block and every block below it: a link's Tsize
    bool isValid() const { return !cid.isEmpty(); }
};

// Called with each dag-pb block a builder makes (its node and its bytes), for whoever stores
// them (an IPFS node). Raw leaves are the file's own bytes and are not reported.
using BlockSink = std::function<void(const Node& node, const QByteArray& block)>;

// The binary CIDv1 of a block of `codec` whose SHA-256 is `digest`.
QByteArray cidOf(quint8 codec, const QByteArray& digest);
// "b" + base32: how every CID is shown (the chunks' own form).
QString toText(const QByteArray& binaryCid);
// The binary CIDv1 of `text` in that form, or empty.
QByteArray fromText(QStringView text);

// A raw leaf: `size` bytes whose SHA-256 is `digest`.
Node rawLeaf(const QByteArray& digest, quint64 size);

// The root of the balanced DAG over `children` in order: the only child itself when there is
// one, otherwise File nodes of at most MaxLinks links, level by level, as IPFS's balanced
// layout builds them. An empty list gives the empty file's node.
Node balancedFile(const QList<Node>& children, const BlockSink& sink = {});

// The DAG of one chunk's bytes: raw leaves of LeafBytes, balanced. `chunkSha256`, when given
// and the bytes are not empty, gets their SHA-256 (their raw CID's digest), hashed in the same
// pass as the leaves.
Node chunkDag(QByteArrayView bytes, const BlockSink& sink = {}, QByteArray* chunkSha256 = nullptr);

// A directory: entries sorted by name as dag-pb requires. Names must not be empty or contain
// '/'; nested paths are built by the caller (ModelDag).
struct Entry
{
    QString name;
    Node node;
};
Node directory(QList<Entry> entries, const BlockSink& sink = {});

// A model's directory from its files' paths ("a/b.gguf") and DAGs: folders become directories.
// An empty `error` on success; a path that is empty, absolute, has "." or ".." parts, or names
// both a file and a folder is refused.
Node modelDag(const QList<QPair<QString, Node>>& files, QString* error, const BlockSink& sink = {});

// A file's DAG from its bytes in order, chunk by chunk, as a float or `cid` reads them: leaves
// and chunks are hashed as the bytes come, in one pass (NestedSha256), so memory does not grow
// with the chunk or the file.
class FileDagBuilder
{
public:
    explicit FileDagBuilder(BlockSink sink = {});
    ~FileDagBuilder();
    Q_DISABLE_COPY_MOVE(FileDagBuilder)

    // Bytes of the current chunk.
    void addBytes(const uchar* data, qsizetype size);
    // The current chunk ends here: its DAG's root (invalid, and nothing recorded, when the
    // chunk has no bytes), and in `chunkSha256`, when given, the SHA-256 of its bytes (its raw
    // CID's digest).
    Node endChunk(QByteArray* chunkSha256 = nullptr);
    // Ends the last chunk; the file's root. The builder is spent.
    Node finish();

    qsizetype chunkCount() const { return m_chunks.size(); }

private:
    void addLeaf(); // the leaf hashed since the last one, if any

    BlockSink m_sink;
    // Outer: the current chunk (its raw CID); inner: its current leaf. Leaves end every
    // LeafBytes from the chunk's start, a multiple of 64 bytes, as NestedSha256 requires.
    std::unique_ptr<NestedSha256> m_sha;
    QList<Node> m_leaves; // of the current chunk
    QList<Node> m_chunks;
};

} // namespace mf::unixfs
