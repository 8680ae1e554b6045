#pragma once

#include "providercalls.h"
#include "registry/registry.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <functional>

namespace mf {

class Vault;

// Checks that the stored placements of some models' chunks (of their shards, for a chunk stored
// as shards) are really on their providers: a stat per object where there are few, one listing
// per provider where there are many. Placements found missing are forgotten. Used before a model
// is published for the first time outside the float that made it (docs/catalog.md, "A float
// killed on one computer": another vault may have collected its chunks after its lease ran
// out), and by a sync for the models it takes in or changes (what this registry listed of their
// chunks may be copies kept from a model removed here, which another vault collected since).
class PlacementCheck final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlacementCheck)

public:
    PlacementCheck(Vault* vault, const QList<qint64>& modelIds, QObject* parent = nullptr);

    // `done` runs once every provider answered (or failed).
    void run(std::function<void()> done);
    void abort() { m_calls.abort(); }

    // Models with a chunk that has no stored placement left.
    const QSet<qint64>& broken() const { return m_broken; }
    // Models that could not be checked (a provider could not be asked).
    const QSet<qint64>& unchecked() const { return m_unchecked; }
    int placementsForgotten() const { return m_forgotten; }

private:
    void checkProvider(qint64 providerId, QList<Placement> placements);
    void providerDone();

    Vault* m_vault;
    QList<qint64> m_models;
    ProviderCalls m_calls;
    QHash<QString, QSet<qint64>> m_modelsOfChunk;
    QSet<qint64> m_broken;
    QSet<qint64> m_unchecked;
    int m_forgotten = 0;
    int m_left = 0;
    std::function<void()> m_done;
};

} // namespace mf
