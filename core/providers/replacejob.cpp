#include "replacejob.h"

#include "provider.h"

#include <utility>

namespace mf {

ReplaceJob::ReplaceJob(std::shared_ptr<Provider> provider, const QString& oldLocator,
                       const QString& cid, std::unique_ptr<QIODevice> source, qint64 size,
                       QObject* parent)
    : ProviderJob(parent)
    , m_provider(std::move(provider))
    , m_oldLocator(oldLocator)
    , m_cid(cid)
    , m_source(std::move(source))
    , m_size(size)
{}

ReplaceJob::~ReplaceJob()
{
    if (m_step) {
        m_step->disconnect(this);
        m_step->abort();
        m_step->deleteLater();
    }
}

void ReplaceJob::doStart()
{
    m_step = m_provider->remove(m_oldLocator);
    m_step->setParent(this);
    connect(m_step, &ProviderJob::finished, this, &ReplaceJob::onRemoved);
    m_step->start();
}

void ReplaceJob::doAbort()
{
    if (m_step)
        m_step->abort(); // its finished() ends this job
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void ReplaceJob::onRemoved()
{
    ProviderJob* removed = std::exchange(m_step, nullptr);
    removed->deleteLater();
    // Removing a missing object succeeds by contract; any other failure means the bad copy may
    // still be there, and a put would take it for the chunk.
    if (!removed->error().ok()) {
        finish(removed->error());
        return;
    }
    m_step = m_provider->put(m_cid, std::move(m_source), m_size);
    m_step->setParent(this);
    connect(m_step, &ProviderJob::progress, this, &ProviderJob::progress);
    connect(m_step, &ProviderJob::finished, this, &ReplaceJob::onPut);
    m_step->start();
}

void ReplaceJob::onPut()
{
    ProviderJob* put = std::exchange(m_step, nullptr);
    put->deleteLater();
    m_locator = put->locator();
    if (put->error().ok() && put->alreadyStored()) {
        // The object survived its removal (an eventually consistent store): what is there may
        // still be the bad copy, so it does not count.
        finish(Error::make(Error::Kind::Retryable,
                           tr("the provider still held the old copy after deleting it")));
        return;
    }
    finish(put->error());
}

} // namespace mf
