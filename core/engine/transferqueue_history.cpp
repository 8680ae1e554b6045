// The history half of TransferQueue: transfers kept in the registry's jobs table are read back
// when the vault opens (those to resume, and the finished ones: the history the Transfers page
// shows after a restart), with their figures (running time, rate, bytes already stored) and
// details (providers, chunks, retries); finished rows are pruned to a bound.
#include "transferqueue.h"

#include "transfer/transferrows.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QJsonArray>

namespace mf {

using transferrows::kindFromKey;
using transferrows::kindKey;
using transferrows::mayTakeOver;
using transferrows::nowMs;
using transferrows::resumesFromStoredChunks;
using transferrows::RowKind;

namespace {
// Finished rows are kept this long, and at most this many (the newest).
constexpr qint64 KeepFinishedSecs = 30 * 24 * 3600;
constexpr int KeepFinishedRows = 500;
} // namespace

void TransferQueue::loadRows()
{
    // Transfers a previous run left queued, paused or (it was killed) running, and the history
    // of finished ones (done, degraded, failed, cancelled) within its limits, in the order they
    // were added.
    Registry& registry = m_vault->registry();
    registry.queueRows().pruneFinishedJobs(QDateTime::currentSecsSinceEpoch() - KeepFinishedSecs,
                                           KeepFinishedRows);
    QList<QPair<JobRow, QString>> rows;
    for (const QString& state :
         {QStringLiteral("queued"), QStringLiteral("running"), QStringLiteral("done"),
          QStringLiteral("failed"), QStringLiteral("cancelled")})
        for (const JobRow& row : registry.queueRows().jobRows(RowKind, state))
            rows.append({row, state});
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
    for (const auto& [row, state] : std::as_const(rows)) {
        const bool finished = state != QLatin1String("queued") && state != QLatin1String("running");
        // Another process's queue (the app and a second one on this vault) is left to it,
        // unless that process is gone; the row is taken in one statement, so of two processes
        // opening the vault at once only one resumes it. Finished rows are history: shown, and
        // left to whoever clears them.
        if (!finished &&
            (!mayTakeOver(row) || !registry.queueRows().takeOverJob(row.id, row.owner)))
            continue;
        const qint64 rowId = row.id;
        std::optional<Transfer> read = fromRow(row.payload, finished);
        if (!read) {
            if (!finished)
                registry.queueRows().setJobState(rowId, QStringLiteral("failed"),
                                                 tr("Unknown kind of transfer"));
            continue;
        }
        Transfer& t = *read;
        if (t.info.background) {
            // The scheduler starts background work afresh; a leftover row is forgotten.
            registry.queueRows().removeJob(rowId);
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
            registry.queueRows().setJobState(rowId, QStringLiteral("queued"));
        insert(std::move(t));
    }
}

void TransferQueue::describeFromRegistry(Transfer& t)
{
    if (!m_vault)
        return;
    Registry& registry = m_vault->registry();
    const bool floats =
        t.info.kind == TransferInfo::Kind::Float || t.info.kind == TransferInfo::Kind::Import;
    if (floats && !t.info.isFinished()) {
        // Where it may place copies: the providers it was given, or every one taking copies.
        const auto* f = std::get_if<FloatRequest>(&t.request);
        const QList<qint64> ids = f ? f->providerIds : QList<qint64>();
        t.info.providers.clear();
        for (const ProviderRecord& p : registry.providerRows().providers())
            if (ids.isEmpty() ? p.takesNewCopies() : ids.contains(p.id))
                t.info.providers.append(p.name);
    } else if (t.info.modelId && !(t.info.kind == TransferInfo::Kind::Remove &&
                                   t.info.state == TransferInfo::State::Done)) {
        t.info.providers = registry.modelRows().providerNamesOfModel(t.info.modelId);
        if (!floats)
            t.info.chunksTotal = registry.modelRows().chunkCountOfModel(t.info.modelId);
    }
}

std::optional<TransferQueue::Transfer> TransferQueue::fromRow(const QJsonObject& payload,
                                                              bool finished)
{
    auto time = [&payload](const char* key) {
        const qint64 ms = payload.value(QLatin1String(key)).toInteger();
        return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms) : QDateTime();
    };
    const auto kind = kindFromKey(payload.value(QStringLiteral("kind")).toString());
    std::optional<TransferRequest> request = kind ? requestFromJson(*kind, payload) : std::nullopt;
    if (!request)
        return std::nullopt;
    Transfer t;
    t.request = std::move(*request);
    t.info.kind = *kind;
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
    if (const auto* restore = std::get_if<RestoreRequest>(&t.request))
        t.info.destination = restore->destination;
    t.started = payload.value(QStringLiteral("started")).toBool();
    t.task = payload.value(QStringLiteral("task")).toString();
    return t;
}

QJsonObject TransferQueue::rowJson(const Transfer& t)
{
    QJsonObject p = toJson(t.request);
    p.insert(QStringLiteral("kind"), kindKey(t.info.kind));
    p.insert(QStringLiteral("title"), t.info.title);
    if (t.info.created.isValid())
        p.insert(QStringLiteral("created"), t.info.created.toMSecsSinceEpoch());
    if (t.info.background)
        p.insert(QStringLiteral("background"), true);
    if (!t.task.isEmpty())
        p.insert(QStringLiteral("task"), t.task);
    if (t.started)
        p.insert(QStringLiteral("started"), true);
    p.insert(QStringLiteral("paused"), t.info.state == TransferInfo::State::Paused);
    p.insert(QStringLiteral("degraded"), t.info.state == TransferInfo::State::Degraded);
    p.insert(QStringLiteral("totalBytes"), t.info.totalBytes);
    p.insert(QStringLiteral("doneBytes"), t.info.doneBytes);
    if (t.info.modelId)
        p.insert(QStringLiteral("modelId"), t.info.modelId);
    if (t.info.sentBytes)
        p.insert(QStringLiteral("sentBytes"), t.info.sentBytes);
    if (t.info.deduplicatedBytes)
        p.insert(QStringLiteral("deduplicatedBytes"), t.info.deduplicatedBytes);
    // Its history, shown after a restart as it was.
    p.insert(QStringLiteral("activeMs"), t.info.activeMs);
    p.insert(QStringLiteral("error"), t.info.error);
    p.insert(QStringLiteral("chunksDone"), t.info.chunksDone);
    p.insert(QStringLiteral("chunksTotal"), t.info.chunksTotal);
    p.insert(QStringLiteral("retries"), t.info.retries);
    if (!t.info.warnings.isEmpty())
        p.insert(QStringLiteral("warnings"), QJsonArray::fromStringList(t.info.warnings));
    p.insert(QStringLiteral("providerNames"), QJsonArray::fromStringList(t.info.providers));
    if (t.info.started.isValid())
        p.insert(QStringLiteral("startedAt"), t.info.started.toMSecsSinceEpoch());
    if (t.info.finished.isValid())
        p.insert(QStringLiteral("finishedAt"), t.info.finished.toMSecsSinceEpoch());
    if (t.info.waitingUntil.isValid() && !t.info.isFinished())
        p.insert(QStringLiteral("waitUntil"), t.info.waitingUntil.toMSecsSinceEpoch());
    return p;
}

JobContext TransferQueue::jobContext(const Transfer& t)
{
    JobContext context;
    context.parent = this;
    context.resumed = t.started;
    context.background = t.info.background;
    return context;
}

void TransferQueue::endRun(Transfer& t)
{
    if (t.runStartMs < 0)
        return;
    t.info.activeMs += qMax<qint64>(0, nowMs() - t.runStartMs);
    t.runStartMs = -1;
}

void TransferQueue::persist(Transfer& t)
{
    if (!m_vault || !t.rowId)
        return;
    Registry& registry = m_vault->registry();
    registry.queueRows().setJobPayload(t.rowId, rowJson(t));
    switch (t.info.state) {
    case TransferInfo::State::Queued:
    case TransferInfo::State::Paused:
        registry.queueRows().setJobState(t.rowId, QStringLiteral("queued"));
        break;
    case TransferInfo::State::Running:
        registry.queueRows().setJobState(t.rowId, QStringLiteral("running"));
        break;
    case TransferInfo::State::Done:
    case TransferInfo::State::Degraded: // finished; the payload says "degraded"
        registry.queueRows().setJobState(t.rowId, QStringLiteral("done"));
        break;
    case TransferInfo::State::Failed:
        registry.queueRows().setJobState(t.rowId, QStringLiteral("failed"), t.info.error);
        break;
    case TransferInfo::State::Cancelled:
        registry.queueRows().setJobState(t.rowId, QStringLiteral("cancelled"));
        break;
    }
}

} // namespace mf
