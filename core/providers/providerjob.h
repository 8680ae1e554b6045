#pragma once

#include "util/error.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>

namespace mf {

class Provider;

// One object as a provider lists it.
struct StoredObject
{
    QString locator;
    qint64 size = -1;
    // The chunk the object holds, when its name says so (an object named by its chunk's CID);
    // empty when the provider cannot tell (an IPFS DAG root, a cloud drive's file id).
    QString cid;
};

// One catalog object (docs/catalog.md) as a provider lists it.
struct CatalogObject
{
    QString name; // below the catalog root: "states/<vault id>.000000000042"
    qint64 size = -1;
    QDateTime modified; // by the provider's clock (UTC); invalid when the provider keeps none
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

    // Results, by operation: put -> locator; stat -> objectSize; list -> objects; usage -> usage;
    // readCatalogObject -> data; listCatalogObjects -> catalogObjects and serverTime;
    // findStores -> stores.
    const QString& locator() const { return m_locator; }
    qint64 objectSize() const { return m_objectSize; }
    const QList<StoredObject>& objects() const { return m_objects; }
    const ProviderUsage& usage() const { return m_usage; }
    // put: the provider already held the object, so no byte was sent.
    bool alreadyStored() const { return m_alreadyStored; }
    const QByteArray& data() const { return m_data; }
    const QList<CatalogObject>& catalogObjects() const { return m_catalogObjects; }
    // The provider's clock when it answered (UTC); invalid when it did not say.
    const QDateTime& serverTime() const { return m_serverTime; }
    // Settings that point the provider at another ModelFloat store of the same account.
    const QList<QJsonObject>& stores() const { return m_stores; }

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    // A request failed and is tried again after `delayMs` (network kinds): what a transfer
    // waiting on it shows meanwhile.
    void retrying(const QString& reason, int delayMs);
    void finished();

protected:
    explicit ProviderJob(QObject* parent = nullptr);
    // A job an adapter makes: the adapter's child, holding a lease on it (Provider::lease())
    // for as long as the job exists, so that the adapter and what it holds (its network access
    // manager, connection slots, secrets) outlive every job it made, whoever else lets go.
    explicit ProviderJob(Provider* adapter);

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
    QByteArray m_data;
    QList<CatalogObject> m_catalogObjects;
    QDateTime m_serverTime;
    QList<QJsonObject> m_stores;

private:
    std::shared_ptr<Provider> m_adapter; // null for an adapter one owner holds alone
    Error m_error;
    bool m_started = false;
    bool m_abortRequested = false;
    bool m_finished = false;
};

} // namespace mf
