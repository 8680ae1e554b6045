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
                   const QString& fileName, QObject* parent = nullptr);
    ~SharedDagFetch() override;

    void start();
    void abort();
    const Error& error() const { return m_error; }
    // The root is a directory (its files are the folder's contents).
    bool rootIsDirectory() const { return m_rootIsDirectory; }
    qint64 bytesWritten() const { return m_bytesWritten; }
    int blocksRead() const { return m_blocksRead; }

Q_SIGNALS:
    void progress();
    void finished(); // once, queued

private:
    // What a block found on the stack is: a directory entry or file root at `path`, a part of
    // the file being written, or the end of that file (its expected length in `size`).
    struct Step
    {
        enum class Kind { Entry, Part, EndOfFile } kind = Kind::Entry;
        QByteArray cid;
        QString path;
        quint64 size = 0;
    };
    void next();
    void onBlock(const Step& step, ProviderJob& job);
    bool handleEntry(const Step& step, const QByteArray& block);
    bool handlePart(const Step& step, const QByteArray& block);
    // Pushes a File node's parts (and writes its inline data).
    bool expandFile(const unixfs::NodeRead& node, const QString& cid);
    bool openFile(const QString& path);
    bool append(QByteArrayView bytes);
    void fail(const QString& message, Error::Kind kind = Error::Kind::Fatal);
    void finish(const Error& error);

    IpfsProvider* m_node;
    QString m_root;
    QString m_folder;
    QString m_fileName;
    QList<Step> m_stack; // the next step is the last
    QFile m_file;
    QString m_filePath;
    qint64 m_fileWritten = 0;
    QPointer<ProviderJob> m_job;
    qint64 m_bytesWritten = 0;
    int m_blocksRead = 0;
    bool m_rootIsDirectory = false;
    bool m_started = false;
    bool m_finished = false;
    Error m_error;
};

} // namespace mf
