// Model DAGs on IPFS nodes (docs/cids.md, "On an IPFS node"): which models a node holds whole,
// their DAGs' upper blocks, and the model roots this vault pinned (sync/dagrootsjob.cpp).
#include "filedags.h"
#include "registry.h"
#include "registryquery.h"

namespace mf {

QList<qint64> ModelRows::modelsWholeOn(qint64 providerId)
{
    // A chunk of up to one leaf is one raw block, its own CID; a larger one is the DAG of its
    // leaves, stored under its root (IpfsProvider::put()). A placement under another locator
    // (leaves of another size) does not give the node the DAG the file's links name.
    Query q(this, QStringLiteral(
                      "SELECT m.id FROM models m WHERE m.state = 'complete' AND EXISTS (SELECT 1 "
                      "FROM files f WHERE f.model_id = m.id) AND NOT EXISTS (SELECT 1 FROM files "
                      "f WHERE f.model_id = m.id AND (f.state != 'complete' OR f.cid IS NULL)) "
                      "AND NOT EXISTS (SELECT 1 FROM files f JOIN file_chunks fc ON fc.file_id = "
                      "f.id AND fc.idx >= 0 JOIN chunks c ON c.cid = fc.cid WHERE f.model_id = "
                      "m.id AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.cid = c.cid AND "
                      "p.provider_id = ? AND p.state = 'stored' AND p.locator = CASE WHEN "
                      "c.size <= ? THEN c.cid ELSE c.dag_cid END)) ORDER BY m.id"));
    QList<qint64> ids;
    if (!q.bind(providerId).bind(unixfs::LeafBytes).exec())
        return ids;
    while (q.q().next())
        ids.append(q.q().value(0).toLongLong());
    return ids;
}

std::optional<unixfs::Node> ModelRows::modelDag(qint64 modelId, const unixfs::BlockSink& sink)
{
    const QList<FileRecord> records = files(modelId);
    for (const FileRecord& f : records) {
        // The file's nodes as its manifest gives them: the same as its recorded CID, or the
        // registry does not describe what the node would be asked to pin.
        std::optional<unixfs::Node> dag;
        QList<QPair<unixfs::Node, QByteArray>> blocks;
        const auto keep = [&blocks](const unixfs::Node& node, const QByteArray& block) {
            blocks.append({node, block});
        };
        if (!fileDagFromManifest(f.id, &dag, keep) || !dag || unixfs::toText(dag->cid) != f.cid)
            return std::nullopt;
        if (sink)
            for (const auto& b : std::as_const(blocks))
                sink(b.first, b.second);
    }
    return filedags::modelNode(records, sink);
}

QHash<QString, bool> ModelRows::dagPins(qint64 providerId)
{
    Query q(this, QStringLiteral("SELECT cid, pinned FROM dag_pins WHERE provider_id = ?"));
    QHash<QString, bool> out;
    if (!q.bind(providerId).exec())
        return out;
    while (q.q().next())
        out.insert(q.q().value(0).toString(), q.q().value(1).toInt() != 0);
    return out;
}

bool ModelRows::setDagPin(qint64 providerId, const QString& cid, DagPin state)
{
    if (state == DagPin::Removed) {
        Query q(this, QStringLiteral("DELETE FROM dag_pins WHERE provider_id = ? AND cid = ?"));
        return q.bind(providerId).bind(cid).exec();
    }
    Query q(this, QStringLiteral("INSERT INTO dag_pins (provider_id, cid, pinned) VALUES (?, ?, "
                                 "?) ON CONFLICT (provider_id, cid) DO UPDATE SET pinned = "
                                 "excluded.pinned"));
    return q.bind(providerId).bind(cid).bind(state == DagPin::Pinned ? 1 : 0).exec();
}

} // namespace mf
