#include "transferjob.h"

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

void TransferJob::finishQueued()
{
    QMetaObject::invokeMethod(this, &TransferJob::finished, Qt::QueuedConnection);
}

} // namespace mf
