#include "cataloglease.h"

#include "catalogkeyloader.h"
#include "vault/vault.h"

#include <memory>

namespace mf {

namespace {
const QString LeaseSecsKey = QStringLiteral("catalog.lease_secs");
const QString SkewSecsKey = QStringLiteral("catalog.skew_secs");
constexpr qint64 DefaultLeaseSecs = 600;
constexpr qint64 DefaultSkewSecs = 600;
} // namespace

qint64 CatalogLease::leaseSecs(Vault* vault)
{
    const qint64 v = vault->registry().settings().setting(LeaseSecsKey).toLongLong();
    return v > 0 ? v : DefaultLeaseSecs;
}

qint64 CatalogLease::skewSecs(Vault* vault)
{
    const QString v = vault->registry().settings().setting(SkewSecsKey);
    return v.isEmpty() ? DefaultSkewSecs : qMax<qint64>(0, v.toLongLong());
}

CatalogLease::CatalogLease(Vault* vault, Kind kind, const QString& what, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
{
    m_lock.vault = vault->id();
    m_lock.id = catalog::newId();
    m_lock.kind = kind;
    m_lock.what = what;
    m_lock.ttlSecs = leaseSecs(vault);
    m_skewSecs = skewSecs(vault);
    m_renewTimer.setInterval(int(qMax<qint64>(1, m_lock.ttlSecs * 1000 / 3)));
    connect(&m_renewTimer, &QTimer::timeout, this, &CatalogLease::renew);
}

CatalogLease::~CatalogLease() = default;

void CatalogLease::acquire()
{
    // A lease is signed like every catalog object; without the key none is written (the
    // float's publish says why) and the others' are still looked at.
    CatalogKeyLoader::withKey(m_vault, this, [this](const Error& error) {
        if (m_released)
            return;
        if (error.ok()) {
            write();
            return;
        }
        Q_EMIT warning(tr("No lease was written: %1").arg(error.message));
        m_providers = CatalogProviders::of(m_vault);
        look();
    });
}

void CatalogLease::write()
{
    m_providers = CatalogProviders::of(m_vault);
    for (const QString& w : std::as_const(m_providers.unusable))
        Q_EMIT warning(tr("No lease could be written to provider %1").arg(w));
    m_lock.written = QDateTime::currentSecsSinceEpoch();
    m_calls.fanOut(
        m_providers.usable,
        [this](const CatalogProviders::Entry& p) {
            return p.provider->writeCatalogObject(
                catalog::lockName(m_lock), catalog::encodeLock(m_lock, *m_vault->catalogKey()));
        },
        [this](const CatalogProviders::Entry& p, ProviderJob& job) {
            if (job.error().ok()) {
                m_held.insert(p.id, m_lock.renewal);
                m_lastRenewed.insert(p.id, QDateTime::currentDateTimeUtc());
            } else {
                Q_EMIT warning(tr("No lease could be written to provider “%1”: %2")
                                   .arg(p.name, job.error().message));
            }
        },
        [this] {
            m_renewTimer.start();
            look();
        });
}

void CatalogLease::recheck()
{
    look();
}

void CatalogLease::look()
{
    m_looking = true;
    m_conflicts.clear();
    auto left = std::make_shared<int>(int(m_providers.usable.size()) + 1);
    auto oneDone = [this, left] {
        if (--*left == 0) {
            m_looking = false;
            Q_EMIT ready();
        }
    };
    for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable)) {
        m_calls.call(p.provider->listCatalogObjects(QStringLiteral("locks")),
                     [this, p, oneDone](ProviderJob& job) {
                         if (!job.error().ok()) {
                             Q_EMIT warning(tr("The leases on provider “%1” could not be read: %2")
                                                .arg(p.name, job.error().message));
                             oneDone();
                             return;
                         }
                         // Every lock but ours is read: the other kind's for conflicts, and
                         // any that ran out (a process killed while it held it) to remove it.
                         QList<QPair<CatalogObject, catalog::Lock>> others;
                         for (const CatalogObject& o : job.catalogObjects()) {
                             catalog::Lock l;
                             if (catalog::parseLockName(o.name, &l) && l.id != m_lock.id)
                                 others.append({o, l});
                         }
                         judge(p, others, job.serverTime(), oneDone);
                     });
    }
    oneDone();
}

