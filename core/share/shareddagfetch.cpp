#include "shareddagfetch.h"

#include "providers/ipfs/ipfscid.h"
#include "providers/ipfs/ipfsprovider.h"
#include "providers/providerjob.h"
#include "util/units.h"

#include <QDir>
#include <QStorageInfo>
#include <QTimer>

#include <limits>

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

// The sum of a folder's links' Tsize (what the folder declares below it), false when it
// overflows; `known` false when a link does not say (Tsize 0).
bool declaredBelow(const unixfs::NodeRead& node, quint64* sum, bool* known)
{
    *sum = 0;
    *known = true;
    for (const unixfs::LinkRead& link : node.links) {
        if (link.size == 0)
            *known = false;
        if (link.size > std::numeric_limits<quint64>::max() - *sum)
            return false;
        *sum += link.size;
    }
    return true;
}

// The file bytes a dag-pb file node delivers: its inline data when it has no parts (a leaf
// need not say its filesize), else its filesize.
quint64 nodeBytes(const unixfs::NodeRead& node)
{
    return node.links.isEmpty() ? quint64(node.data.size()) : node.fileSize;
}

} // namespace

SharedDagFetch::SharedDagFetch(IpfsProvider* node, const QString& rootCid, const QString& folder,
                               const QString& fileName, const SharedDagLimits& limits,
                               QObject* parent)
    : QObject(parent)
    , m_node(node)
    , m_limits(limits)
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
    // A file or folder that claims more than its folder's link to it said.
    const auto overLink = [&](quint64 bytes) {
        if (isRoot || step.size == 0 || bytes <= step.size)
            return false;
        fail(tr("“%1” of %2 declares %3 bytes, more than the %4 its folder's link to it says")
                 .arg(path, m_root)
                 .arg(bytes)
                 .arg(step.size),
             Error::Kind::Corrupt);
        return true;
    };
    if (ipfscid::codec(step.cid) == ipfscid::CodecRaw) {
        // A file of one raw block.
        if (overLink(quint64(block.size())) ||
            (isRoot && !checkDeclared(quint64(block.size()), true)) ||
            !openFile(path, quint64(block.size())) || !append(block))
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
        if (node.links.size() > m_limits.maxFanOut) {
            fail(tr("The folder “%1” of %2 has %3 entries, more than the %4 an import reads in "
                    "one folder")
                     .arg(step.path, m_root)
                     .arg(node.links.size())
                     .arg(m_limits.maxFanOut),
                 Error::Kind::QuotaExceeded);
            return false;
        }
        if (m_entries + node.links.size() > m_limits.maxEntries) {
            fail(tr("%1 has more than %2 files and folders, more than an import takes "
                    "(--max-files raises the limit)")
                     .arg(m_root)
                     .arg(m_limits.maxEntries),
                 Error::Kind::QuotaExceeded);
            return false;
        }
        m_entries += node.links.size();
        quint64 below = 0;
        bool known = false;
        if (!declaredBelow(node, &below, &known)) {
            fail(tr("The folder “%1” of %2 declares more bytes than can be counted")
                     .arg(step.path, m_root),
                 Error::Kind::Corrupt);
            return false;
        }
        if (known && overLink(below))
            return false;
        if (isRoot && !checkDeclared(below, known))
            return false;
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
            m_stack.append({Step::Kind::Entry, link.cid, child, link.size});
        }
        return true;
    }
    case unixfs::NodeRead::Type::File:
    case unixfs::NodeRead::Type::Raw: {
        const quint64 declared = nodeBytes(node);
        if (overLink(declared) || (isRoot && !checkDeclared(declared, true)) ||
            !openFile(path, declared))
            return false;
        m_stack.append({Step::Kind::EndOfFile, {}, path, declared});
        return expandFile(node, cid, 0);
    }
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

bool SharedDagFetch::checkDeclared(quint64 declared, bool known)
{
    m_bound = m_limits.maxBytes;
    if (!known)
        return true; // what is written is still counted against the limit
    if (declared > m_limits.maxBytes) {
        fail(tr("%1 declares %2, more than the %3 an import takes (--max-size, or the vault's "
                "import-limit setting, raises it)")
                 .arg(m_root,
                      units::formatBytes(qint64(std::min<quint64>(
                          declared, quint64(std::numeric_limits<qint64>::max())))),
                      units::formatBytes(qint64(m_limits.maxBytes))),
             Error::Kind::QuotaExceeded);
        return false;
    }
    const qint64 free = QStorageInfo(m_folder).bytesAvailable();
    if (free >= 0 && declared > quint64(free)) {
        fail(tr("Not enough free space in “%1” for %2: it declares %3, %4 are free")
                 .arg(m_folder, m_root, units::formatBytes(qint64(declared)),
                      units::formatBytes(free)),
             Error::Kind::QuotaExceeded);
        return false;
    }
    m_declared = declared;
    m_bound = declared;
    return true;
}

