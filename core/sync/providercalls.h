#pragma once

#include "providers/provider.h"

#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

namespace mf {

class Vault;

// The providers a catalog operation talks to: every enabled provider of the vault whose adapter
// can be made (the others are named in `unusable`, with why).
struct CatalogProviders
{
    struct Entry
    {
        qint64 id = 0;
        QString name;
        std::shared_ptr<Provider> provider; // held as long as the entry is
    };
    QList<Entry> usable;
    QStringList unusable;
    // Providers whose kind keeps no catalog (Provider::keepsCatalog(), e.g. MEGA): they hold
    // chunks, which a sync looks for there, but no catalog objects nor leases.
    QList<Entry> withoutCatalog;
    // "“name” (kind), …" of those, for the one message that says so.
    QString withoutCatalogNames() const;

    static CatalogProviders of(Vault* vault, const QList<qint64>& only = {});
};

// Runs provider jobs one after another or side by side for the catalog jobs, owning each job
// until it finishes (then deleting it) and aborting what runs when told to. A callback is not
// called after abort() or once the owner is gone.
class ProviderCalls final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderCalls)

public:
    explicit ProviderCalls(QObject* parent = nullptr);
    ~ProviderCalls() override;

    // Starts `job`; `then` gets it once it finished (it is deleted after `then` returns).
    void call(ProviderJob* job, std::function<void(ProviderJob&)> then);
    // One job per entry at once; `each` gets each as it finishes, `done` runs after the last.
    void fanOut(const QList<CatalogProviders::Entry>& providers,
                const std::function<ProviderJob*(const CatalogProviders::Entry&)>& make,
                std::function<void(const CatalogProviders::Entry&, ProviderJob&)> each,
                std::function<void()> done);
    void abort();
    bool aborted() const { return m_aborted; }
    int running() const { return m_running; }

private:
    int m_running = 0;
    bool m_aborted = false;
};

} // namespace mf
