#pragma once

#include "util/temporaries.h"

#include <QList>
#include <QObject>
#include <QStringList>

namespace mf {

class ProviderJob;
class Vault;

// Removes what killed processes left behind (util/temporaries.h): the temporaries in the
// providers (Provider::sweepTemporaries(): a local folder's .tmp/, WebDAV's .partial/) and, when
// asked, in the folders where restores and materializations of processes that are gone were
// writing (the registry's scratch areas). Never touches a running process's temporaries.
// Failures are warnings: a sweep never fails the operation that runs it. A float or import
// runs one beside its work; `collect` runs one to the end.
class TemporarySweep final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TemporarySweep)

public:
    // providerIds empty: every enabled provider.
    TemporarySweep(Vault* vault, const QList<qint64>& providerIds, bool scratchAreas,
                   QObject* parent = nullptr);
    ~TemporarySweep() override;

    void start();
    void abort(); // stops the provider sweeps still running; finished() follows
    bool isFinished() const { return m_finished; }

    int removedCount() const { return int(m_result.removed.size()); }
    qint64 removedBytes() const { return m_result.bytes(); }
    const QStringList& warnings() const { return m_result.errors; }

Q_SIGNALS:
    void finished(); // queued, once

private:
    void sweepScratchAreas();
    void onProviderSwept(ProviderJob* job, const QString& providerName);
    void maybeFinish();

    Vault* m_vault;
    QList<qint64> m_providerIds;
    bool m_scratchAreas;
    QList<ProviderJob*> m_running;
    temporaries::SweepResult m_result;
    bool m_started = false;
    bool m_finished = false;
};

} // namespace mf
