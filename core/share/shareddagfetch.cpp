#include "shareddagfetch.h"

#include "providers/ipfs/ipfscid.h"
#include "providers/ipfs/ipfsprovider.h"
#include "providers/providerjob.h"

#include <QDir>
#include <QTimer>

namespace mf {

namespace {

// Deeper than any real model folder or file DAG (a balanced file DAG of 1 MiB leaves needs 5
// levels for 900 TiB): a deeper one is a malicious or broken DAG, refused before the stack grows.
constexpr int MaxDepth = 64;

bool isSafeName(const QString& name)
{
    return !name.isEmpty() && name != QLatin1String(".") && name != QLatin1String("..") &&
           !name.contains(QLatin1Char('/')) && !name.contains(QLatin1Char('\\')) &&
           !name.contains(QChar(0));
}

} // namespace

SharedDagFetch::SharedDagFetch(IpfsProvider* node, const QString& rootCid, const QString& folder,
                               const QString& fileName, QObject* parent)
    : QObject(parent)
    , m_node(node)
    , m_root(rootCid)
    , m_folder(folder)
    , m_fileName(fileName)
{}

SharedDagFetch::~SharedDagFetch()
{
    if (m_job)
        m_job->abort();
}

void SharedDagFetch::start()
{
    if (m_started)
        return;
    m_started = true;
    const QByteArray root = ipfscid::decode(m_root);
    if (root.isEmpty()) {
        fail(tr("“%1” is not a CID").arg(m_root), Error::Kind::NotFound);
        return;
    }
    m_stack.append({Step::Kind::Entry, root, QString(), 0});
    next();
}

void SharedDagFetch::abort()
{
    if (m_finished)
        return;
    if (m_job)
        m_job->abort();
    finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void SharedDagFetch::next()
{
    if (m_finished)
        return;
    while (!m_stack.isEmpty() && m_stack.last().kind == Step::Kind::EndOfFile) {
        const Step end = m_stack.takeLast();
        m_file.close();
        if (m_file.error() != QFileDevice::NoError) {
            fail(tr("Writing “%1” failed: %2").arg(end.path, m_file.errorString()));
            return;
        }
        if (quint64(m_fileWritten) != end.size) {
            fail(tr("The file “%1” of %2 has %3 bytes where its root says %4")
                     .arg(end.path, m_root)
                     .arg(m_fileWritten)
                     .arg(end.size));
            return;
        }
    }
    if (m_stack.isEmpty()) {
        finish(Error::none());
        return;
    }
    const Step step = m_stack.takeLast();
    ProviderJob* job = m_node->getBlock(ipfscid::toBase32(step.cid));
    m_job = job;
    connect(job, &ProviderJob::finished, this, [this, job, step] {
        job->deleteLater();
        onBlock(step, *job);
    });
    job->start();
}

void SharedDagFetch::onBlock(const Step& step, ProviderJob& job)
{
    if (m_finished)
        return;
    const QString cid = ipfscid::toBase32(step.cid);
    if (!job.error().ok()) {
        fail(tr("Block %1 could not be read from the IPFS node: %2").arg(cid, job.error().message),
             job.error().kind);
        return;
    }
    const QByteArray block = job.data();
    QString why;
    if (!unixfs::blockMatchesCid(step.cid, block, &why)) {
        fail(tr("The IPFS node sent block %1 altered (%2): nothing of it is used").arg(cid, why),
             Error::Kind::Corrupt);
        return;
    }
    ++m_blocksRead;
    const bool ok =
        step.kind == Step::Kind::Entry ? handleEntry(step, block) : handlePart(step, block);
    if (!ok)
        return;
    Q_EMIT progress();
    next();
}

bool SharedDagFetch::handleEntry(const Step& step, const QByteArray& block)
{
    const bool isRoot = step.path.isEmpty();
    const QString path = isRoot ? m_fileName : step.path;
    const QString cid = ipfscid::toBase32(step.cid);
    if (ipfscid::codec(step.cid) == ipfscid::CodecRaw) {
        // A file of one raw block.
        if (!openFile(path) || !append(block))
            return false;
        m_stack.append({Step::Kind::EndOfFile, {}, path, quint64(block.size())});
        return true;
    }
    unixfs::NodeRead node;
    QString why;
    if (!unixfs::readNode(block, &node, &why)) {
        fail(tr("Block %1 is not a UnixFS node: %2").arg(cid, why));
        return false;
    }
    switch (node.type) {
    case unixfs::NodeRead::Type::Directory: {
        if (isRoot)
            m_rootIsDirectory = true;
        if (step.path.count(QLatin1Char('/')) >= MaxDepth) {
            fail(tr("The folders of %1 are nested too deep").arg(m_root));
            return false;
        }
        if (!isRoot && !QDir(m_folder).mkpath(step.path)) {
            fail(tr("The folder “%1” could not be made in %2").arg(step.path, m_folder));
            return false;
        }
        // Links are sorted by name; pushed in reverse, so they are taken in order.
        for (qsizetype i = node.links.size() - 1; i >= 0; --i) {
            const unixfs::LinkRead& link = node.links.at(i);
            if (!isSafeName(link.name)) {
                fail(tr("The folder “%1” of %2 has an entry named “%3”, which cannot be a file "
                        "name")
                         .arg(step.path, m_root, link.name.left(100)));
                return false;
            }
            const QString child =
                step.path.isEmpty() ? link.name : step.path + QLatin1Char('/') + link.name;
            m_stack.append({Step::Kind::Entry, link.cid, child, 0});
        }
        return true;
    }
    case unixfs::NodeRead::Type::File:
    case unixfs::NodeRead::Type::Raw:
        if (!openFile(path))
            return false;
        m_stack.append({Step::Kind::EndOfFile, {}, path, node.fileSize});
        return expandFile(node, cid);
    case unixfs::NodeRead::Type::HamtShard:
        fail(tr("%1 is a sharded directory (more entries than one block holds), which import "
                "does not read yet")
                 .arg(step.path.isEmpty() ? m_root : step.path));
        return false;
    default:
        fail(tr("“%1” of %2 is a symbolic link or metadata, not a file or folder")
                 .arg(step.path.isEmpty() ? m_root : step.path, m_root));
        return false;
    }
}

bool SharedDagFetch::handlePart(const Step& step, const QByteArray& block)
{
    const QString cid = ipfscid::toBase32(step.cid);
    if (ipfscid::codec(step.cid) == ipfscid::CodecRaw)
        return append(block);
    unixfs::NodeRead node;
    QString why;
    if (!unixfs::readNode(block, &node, &why)) {
        fail(tr("Block %1 is not a UnixFS node: %2").arg(cid, why));
        return false;
    }
    if (node.type != unixfs::NodeRead::Type::File && node.type != unixfs::NodeRead::Type::Raw) {
        fail(tr("Block %1 is a part of file “%2” but not a file node").arg(cid, step.path));
        return false;
    }
    return expandFile(node, cid);
}

bool SharedDagFetch::expandFile(const unixfs::NodeRead& node, const QString& cid)
{
    if (!node.data.isEmpty() && !append(node.data))
        return false;
    if (m_stack.size() + node.links.size() > MaxDepth * 1024) {
        fail(tr("Block %1 links to more parts than a file DAG has").arg(cid));
        return false;
    }
    for (qsizetype i = node.links.size() - 1; i >= 0; --i)
        m_stack.append({Step::Kind::Part, node.links.at(i).cid, m_filePath, 0});
    return true;
}

bool SharedDagFetch::openFile(const QString& path)
{
    m_filePath = path;
    m_fileWritten = 0;
    m_file.setFileName(m_folder + QLatin1Char('/') + path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        fail(tr("“%1” could not be written in %2: %3").arg(path, m_folder, m_file.errorString()));
        return false;
    }
    return true;
}

bool SharedDagFetch::append(QByteArrayView bytes)
{
    if (m_file.write(bytes.data(), bytes.size()) != bytes.size()) {
        fail(tr("Writing “%1” failed: %2").arg(m_filePath, m_file.errorString()));
        return false;
    }
    m_fileWritten += bytes.size();
    m_bytesWritten += bytes.size();
    return true;
}

void SharedDagFetch::fail(const QString& message, Error::Kind kind)
{
    finish(Error::make(kind, message));
}

void SharedDagFetch::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    m_file.close();
    QTimer::singleShot(0, this, &SharedDagFetch::finished);
}

} // namespace mf
