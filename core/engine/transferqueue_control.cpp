// The API's door to the transfer queue (api::TransferControl): the transfers it lists, starts,
// pauses, resumes and cancels are the queue's own, as the app's Transfers page shows them.
#include "transferqueue.h"

#include "transfer/transferjob.h"

namespace mf {

QList<TransferInfo> TransferQueue::transferList() const
{
    QList<TransferInfo> list;
    list.reserve(qsizetype(m_transfers.size()));
    for (const auto& [id, t] : m_transfers)
        list.append(t.info);
    return list;
}

qint64 TransferQueue::queueTransfer(const TransferRequest& request)
{
    const qint64 id = ++*m_ids;
    add(id, request);
    return id;
}

bool TransferQueue::isAdopted(const Transfer& t)
{
    return t.adopted;
}

qint64 TransferQueue::adoptTransfer(TransferInfo::Kind kind, const QString& title, TransferJob* job,
                                    qint64 modelId)
{
    const qint64 id = ++*m_ids;
    Transfer t;
    t.info.id = id;
    t.info.kind = kind;
    t.info.title = title;
    t.info.modelId = modelId;
    t.info.created = QDateTime::currentDateTime();
    t.info.totalBytes = job->progressNow().totalBytes;
    // Not stored in the registry (rowId 0): the bytes came with a request and are gone after it.
    t.adopted = true;
    job->setParent(this);
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    connect(job, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &TransferJob::finished, this, [this, id, job] {
        onJobFinished(id, job->error().message, job->error().kind == Error::Kind::Cancelled);
    });
    insert(std::move(t));
    began(m_transfers.at(id));
    return id;
}

bool TransferQueue::controlTransfer(qint64 id, Action action, QString* why)
{
    Transfer* t = find(id);
    if (!t) {
        *why = tr("There is no transfer %1").arg(id);
        return false;
    }
    const TransferInfo::State state = t->info.state;
    switch (action) {
    case Action::Pause:
        if (isAdopted(*t)) {
            *why = tr("An upload cannot be paused: its bytes come with its request");
            return false;
        }
        if (state != TransferInfo::State::Queued && state != TransferInfo::State::Running) {
            *why = tr("Transfer %1 is %2: only a queued or running transfer can be paused")
                       .arg(id)
                       .arg(TransferInfo::stateName(state));
            return false;
        }
        pause(id);
        return true;
    case Action::Resume:
        if (state != TransferInfo::State::Paused) {
            *why = tr("Transfer %1 is %2: only a paused transfer can be resumed")
                       .arg(id)
                       .arg(TransferInfo::stateName(state));
            return false;
        }
        resume(id);
        return true;
    case Action::Cancel:
        if (t->info.isFinished()) {
            *why = tr("Transfer %1 has finished already (%2)")
                       .arg(id)
                       .arg(TransferInfo::stateName(state));
            return false;
        }
        cancel(id);
        return true;
    }
    return false;
}

} // namespace mf
