#pragma once

// Helpers of the suites that read models back out of a vault of real local-folder providers
// (tst_assembler, tst_assemblerranges, tst_verifyremove): floating a model, looking at its
// files, chunks and objects, damaging an object, and a slow output device.

#include "chunking/cid.h"
#include "providers/localprovider.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/fileassembler.h"
#include "transfer/floatjob.h"
#include "transfer/rangejob.h"
#include "transfer/removejob.h"
#include "transfer/restorejob.h"
#include "transfer/verifyjob.h"
#include "vault/vault.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <memory>

namespace mf::test {

const ChunkerParams Small = test::SmallChunks;
constexpr int Timeout = test::JobTimeoutMs;

// Floats `paths` as model `name` with the small chunker; false if that fails.
inline bool floatModel(TestVault& v, const QStringList& paths, const QString& name, int replication)
{
    FloatJob::Request r;
    r.paths = paths;
    r.modelName = name;
    r.options.replication = replication;
    r.options.chunker = Small;
    FloatJob job(v.vault.get(), r);
    if (!run(job) || job.failure() != FloatJob::Failure::None) {
        qWarning("Float failed: %s", qPrintable(job.error().message));
        return false;
    }
    return true;
}

inline std::optional<FileRecord> fileOf(TestVault& v, const QString& model, const QString& path)
{
    const auto m = v.registry().modelRows().modelByName(model);
    return m ? v.registry().modelRows().file(m->id, path) : std::nullopt;
}

inline QList<FileChunk> chunksOf(TestVault& v, const QString& model, const QString& path)
{
    const auto f = fileOf(v, model, path);
    return f ? v.registry().modelRows().fileChunks(f->id) : QList<FileChunk>();
}

// The state of a chunk's placement on a provider, by name ("none" without one).
inline QString stateOf(TestVault& v, const QString& cid, qint64 providerId)
{
    for (const Placement& p : v.registry().placementRows().placements(cid))
        if (p.providerId == providerId)
            return placementStateName(p.state);
    return QStringLiteral("none");
}

const QString Stored = placementStateName(PlacementState::Stored);
const QString Missing = placementStateName(PlacementState::Missing);
const QString Corrupt = placementStateName(PlacementState::Corrupt);

// Every name in a folder, hidden ones included.
inline QStringList entriesOf(const QString& dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System |
                               QDir::NoDotAndDotDot);
}

// Names of the objects a local provider folder holds (temporaries excluded).
inline QStringList objectsIn(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (!it.filePath().contains(QStringLiteral("/.tmp/")))
            out.append(it.fileName());
    }
    return out;
}

inline bool damage(const QString& objectPath, qint64 size, quint64 seed)
{
    return test::writeFile(objectPath, test::pseudoRandomBytes(size, seed));
}

inline RestoreJob::Request restoreRequest(const QString& model, const QString& dir,
                                          bool overwrite = false)
{
    RestoreJob::Request r;
    r.modelName = model;
    r.destinationDir = dir;
    r.options.overwrite = overwrite;
    return r;
}

// An output that takes bytes at once but sends them on slowly, as a socket to a slow reader
// does: what was written waits (bytesToWrite) and 64 KiB of it leaves on a later turn of the
// event loop, and only after the writer has looked at what waits. A writer that never looks
// (that does not wait for its output) so floods it, as it would flood a socket.
class SlowOutput final : public QIODevice
{
public:
    QByteArray sent;
    qint64 mostWaiting = 0;
    bool stalled = false; // takes nothing while set, as a reader that stopped reading

    SlowOutput()
    {
        m_timer.setInterval(0);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { drain(); });
        m_timer.start();
    }
    // The rest at once, once the writer is done.
    void flush()
    {
        sent += m_waiting;
        m_waiting.clear();
    }
    qint64 bytesToWrite() const override
    {
        m_drainAsked = !m_waiting.isEmpty();
        return m_waiting.size();
    }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char* data, qint64 size) override
    {
        m_waiting.append(data, size);
        mostWaiting = qMax<qint64>(mostWaiting, m_waiting.size());
        return size;
    }

private:
    void drain()
    {
        if (stalled || !m_drainAsked || m_waiting.isEmpty())
            return;
        m_drainAsked = false;
        const qsizetype n = qMin<qsizetype>(64 * 1024, m_waiting.size());
        sent += m_waiting.left(n);
        m_waiting.remove(0, n);
        Q_EMIT bytesWritten(n);
    }
    QByteArray m_waiting;
    mutable bool m_drainAsked = false;
    QTimer m_timer;
};

} // namespace mf::test
