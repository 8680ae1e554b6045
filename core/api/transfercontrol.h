#pragma once

#include "requests/transferrequest.h"
#include "transfer/transferinfo.h"

#include <QJsonObject>
#include <QList>
#include <QObject>

namespace mf {
class TransferJob;
}

namespace mf::api {

// Tells whoever follows the transfer queue (the API's event streams) what changed, as the
// queue's own signals say it to the GUI.
class TransferEvents final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferEvents)

public:
    using QObject::QObject;
    ~TransferEvents() override = default;

Q_SIGNALS:
    void transferUpdated(const mf::TransferInfo& info, bool added);
    void transferRemoved(qint64 id);
};

// What the API asks of the transfer queue: the engine's one queue (EngineWorker), so that a
// transfer the API starts is the same transfer the app's Transfers page shows and the same
// pause, resume and cancel apply. Called on the queue's thread, where the API server runs.
class TransferControl
{
public:
    virtual ~TransferControl() = default;

    virtual QList<TransferInfo> transferList() const = 0;
    // Queues a transfer as the app's Engine does (the same typed request); its id. Bad input
    // shows as a transfer that failed at once, with the reason.
    virtual qint64 queueTransfer(const TransferRequest& request) = 0;
    // A job already running that the API started (an upload, whose bytes come with its
    // request): listed and cancellable with the others, never persisted (its bytes cannot be
    // read again). The queue owns the job from now on. Its id.
    virtual qint64 adoptTransfer(TransferInfo::Kind kind, const QString& title, TransferJob* job,
                                 qint64 modelId) = 0;
    enum class Action { Pause, Resume, Cancel };
    // False, with the reason, when there is no such transfer or it cannot do that now.
    virtual bool controlTransfer(qint64 id, Action action, QString* why) = 0;
    virtual TransferEvents* transferEvents() = 0;
};

} // namespace mf::api
