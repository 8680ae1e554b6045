#pragma once

#include "chunking/dagpbreader.h"
#include "util/error.h"

#include <QFile>
#include <QObject>
#include <QPointer>

#include <memory>

namespace mf {

class IpfsProvider;
class ProviderJob;

// How far a shared DAG may expand (docs/cids.md, "Limits"): a DAG is a few blocks that can name
// terabytes or millions of files, so what it declares is checked before a byte is written, and
// what it delivers is counted against that as it comes.
struct SharedDagLimits
{
    static constexpr quint64 DefaultMaxBytes = quint64(1) << 40; // 1 TiB
    static constexpr qint64 DefaultMaxEntries = 100000;
    static constexpr int DefaultMaxFanOut = 10000;
    quint64 maxBytes = DefaultMaxBytes;    // the declared total, and what is written
    qint64 maxEntries = DefaultMaxEntries; // files and folders together
    int maxFanOut = DefaultMaxFanOut;      // entries of one folder
};

// Reads what a CID someone shared names — a UnixFS directory (a model) or file — from an IPFS
// node, block by block, into a folder: each block is checked against its CID before a byte of
// it is used (unixfs::blockMatchesCid), so a node that serves altered bytes is caught at the
// first such block, which the error names. The walk is depth first in link order, so each file
// is written front to back; a file's length must come out as its root says. Anything a
// ModelFloat import cannot represent (a sharded directory, a symbolic link, a name with '/' or
// "..") is refused with a message that says so. On failure the folder's contents are the
// caller's to remove.
class SharedDagFetch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SharedDagFetch)

public:
    // `folder` exists and is empty; a file root is written as `folder`/`fileName`.
    SharedDagFetch(IpfsProvider* node, const QString& rootCid, const QString& folder,
                   const QString& fileName, const SharedDagLimits& limits,
                   QObject* parent = nullptr);
    ~SharedDagFetch() override;

    void start();
    void abort();
    const Error& error() const { return m_error; }
    // The root is a directory (its files are the folder's contents).
    bool rootIsDirectory() const { return m_rootIsDirectory; }
    qint64 bytesWritten() const { return m_bytesWritten; }
    int blocksRead() const { return m_blocksRead; }
    // What the root declares (0 until it is read, or when its links do not say).
    quint64 declaredBytes() const { return m_declared; }

Q_SIGNALS:
    void progress();
    void finished(); // once, queued

private:
    // What a block found on the stack is: a directory entry or file root at `path` (`size`:
    // its link's Tsize, the most its file bytes can be; 0 when not said), a part of the file
    // being written (`size`: the bytes its parent declares below it; 0 when not said), or the
    // end of that file (its expected length in `size`). `depth`: parts above it in its file.
    struct Step
    {
        enum class Kind { Entry, Part, EndOfFile } kind = Kind::Entry;
        QByteArray cid;
        QString path;
        quint64 size = 0;
        int depth = 0;
    };
    void next();
    void onBlock(const Step& step, ProviderJob& job);
    bool handleEntry(const Step& step, const QByteArray& block);
    bool handlePart(const Step& step, const QByteArray& block);
    // Pushes a File node's parts (and writes its inline data).
    bool expandFile(const unixfs::NodeRead& node, const QString& cid, int depth);
    // The root's declared size against the limit and the free space.
    bool checkDeclared(quint64 declared, bool known);
    bool openFile(const QString& path, quint64 declared);
    bool append(QByteArrayView bytes);
    void fail(const QString& message, Error::Kind kind = Error::Kind::Fatal);
    void finish(const Error& error);

    // Not leased: the node is the IpfsImportJob's own adapter (not a vault's), which deletes
    // this fetch before it.
    IpfsProvider* m_node;
    SharedDagLimits m_limits;
    QString m_root;
    QString m_folder;
    QString m_fileName;
    QList<Step> m_stack; // the next step is the last
    QFile m_file;
    QString m_filePath;
    qint64 m_fileWritten = 0;
    quint64 m_fileDeclared = 0;
    quint64 m_declared = 0;
    quint64 m_bound = 0; // the most bytes this import may write: the declared total or the limit
    qint64 m_entries = 0;
    QPointer<ProviderJob> m_job;
    qint64 m_bytesWritten = 0;
    int m_blocksRead = 0;
    bool m_rootIsDirectory = false;
    bool m_started = false;
    bool m_finished = false;
    Error m_error;
};

} // namespace mf