void CatalogLease::judge(const CatalogProviders::Entry& p,
                         QList<QPair<CatalogObject, catalog::Lock>> locks, QDateTime serverTime,
                         std::function<void()> done)
{
    if (locks.isEmpty()) {
        done();
        return;
    }
    const auto [object, named] = locks.takeFirst();
    const Kind other = m_lock.kind == Kind::Float ? Kind::Collect : Kind::Float;
    const bool mayConflict = named.vault != m_lock.vault && named.kind == other;
    m_calls.call(p.provider->readCatalogObject(object.name), [this, p, locks, serverTime, done,
                                                              mayConflict,
                                                              object = object](ProviderJob& job) {
        QString why;
        const auto lock = job.error().ok()
                              ? catalog::decodeLock(job.data(), m_vault->catalogKey(), &why)
                              : std::nullopt;
        // A float's lease only ever keeps chunks, so one is honoured whoever wrote it (an older
        // version's float too); a collection's claim makes floats wait, so only a signed one
        // counts: a stranger's file must not stop this vault's work.
        const bool counts = lock && (lock->kind == Kind::Float ||
                                     catalog::trusted(lock->signedBy, /*readsUnsigned=*/false));
        if (lock) {
            // On the provider's clock where it has one; else on ours, with an allowance.
            const bool providerClock = object.modified.isValid() && serverTime.isValid();
            const bool live = providerClock ? object.modified.addSecs(lock->ttlSecs) > serverTime
                                            : lock->written + lock->ttlSecs + m_skewSecs >
                                                  QDateTime::currentSecsSinceEpoch();
            if (live && mayConflict && counts)
                m_conflicts[p.id].append(
                    lock->kind == Kind::Float
                        ? tr("a float of %1 by vault %2").arg(lock->what, lock->vault)
                        : tr("a collection by vault %1").arg(lock->vault));
            // Ran out: its holder is gone (killed, or cut off for longer than its time to live,
            // and then it stops by itself: lapsing()). Removed, or the locks of every killed
            // float would pile up for ever. Judged on our clock, the allowance is taken twice.
            const bool expired = providerClock ? !live
                                               : lock->written + lock->ttlSecs + 2 * m_skewSecs <=
                                                     QDateTime::currentSecsSinceEpoch();
            if (expired) {
                // Removed before the next is read, so it is gone by the time ready() is said.
                m_calls.call(p.provider->removeCatalogObject(object.name),
                             [this, p, locks, serverTime, done](ProviderJob&) {
                                 judge(p, locks, serverTime, done);
                             });
                return;
            }
        } else if (job.error().kind != Error::Kind::NotFound && mayConflict) {
            // Unreadable: judged by its time on the provider, with our own time to live.
            if (object.modified.isValid() && serverTime.isValid() &&
                object.modified.addSecs(m_lock.ttlSecs) > serverTime)
                m_conflicts[p.id].append(tr("an unreadable lease (%1)").arg(object.name));
        }
        judge(p, locks, serverTime, done);
    });
}

void CatalogLease::renew()
{
    if (m_released)
        return;
    const int next = m_lock.renewal + 1;
    catalog::Lock renewed = m_lock;
    renewed.renewal = next;
    renewed.written = QDateTime::currentSecsSinceEpoch();
    m_lock = renewed;
    for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable)) {
        if (!m_held.contains(p.id))
            continue;
        m_calls.call(
            p.provider->writeCatalogObject(catalog::lockName(renewed),
                                           catalog::encodeLock(renewed, *m_vault->catalogKey())),
            [this, p, renewed](ProviderJob& job) {
                if (!job.error().ok() || m_released)
                    return; // tried again at the next renewal
                const int previous = m_held.value(p.id);
                m_held.insert(p.id, renewed.renewal);
                m_lastRenewed.insert(p.id, QDateTime::currentDateTimeUtc());
                catalog::Lock old = renewed;
                old.renewal = previous;
                if (previous != renewed.renewal)
                    m_calls.call(p.provider->removeCatalogObject(catalog::lockName(old)),
                                 [](ProviderJob&) {});
            });
    }
}

bool CatalogLease::lapsing() const
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (auto it = m_lastRenewed.begin(); it != m_lastRenewed.end(); ++it)
        if (it.value().secsTo(now) > m_lock.ttlSecs * 2 / 3)
            return true;
    return false;
}

void CatalogLease::keep()
{
    if (m_released)
        return;
    m_released = true;
    m_renewTimer.stop();
    m_calls.abort();
    QMetaObject::invokeMethod(this, &CatalogLease::released, Qt::QueuedConnection);
}

void CatalogLease::release()
{
    if (m_released)
        return;
    m_released = true;
    m_renewTimer.stop();
    m_calls.abort(); // renewals and looks in flight
    if (m_held.isEmpty()) {
        QMetaObject::invokeMethod(this, &CatalogLease::released, Qt::QueuedConnection);
        return;
    }
    // A fresh set of calls: the aborted one runs no callback any more.
    auto* calls = new ProviderCalls(this);
    auto left = std::make_shared<int>(0);
    for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable)) {
        if (!m_held.contains(p.id))
            continue;
        // Every renewal this lock may have left there (a renewal in flight when released).
        const int last = m_held.value(p.id);
        for (int n = qMax(0, last - 1); n <= qMax(last, m_lock.renewal); ++n) {
            catalog::Lock l = m_lock;
            l.renewal = n;
            ++*left;
            calls->call(p.provider->removeCatalogObject(catalog::lockName(l)),
                        [this, left](ProviderJob&) {
                            if (--*left == 0)
                                Q_EMIT released();
                        });
        }
    }
}

} // namespace mf
