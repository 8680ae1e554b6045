#include "providerjob.h"

#include "provider.h"

#include <QDebug>

namespace mf {

ProviderJob::ProviderJob(QObject* parent)
    : QObject(parent)
{}

ProviderJob::ProviderJob(Provider* adapter)
    : QObject(adapter)
    , m_adapter(adapter ? adapter->lease() : nullptr)
{}

// The lease goes last (members after the body): a subclass's destructor still used the adapter.
ProviderJob::~ProviderJob() = default;

void ProviderJob::start()
{
    // A second start would run the operation again, concurrently, into the same results.
    if (m_started) {
        qWarning() << "ProviderJob started twice; the second start() is ignored";
        return;
    }
    m_started = true;
    if (m_abortRequested) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    doStart();
}

void ProviderJob::abort()
{
    if (m_finished || m_abortRequested)
        return;
    m_abortRequested = true;
    if (m_started)
        doAbort();
}

void ProviderJob::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    if (m_abortRequested && !error.ok())
        m_error = Error::make(Error::Kind::Cancelled, tr("Cancelled"));
    // Queued, so finished() never fires inside start()/abort() or an adapter's own callback.
    QMetaObject::invokeMethod(this, &ProviderJob::finished, Qt::QueuedConnection);
}

} // namespace mf
