#pragma once

#include "util/error.h"

#include <QList>
#include <QObject>
#include <QString>

namespace mf {

// One object as a provider lists it.
struct StoredObject
{
    QString locator;
    qint64 size = -1;
};

// Bytes a provider holds and may hold; -1 where the provider cannot tell.
struct ProviderUsage
{
    qint64 usedBytes = -1;
    qint64 quotaBytes = -1;
    qint64 availableBytes = -1;
};

// Every provider operation is one of these: created by the Provider, started by the caller,
// abortable (safely, twice), reporting progress for large bodies, and ending with exactly one
// finished() signal carrying an Error (Kind::None on success) and the operation's result.
// finished() is never emitted from inside start() or abort(), so callers can connect after
// starting and abort from any slot. Delete a job only after finished(), e.g. with deleteLater().
class ProviderJob : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderJob)

public:
    ~ProviderJob() override;

    void start();
    void abort();

    bool isStarted() const { return m_started; }
    bool isFinished() const { return m_finished; }
    const Error& error() const { return m_error; }

    // Results, by operation: put -> locator; stat -> objectSize; list -> objects; usage -> usage.
    const QString& locator() const { return m_locator; }
    qint64 objectSize() const { return m_objectSize; }
    const QList<StoredObject>& objects() const { return m_objects; }
    const ProviderUsage& usage() const { return m_usage; }
    // put: the provider already held the object, so no byte was sent.
    bool alreadyStored() const { return m_alreadyStored; }

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void finished();

protected:
    explicit ProviderJob(QObject* parent = nullptr);

    virtual void doStart() = 0;
    // Stop as soon as possible and call finish() (any Error; it is reported as Cancelled).
    virtual void doAbort() = 0;
    // Records the outcome and emits finished() from the event loop. Only the first call counts.
    void finish(const Error& error);

    QString m_locator;
    qint64 m_objectSize = -1;
    QList<StoredObject> m_objects;
    ProviderUsage m_usage;
    bool m_alreadyStored = false;

private:
    Error m_error;
    bool m_started = false;
    bool m_abortRequested = false;
    bool m_finished = false;
};

} // namespace mf
