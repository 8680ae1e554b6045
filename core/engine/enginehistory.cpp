// The history half of EngineWorker: transfers kept in the registry's jobs table are read back
// when the vault opens (those to resume, and the finished ones: the history the Transfers page
// shows after a restart), with their figures (running time, rate, bytes already stored) and
// details (providers, chunks, retries); finished rows are pruned to a bound.
#include "engineworker.h"

#include "transfer/transferrows.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QJsonArray>

namespace mf {

using transferrows::kindFromKey;
using transferrows::mayTakeOver;
using transferrows::nowMs;
using transferrows::resumesFromStoredChunks;
using transferrows::RowKind;

namespace {
// Finished rows are kept this long, and at most this many (the newest).
constexpr qint64 KeepFinishedSecs = 30 * 24 * 3600;
constexpr int KeepFinishedRows = 500;
} // namespace

void EngineWorker::loadRows()
{
    // Transfers a previous run left queued, paused or (it was killed) running, and the history
    // of finished ones (done, degraded, failed, cancelled) within its limits, in the order they
    // were added.
    Registry& registry = m_vault->registry();
    registry.pruneFinishedJobs(QDateTime::currentSecsSinceEpoch() - KeepFinishedSecs,
                               KeepFinishedRows);
    QList<QPair<JobRow, QString>> rows;
    for (const QString& state :
         {QStringLiteral("queued"), QStringLiteral("running"), QStringLiteral("done"),
          QStringLiteral("failed"), QStringLiteral("cancelled")})
        for (const JobRow& row : registry.jobRows(RowKind, state))
            rows.append({row, state});
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
    for (const auto& [row, state] : std::as_const(rows)) {
        const bool finished = state != QLatin1String("queued") && state != QLatin1String("running");
        // Another process's queue (the app and a second one on this vault) is left to it,
        // unless that process is gone; the row is taken in one statement, so of two processes
        // opening the vault at once only one resumes it. Finished rows are history: shown, and
        // left to whoever clears them.
        if (!finished && (!mayTakeOver(row) || !registry.takeOverJob(row.id, row.owner)))
            continue;
        const qint64 rowId = row.id;
        const auto kind = kindFromKey(row.payload.value(QStringLiteral("kind")).toString());
        if (!kind) {
            if (!finished)
                registry.setJobState(rowId, QStringLiteral("failed"),
                                     tr("Unknown kind of transfer"));
            continue;
        }
        Transfer t = fromRow(row.payload, finished);
        if (t.info.background) {
            // The scheduler starts background work afresh; a leftover row is forgotten.
            registry.removeJob(rowId);
            continue;
        }
        t.info.id = ++*m_ids;
        t.info.fromHistory = finished;
        if (finished) {
            const bool degraded = row.payload.value(QStringLiteral("degraded")).toBool();
            t.info.state =
                state == QLatin1String("done")
                    ? (degraded ? TransferInfo::State::Degraded : TransferInfo::State::Done)
                : state == QLatin1String("failed") ? TransferInfo::State::Failed
                                                   : TransferInfo::State::Cancelled;
            if (!t.info.finished.isValid())
                t.info.finished = QDateTime::fromSecsSinceEpoch(row.updatedSecs);
        }
        t.rowId = rowId;
        if (state == QLatin1String("running"))
            registry.setJobState(rowId, QStringLiteral("queued"));
        insert(std::move(t));
    }
}

void EngineWorker::describeFromRegistry(Transfer& t)
{
    if (!m_vault)
        return;
    Registry& registry = m_vault->registry();
    const bool floats =
        t.info.kind == TransferInfo::Kind::Float || t.info.kind == TransferInfo::Kind::Import;
    if (floats && !t.info.isFinished()) {
        // Where it may place copies: the providers it was given, or every one taking copies.
        QList<qint64> ids;
        for (const QJsonValue v : t.payload.value(QStringLiteral("providers")).toArray())
            ids.append(v.toInteger());
        t.info.providers.clear();
        for (const ProviderRecord& p : registry.providers())
            if (ids.isEmpty() ? p.takesNewCopies() : ids.contains(p.id))
                t.info.providers.append(p.name);
    } else if (t.info.modelId && !(t.info.kind == TransferInfo::Kind::Remove &&
                                   t.info.state == TransferInfo::State::Done)) {
        t.info.providers = registry.providerNamesOfModel(t.info.modelId);
        if (!floats)
            t.info.chunksTotal = registry.chunkCountOfModel(t.info.modelId);
    }
    t.payload.insert(QStringLiteral("providerNames"), QJsonArray::fromStringList(t.info.providers));
}

EngineWorker::Transfer EngineWorker::fromRow(const QJsonObject& payload, bool finished)
{
    auto time = [&payload](const char* key) {
        const qint64 ms = payload.value(QLatin1String(key)).toInteger();
        return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms) : QDateTime();
    };
    Transfer t;
    t.info.kind = kindFromKey(payload.value(QStringLiteral("kind")).toString())
                      .value_or(TransferInfo::Kind::Float);
    t.info.state = payload.value(QStringLiteral("paused")).toBool() ? TransferInfo::State::Paused
                                                                    : TransferInfo::State::Queued;
    t.info.title = payload.value(QStringLiteral("title")).toString();
    t.info.modelId = payload.value(QStringLiteral("modelId")).toInteger();
    t.info.totalBytes = payload.value(QStringLiteral("totalBytes")).toInteger();
    // A finished transfer's figures are what it did; an unfinished one's bytes count only if
    // its next run keeps them.
    if (finished || resumesFromStoredChunks(t.info.kind))
        t.info.doneBytes = payload.value(QStringLiteral("doneBytes")).toInteger();
    t.info.sentBytes = payload.value(QStringLiteral("sentBytes")).toInteger();
    t.info.deduplicatedBytes = payload.value(QStringLiteral("deduplicatedBytes")).toInteger();
    t.info.activeMs = payload.value(QStringLiteral("activeMs")).toInteger();
    t.info.providers = payload.value(QStringLiteral("providerNames")).toVariant().toStringList();
    t.info.chunksDone = payload.value(QStringLiteral("chunksDone")).toInt(-1);
    t.info.chunksTotal = payload.value(QStringLiteral("chunksTotal")).toInt(-1);
    t.info.retries = payload.value(QStringLiteral("retries")).toInt();
    t.info.warnings = payload.value(QStringLiteral("warnings")).toVariant().toStringList();
    t.info.created = time("created");
    t.info.started = time("startedAt");
    if (finished) {
        t.info.finished = time("finishedAt");
        t.info.error = payload.value(QStringLiteral("error")).toString();
    } else {
        t.info.waitingUntil = time("waitUntil");
    }
    t.info.background = payload.value(QStringLiteral("background")).toBool();
    if (t.info.kind == TransferInfo::Kind::Restore)
        t.info.destination = payload.value(QStringLiteral("destination")).toString();
    t.payload = payload;
    return t;
}

