#pragma once

// Helpers shared by the suites of scrub, repair, drain and the scheduler: floating a test file
// into a TestVault, counting a chunk's good copies, damaging objects on local providers.

#include "chunking/cid.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>

namespace mf::test {

inline FloatJob::Request floatRequestFor(const QString& path, const QString& name,
                                         int replication = 2)
{
    FloatJob::Request r;
    r.paths = {path};
    r.modelName = name;
    r.options.replication = replication;
    r.options.chunker = SmallChunks;
    return r;
}

// Floats `size` pseudo-random bytes (seed `seed`) as model `name`; the model's id, 0 on failure.
inline qint64 floatTestFile(TestVault& v, const QString& name, qint64 size, quint64 seed,
                            int replication = 2, bool* degraded = nullptr)
{
    const QString source = v.path(name + QStringLiteral(".bin"));
    if (!writePseudoRandomFile(source, size, seed))
        return 0;
    FloatJob job(v.vault.get(), floatRequestFor(source, name, replication));
    if (!run(job) || !job.error().ok()) {
        qWarning("float %s: %s", qPrintable(name), qPrintable(job.error().message));
        return 0;
    }
    if (degraded)
        *degraded = job.degraded();
    const auto model = v.registry().modelRows().modelByName(name);
    return model ? model->id : 0;
}

// The distinct chunks of a model's files.
inline QStringList modelChunks(Registry& r, qint64 modelId)
{
    QStringList cids;
    for (const FileRecord& f : r.modelRows().files(modelId))
        for (const FileChunk& c : r.modelRows().fileChunks(f.id))
            if (!cids.contains(c.cid))
                cids.append(c.cid);
    return cids;
}

// Providers holding a stored copy of `cid`.
inline QSet<qint64> holders(Registry& r, const QString& cid)
{
    QSet<qint64> out;
    for (const Placement& p : r.placementRows().placements(cid))
        if (p.state == PlacementState::Stored)
            out.insert(p.providerId);
    return out;
}

// The fewest stored copies of any chunk of the model.
inline int minCopies(Registry& r, qint64 modelId)
{
    int least = INT_MAX;
    for (const QString& cid : modelChunks(r, modelId))
        least = qMin(least, int(holders(r, cid).size()));
    return least == INT_MAX ? 0 : least;
}

// Flips one byte of a file in place (the size stays).
inline bool flipByte(const QString& path, qint64 offset)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite) || !f.seek(offset))
        return false;
    char c = 0;
    if (!f.getChar(&c) || !f.seek(offset))
        return false;
    return f.putChar(char(c ^ 0x5a));
}

} // namespace mf::test

namespace mf::test {

inline QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Every stored placement of the model's chunks on local providers is an object whose bytes
// match its CID. Returns the number of objects checked (-1 on the first mismatch).
inline int checkObjectsMatchCids(TestVault& v, qint64 modelId)
{
    int checked = 0;
    for (const QString& cid : modelChunks(v.registry(), modelId)) {
        for (const Placement& p : v.registry().placementRows().placements(cid)) {
            if (p.state != PlacementState::Stored)
                continue;
            const QByteArray bytes = readAll(v.objectPath(p.providerId, cid));
            if (cid::ofData(bytes) != cid) {
                qWarning("chunk %s on provider %lld does not match its CID", qPrintable(cid),
                         p.providerId);
                return -1;
            }
            ++checked;
        }
    }
    return checked;
}

// Makes every copy in the registry at `registryPath` look last stored and checked at `when`
// (seconds since the epoch), never read back: through a connection of its own, as another
// process would.
inline bool stampCopiesSeenAt(const QString& registryPath, qint64 when)
{
    bool ok = false;
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("stamp"));
        db.setDatabaseName(registryPath);
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.prepare(QStringLiteral("UPDATE placements SET stored_at = ?, checked_at = ?, "
                                          "verified_at = NULL")) &&
                 (q.addBindValue(when), q.addBindValue(when), q.exec());
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("stamp"));
    return ok;
}

} // namespace mf::test
