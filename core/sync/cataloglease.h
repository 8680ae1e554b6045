#pragma once

#include "catalogformat.h"
#include "providercalls.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QTimer>

namespace mf {

class Vault;

// A float's lease or a collection's claim on every provider of the vault (docs/catalog.md,
// "Leases and collection claims"): written before the work starts, renewed every third of its
// time to live (a new object, then the old one removed, so one is always there), and removed
// when the work ends. After writing, it reads every provider's locks and says which other
// vaults hold live locks of the other kind there: a float then waits for a collection, and a
// collection leaves a provider alone while another vault floats to it.
class CatalogLease final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogLease)

public:
    using Kind = catalog::Lock::Kind;

    // `what` names the work for people ("float of “llama”").
    CatalogLease(Vault* vault, Kind kind, const QString& what, QObject* parent = nullptr);
    ~CatalogLease() override;

    // Writes the lock on every enabled provider, then looks at the others; ready() follows.
    void acquire();
    // Looks at the other vaults' locks again (a float waiting for a collection to end).
    void recheck();
    // Removes the lock objects (fire and forget); released() follows.
    void release();
    // Stops renewing and leaves the lock objects where they are, to run out by their time to
    // live: the work's publish did not reach the providers, and until it does its lease is what
    // keeps other vaults' collections off its chunks (docs/coordination.md). released() follows.
    void keep();

    // Per provider: other vaults' live locks of the other kind, for people.
    const QHash<qint64, QStringList>& conflicts() const { return m_conflicts; }
    // Providers that hold our lock.
    QList<qint64> held() const { return m_held.keys(); }
    // A renewal failed on some provider for longer than a third of the time to live: the lock
    // there may expire; work relying on it should stop.
    bool lapsing() const;
    qint64 ttlSecs() const { return m_lock.ttlSecs; }
    // The TTL and clock allowance the vault uses (settings catalog.lease_secs and
    // catalog.skew_secs; tests shorten them).
    static qint64 leaseSecs(Vault* vault);
    static qint64 skewSecs(Vault* vault);

Q_SIGNALS:
    void ready();
    void released();
    void warning(const QString& message);

private:
    void write();
    void look();
    void judge(const CatalogProviders::Entry& p, QList<QPair<CatalogObject, catalog::Lock>> locks,
               QDateTime serverTime, std::function<void()> done);
    void renew();

    Vault* m_vault;
    ProviderCalls m_calls;
    CatalogProviders m_providers;
    catalog::Lock m_lock;
    QHash<qint64, int> m_held; // provider -> renewal written there
    QHash<qint64, QDateTime> m_lastRenewed;
    QHash<qint64, QStringList> m_conflicts;
    QTimer m_renewTimer;
    qint64 m_skewSecs = 600;
    bool m_looking = false;
    bool m_released = false;
};

} // namespace mf
