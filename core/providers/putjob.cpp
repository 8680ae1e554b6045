#include "putjob.h"

#include "provider.h"

#include <utility>

namespace mf {

PutJob::PutJob(Provider* adapter, const QString& cid, std::unique_ptr<QIODevice> source,
               qint64 size)
    : ProviderJob(adapter)
    , m_adapter(adapter)
    , m_cid(cid)
    , m_source(std::move(source))
    , m_size(size)
{}

PutJob::~PutJob()
{
    if (m_step) {
        m_step->disconnect(this);
        m_step->abort();
        m_step->deleteLater();
    }
}

void PutJob::doStart()
{
    // No size, no chunk to compare with: nothing is looked for (or removed); the save refuses it.
    if (m_size < 0)
        return save();
    lookUp();
}

void PutJob::doAbort()
{
    if (m_step)
        m_step->abort(); // its finished() ends this job
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void PutJob::run(ProviderJob* job, void (PutJob::*then)())
{
    m_step = job;
    // The step is this job's: deleted with it, whoever holds this one.
    m_step->setParent(this);
    // The bytes of the chunk sent: the save's. A look-up's answer is not the chunk's progress
    // (the distributor measures the provider's upload speed with it).
    if (then == &PutJob::onSaved)
        connect(m_step, &ProviderJob::progress, this, &ProviderJob::progress);
    connect(m_step, &ProviderJob::retrying, this, &ProviderJob::retrying);
    connect(m_step, &ProviderJob::finished, this, then);
    m_step->start();
}

ProviderJob* PutJob::takeStep()
{
    ProviderJob* step = std::exchange(m_step, nullptr);
    step->deleteLater();
    return step;
}

void PutJob::lookUp()
{
    run(m_adapter->findStored(m_cid, m_size), &PutJob::onLookedUp);
}

void PutJob::onLookedUp()
{
    const ProviderJob* found = takeStep();
    const Error& e = found->error();
    if (e.kind == Error::Kind::NotFound)
        return save();
    if (!e.ok())
        return finish(e);
    if (found->objectSize() == m_size) {
        // Content-addressed: the same name and size are the same bytes.
        m_locator = found->locator();
        m_alreadyStored = true;
        return finish(Error::none());
    }
    removeTorn(found->locator());
}

void PutJob::removeTorn(const QString& locator)
{
    run(m_adapter->remove(locator), &PutJob::onTornRemoved);
}

void PutJob::onTornRemoved()
{
    const ProviderJob* removed = takeStep();
    // Removing a missing object succeeds by contract; any other failure means the torn object
    // may still be there.
    if (!removed->error().ok())
        return finish(removed->error());
    save();
}

void PutJob::save()
{
    run(m_adapter->save(m_cid, std::move(m_source), m_size), &PutJob::onSaved);
}

void PutJob::onSaved()
{
    const ProviderJob* saved = takeStep();
    m_locator = saved->locator();
    finish(saved->error());
}

} // namespace mf
