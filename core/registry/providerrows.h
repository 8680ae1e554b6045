#pragma once

#include "records.h"
#include "registryrows.h"

#include <optional>

namespace mf {

// The providers' rows (table providers) and what is recorded of each: whether it answers
// (reachability.cpp), its budgets (budgets.cpp, table provider_budgets) and its drain
// (drains.cpp, table provider_drains). providers.cpp has the rest.
class ProviderRows final : public RegistryRows
{
public:
    ProviderRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    std::optional<qint64> addProvider(const ProviderRecord& record);
    QList<ProviderRecord> providers();
    std::optional<ProviderRecord> provider(qint64 id);
    std::optional<ProviderRecord> providerByName(const QString& name);
    bool setProviderHealth(qint64 id, const QString& health);
    // Changes a provider's name, settings and quota (kind, usage and health stay).
    bool updateProvider(const ProviderRecord& record);
    bool addProviderUsage(qint64 id, qint64 deltaBytes);
    // Removes the provider and its placements (in one transaction).
    bool removeProvider(qint64 id);

    // Whether providers answer (reachability.cpp). A check of a copy that got any answer
    // (there, gone, damaged) clears the provider's unreachable_since; one that got none sets it
    // unless it is set. False on a registry error.
    bool recordProviderAnswer(qint64 providerId, bool answered);
    // How long a provider may stay silent before the copies it holds count as lost: the
    // setting health.unreachable_after, in seconds (default a day).
    qint64 unreachableAfterSecs();
    bool setUnreachableAfterSecs(qint64 secs);
    // Silent for longer than that: the next check counts its copies missing, so that repair
    // makes them elsewhere, and it takes no new copies.
    bool providerLost(const ProviderRecord& provider);

    // Drains (drains.cpp): a provider being emptied before it is retired or removed.
    struct DrainStart
    {
        enum class Status { Started, Resumed, NotFound, TooFewProviders, Failed };
        Status status = Status::Failed;
        int wanted = 0;         // the copies each chunk must keep
        int otherProviders = 0; // that can hold them
    };
    // Marks the provider draining, unless that would leave chunks with fewer copies than the
    // vault wants (the other providers cannot hold them) and `force` is not set. Resumed when
    // it is draining already. One transaction.
    DrainStart startDrain(qint64 providerId, bool force, bool removeAfter);
    bool stopDrain(qint64 providerId);
    struct Drain
    {
        qint64 providerId = 0;
        qint64 startedAt = 0;
        bool removeAfter = false;
    };
    QList<Drain> drains();
    bool isDraining(qint64 providerId);
    struct ProviderContents
    {
        int placements = 0; // copies recorded there, any state
        int deletions = 0;  // objects still to delete there
    };
    ProviderContents providerContents(qint64 providerId);

    // Provider budgets (budgets.cpp): a provider that answered "no more until T" (a daily
    // upload cap, a transfer quota) is paused in that direction until then, for every process
    // on the vault. A later answer replaces an earlier one.
    bool pauseProvider(qint64 id, BudgetDirection direction, qint64 untilMs, const QString& reason);
    void clearProviderPause(qint64 id, BudgetDirection direction);
    // Its pauses still running (a full daily budget counts as an upload pause) and its day.
    ProviderBudget providerBudget(qint64 id);
    static constexpr qint64 BudgetDayMs = 24 * 3600 * 1000;

    // Inside a transaction (budgets.cpp), for PlacementRows' puts: until when uploads to the
    // provider are refused (-1: they are not) given `adding` more bytes now, and why; and
    // counting bytes uploaded against its daily budget.
    qint64 uploadBlockedUntil(qint64 providerId, qint64 adding, QString* reason);
    bool countUpload(qint64 providerId, qint64 bytes);
};

} // namespace mf
