#include "transferjob.h"

#include "registry/registry.h"
#include "util/units.h"

namespace mf {

TransferJob::TransferJob(QObject* parent)
    : QObject(parent)
{}

TransferJob::~TransferJob() = default;

void TransferJob::addWarning(const QString& message)
{
    if (m_warnings.contains(message))
        return;
    m_warnings.append(message);
    Q_EMIT warning(message);
}

void TransferJob::noteDegraded(Registry& registry, qint64 modelId)
{
    const auto model = registry.modelRows().model(modelId);
    if (!model || !model->degraded)
        return;
    m_degraded = true;
    const int wanted = registry.healthRows().wantedCopies();
    const int short_ = registry.healthRows().underReplicatedChunks(modelId);
    addWarning(
        tr("“%1” is degraded: %2 fewer than %3 copies. It can be restored; the missing "
           "copies are made when the providers can take them (modelfloat-cli repair, or "
           "the app in the background)")
            .arg(model->name, units::counted(short_, tr("1 chunk has"), tr("%1 chunks have")))
            .arg(wanted));
}

void TransferJob::start()
{
    // A second start would run the work again, concurrently, into the same results.
    if (m_started)
        return;
    m_started = true;
    if (m_finished) // aborted before it started
        return;
    doStart();
}

void TransferJob::abort()
{
    if (m_finished || m_abortRequested)
        return;
    m_abortRequested = true;
    if (!m_started) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    doAbort();
}

void TransferJob::finish(Error error)
{
    if (m_finished)
        return;
    m_finished = true;
    ending(error);
    m_error = std::move(error);
    // Queued, so finished() never fires inside start()/abort() or an inner job's handler: the
    // caller may connect after start() and abort from any slot, even one of finished().
    QMetaObject::invokeMethod(this, &TransferJob::finished, Qt::QueuedConnection);
}

} // namespace mf
