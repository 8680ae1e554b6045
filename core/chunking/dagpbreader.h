#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace mf::unixfs {

// Reading the blocks of a DAG someone shared (docs/cids.md, "Importing by CID"): a dag-pb node
// with UnixFS data, as any IPFS implementation writes it, and the check that a block's bytes
// are the ones its CID names. The writer is unixfs.h.

struct LinkRead
{
    QByteArray cid; // binary CIDv1 (a CIDv0 link becomes its dag-pb CIDv1)
    QString name;
    quint64 size = 0; // Tsize
};

struct NodeRead
{
    // UnixFS Data.DataType.
    enum class Type { Raw = 0, Directory = 1, File = 2, Metadata = 3, Symlink = 4, HamtShard = 5 };
    Type type = Type::Raw;
    QList<LinkRead> links;
    QByteArray data;           // inline file bytes (a leaf written without raw leaves)
    quint64 fileSize = 0;      // File: bytes below this node, inline data included
    QList<quint64> blockSizes; // File: bytes below each link, in order
};

// Parses a dag-pb block whose Data is a UnixFS message. False, with why, for anything else or
// anything malformed (it is never trusted: the block came from somebody else's node).
bool readNode(QByteArrayView block, NodeRead* node, QString* error);

// Whether `block` is what the binary CIDv1 `cid` names: a raw or dag-pb block whose SHA-256 is
// the CID's sha2-256 multihash. `why` says which part differs.
bool blockMatchesCid(const QByteArray& cid, QByteArrayView block, QString* why);

} // namespace mf::unixfs