void EngineWorker::endRun(Transfer& t)
{
    if (t.runStartMs < 0)
        return;
    t.info.activeMs += qMax<qint64>(0, nowMs() - t.runStartMs);
    t.runStartMs = -1;
    t.payload.insert(QStringLiteral("activeMs"), t.info.activeMs);
}

void EngineWorker::persist(Transfer& t)
{
    if (!m_vault || !t.rowId)
        return;
    Registry& registry = m_vault->registry();
    t.payload.insert(QStringLiteral("paused"), t.info.state == TransferInfo::State::Paused);
    t.payload.insert(QStringLiteral("degraded"), t.info.state == TransferInfo::State::Degraded);
    t.payload.insert(QStringLiteral("totalBytes"), t.info.totalBytes);
    t.payload.insert(QStringLiteral("doneBytes"), t.info.doneBytes);
    if (t.info.modelId)
        t.payload.insert(QStringLiteral("modelId"), t.info.modelId);
    // Its history, shown after a restart as it was.
    t.payload.insert(QStringLiteral("activeMs"), t.info.activeMs);
    t.payload.insert(QStringLiteral("error"), t.info.error);
    t.payload.insert(QStringLiteral("chunksDone"), t.info.chunksDone);
    t.payload.insert(QStringLiteral("chunksTotal"), t.info.chunksTotal);
    t.payload.insert(QStringLiteral("retries"), t.info.retries);
    if (t.info.finished.isValid())
        t.payload.insert(QStringLiteral("finishedAt"), t.info.finished.toMSecsSinceEpoch());
    else
        t.payload.remove(QStringLiteral("finishedAt"));
    registry.setJobPayload(t.rowId, t.payload);
    switch (t.info.state) {
    case TransferInfo::State::Queued:
    case TransferInfo::State::Paused:
        registry.setJobState(t.rowId, QStringLiteral("queued"));
        break;
    case TransferInfo::State::Running:
        registry.setJobState(t.rowId, QStringLiteral("running"));
        break;
    case TransferInfo::State::Done:
    case TransferInfo::State::Degraded: // finished; the payload says "degraded"
        registry.setJobState(t.rowId, QStringLiteral("done"));
        break;
    case TransferInfo::State::Failed:
        registry.setJobState(t.rowId, QStringLiteral("failed"), t.info.error);
        break;
    case TransferInfo::State::Cancelled:
        registry.setJobState(t.rowId, QStringLiteral("cancelled"));
        break;
    }
}

} // namespace mf