bool SharedDagFetch::handlePart(const Step& step, const QByteArray& block)
{
    const QString cid = ipfscid::toBase32(step.cid);
    // A part must bring what its parent declared below it: no more (a leaf of a terabyte
    // under a parent that said a kilobyte), and no less.
    const auto differs = [&](quint64 bytes) {
        if (step.size == 0 || bytes == step.size)
            return false;
        fail(tr("Block %1 of “%2” has %3 bytes where its parent declares %4")
                 .arg(cid, step.path)
                 .arg(bytes)
                 .arg(step.size),
             Error::Kind::Corrupt);
        return true;
    };
    if (ipfscid::codec(step.cid) == ipfscid::CodecRaw)
        return !differs(quint64(block.size())) && append(block);
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
    return !differs(nodeBytes(node)) && expandFile(node, cid, step.depth);
}

bool SharedDagFetch::expandFile(const unixfs::NodeRead& node, const QString& cid, int depth)
{
    if (depth >= MaxDepth) {
        fail(tr("Block %1 is nested deeper than a file DAG is").arg(cid), Error::Kind::Corrupt);
        return false;
    }
    // The parts' declared sizes and the inline data must add up to the node's size, so that
    // each part can be held to its own.
    const bool sized = !node.links.isEmpty() && node.blockSizes.size() == node.links.size();
    if (sized) {
        quint64 sum = quint64(node.data.size());
        bool overflow = false;
        for (const quint64 s : node.blockSizes) {
            overflow = overflow || s > std::numeric_limits<quint64>::max() - sum;
            sum += overflow ? 0 : s;
        }
        if (overflow || sum != node.fileSize) {
            fail(tr("Block %1 declares %2 bytes but its parts add up to %3")
                     .arg(cid)
                     .arg(node.fileSize)
                     .arg(overflow ? tr("more than can be counted") : QString::number(sum)),
                 Error::Kind::Corrupt);
            return false;
        }
    }
    if (!node.data.isEmpty() && !append(node.data))
        return false;
    if (m_stack.size() + node.links.size() > MaxDepth * 1024) {
        fail(tr("Block %1 links to more parts than a file DAG has").arg(cid));
        return false;
    }
    for (qsizetype i = node.links.size() - 1; i >= 0; --i)
        m_stack.append({Step::Kind::Part, node.links.at(i).cid, m_filePath,
                        sized ? node.blockSizes.at(i) : 0, depth + 1});
    return true;
}

bool SharedDagFetch::openFile(const QString& path, quint64 declared)
{
    m_filePath = path;
    m_fileWritten = 0;
    m_fileDeclared = declared;
    m_file.setFileName(m_folder + QLatin1Char('/') + path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        fail(tr("“%1” could not be written in %2: %3").arg(path, m_folder, m_file.errorString()));
        return false;
    }
    return true;
}

bool SharedDagFetch::append(QByteArrayView bytes)
{
    // Checked before the bytes are written: nothing past what was declared reaches the disk.
    const quint64 n = quint64(bytes.size());
    if (quint64(m_fileWritten) + n > m_fileDeclared) {
        fail(tr("“%1” of %2 delivers more than the %3 bytes its root declares")
                 .arg(m_filePath, m_root)
                 .arg(m_fileDeclared),
             Error::Kind::Corrupt);
        return false;
    }
    if (quint64(m_bytesWritten) + n > m_bound) {
        fail(m_declared > 0
                 ? tr("%1 delivers more than the %2 it declares")
                       .arg(m_root, units::formatBytes(qint64(m_declared)))
                 : tr("%1 delivers more than the %2 an import takes (--max-size, or the vault's "
                      "import-limit setting, raises it)")
                       .arg(m_root, units::formatBytes(qint64(m_limits.maxBytes))),
             Error::Kind::QuotaExceeded);
        return false;
    }
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
