#include "providerprobe.h"

#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "chunkwriter.h"
#include "provider.h"

#include <QBuffer>
#include <QDateTime>
#include <QRandomGenerator>

namespace mf {

ProviderProbe::ProviderProbe(Provider* provider, QObject* parent)
    : QObject(parent)
    , m_provider(provider)
    , m_lease(provider->lease())
{
    m_payload.resize(64 * 1024);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32*>(m_payload.data()),
                                          m_payload.size() / 4);
    m_cid = cid::ofData(m_payload);
}

ProviderProbe::~ProviderProbe()
{
    if (m_job) {
        m_job->disconnect(this);
        m_job->abort();
    }
    delete m_job.data(); // waits for its worker before the writer goes
}

void ProviderProbe::start()
{
    m_startMs = QDateTime::currentMSecsSinceEpoch();
    step();
}

void ProviderProbe::fail(const QString& stepName, const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = Error::make(error.kind, QStringLiteral("%1 failed: %2").arg(stepName, error.message));
    QMetaObject::invokeMethod(this, &ProviderProbe::finished, Qt::QueuedConnection);
}

void ProviderProbe::step()
{
    ProviderJob* job = nullptr;
    QString name;
    switch (m_step) {
    case 0: {
        auto source = std::make_unique<QBuffer>();
        source->setData(m_payload);
        source->open(QIODevice::ReadOnly);
        job = m_provider->put(m_cid, std::move(source), m_payload.size());
        name = tr("Writing a test object");
        break;
    }
    case 1:
        m_writer = std::make_unique<HashingChunkWriter>();
        job = m_provider->get(m_locator, m_writer.get());
        name = tr("Reading it back");
        break;
    case 2:
        job = m_provider->remove(m_locator);
        name = tr("Removing it");
        break;
    case 3:
        job = m_provider->usage();
        name = tr("Asking for usage");
        break;
    default:
        m_finished = true;
        QMetaObject::invokeMethod(this, &ProviderProbe::finished, Qt::QueuedConnection);
        return;
    }
    job->setParent(this);
    m_job = job;
    connect(job, &ProviderJob::finished, this, [this, job, name] {
        job->deleteLater();
        m_job = nullptr;
        if (!job->error().ok())
            return fail(name, job->error());
        if (m_step == 0)
            m_locator = job->locator();
        if (m_step == 1) {
            m_roundTripMs = QDateTime::currentMSecsSinceEpoch() - m_startMs;
            if (m_writer->written() != m_payload.size() ||
                m_writer->digest() != Sha256::hash(m_payload))
                return fail(name, Error::make(Error::Kind::Corrupt,
                                              tr("the bytes read back differ from those written")));
        }
        if (m_step == 3) {
            m_used = job->usage().usedBytes;
            m_available = job->usage().availableBytes;
        }
        m_step++;
        step();
    });
    job->start();
}

} // namespace mf
