#pragma once

#include "providerjob.h"

#include <QIODevice>

#include <memory>

namespace mf {

// Provider::put() for every kind: the one place "already stored" is decided. Its steps:
// findStored() asks the adapter for the chunk's object; one of the chunk's size is the chunk (a
// name is the hash of its content), and the put ends there, alreadyStored(), with no byte sent;
// one of another size is a torn or foreign object under the chunk's name, removed first (a
// store that does not overwrite would keep it, and a later put would find it again); then
// save() writes the bytes. Results, progress and retries are the steps'.
class PutJob final : public ProviderJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PutJob)

public:
    PutJob(Provider* adapter, const QString& cid, std::unique_ptr<QIODevice> source, qint64 size);
    ~PutJob() override;

private:
    void doStart() override;
    void doAbort() override;
    void lookUp();
    void onLookedUp();
    void removeTorn(const QString& locator);
    void onTornRemoved();
    void save();
    void onSaved();
    // Makes `job` the running step: its retries (and the save's progress) are this job's,
    // `then` runs when it ends.
    void run(ProviderJob* job, void (PutJob::*then)());
    ProviderJob* takeStep();

    Provider* m_adapter; // alive while this job is: ProviderJob holds a lease on it
    QString m_cid;
    std::unique_ptr<QIODevice> m_source;
    qint64 m_size;
    ProviderJob* m_step = nullptr; // the look-up, the removal of a torn object, the save
};

} // namespace mf
