#include "filedags.h"

#include "registry.h"
#include "registryquery.h"

namespace mf {

namespace filedags {

std::optional<unixfs::Node> fileNode(const FileRecord& file)
{
    if (file.state != FileRecord::State::Complete || file.cid.isEmpty())
        return std::nullopt;
    const QByteArray cid = unixfs::fromText(file.cid);
    if (cid.isEmpty())
        return std::nullopt;
    return unixfs::Node{cid, quint64(file.size), quint64(file.dagSize)};
}

std::optional<unixfs::Node> modelNode(const QList<FileRecord>& files, const unixfs::BlockSink& sink)
{
    QList<QPair<QString, unixfs::Node>> entries;
    entries.reserve(files.size());
    for (const FileRecord& f : files) {
        const auto node = fileNode(f);
        if (!node)
            return std::nullopt;
        entries.append({f.path, *node});
    }
    QString error; // the registry's paths were checked when they came in
    const unixfs::Node model = unixfs::modelDag(entries, &error, sink);
    if (!model.isValid())
        return std::nullopt;
    return model;
}

QString modelCid(const QList<FileRecord>& files)
{
    const auto node = modelNode(files);
    return node ? unixfs::toText(node->cid) : QString();
}

} // namespace filedags

bool ModelRows::fileDagFromManifest(qint64 fileId, std::optional<unixfs::Node>* dag,
                                    const unixfs::BlockSink& sink)
{
    dag->reset();
    Query q(this, QStringLiteral("SELECT c.cid, c.size, c.dag_cid, c.dag_size FROM file_chunks fc "
                                 "JOIN chunks c ON c.cid = fc.cid WHERE fc.file_id = ? AND "
                                 "fc.idx >= 0 ORDER BY fc.idx"));
    if (!q.bind(fileId).exec())
        return false;
    QList<unixfs::Node> chunks;
    while (q.q().next()) {
        const qint64 size = q.q().value(1).toLongLong();
        if (size <= unixfs::LeafBytes) {
            // One raw leaf: the chunk's own CID is its DAG.
            const QByteArray cid = unixfs::fromText(q.q().value(0).toString());
            if (cid.isEmpty())
                return true;
            chunks.append({cid, quint64(size), quint64(size)});
            continue;
        }
        const QByteArray root = unixfs::fromText(q.q().value(2).toString());
        if (root.isEmpty()) // recorded by a version that did not compute chunk DAGs
            return true;
        chunks.append({root, quint64(size), quint64(q.q().value(3).toLongLong())});
    }
    *dag = unixfs::balancedFile(chunks, sink);
    return true;
}

} // namespace mf
