#include "hubblobids.h"

#include "hub/hfcachelayout.h"
#include "transfer/rangejob.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QIODevice>

namespace mf::api {

// A device that keeps nothing: what is written to it goes into a SHA-1.
class HashingDevice final : public QIODevice
{
public:
    explicit HashingDevice(qint64 size)
        : m_hash(QCryptographicHash::Sha1)
    {
        m_hash.addData(QByteArray("blob " + QByteArray::number(size) + '\0'));
        open(QIODevice::WriteOnly);
    }
    QByteArray id() const { return m_hash.result().toHex(); }

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char* data, qint64 length) override
    {
        m_hash.addData(QByteArrayView(data, length));
        return length;
    }

private:
    QCryptographicHash m_hash;
};

QList<FileRecord> HubBlobIds::missing(const QList<FileRecord>& files) const
{
    QList<FileRecord> out;
    for (const FileRecord& f : files)
        if (!hfcache::storedInLfs(f.path, f.size) && !m_ids.contains(f.sha256))
            out.append(f);
    return out;
}

HubBlobIdJob::HubBlobIdJob(Vault* vault, HubBlobIds* ids, QList<FileRecord> files, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_ids(ids)
    , m_files(std::move(files))
{}

HubBlobIdJob::~HubBlobIdJob()
{
    delete m_job; // before the device it writes to
}

void HubBlobIdJob::start()
{
    next();
}

void HubBlobIdJob::abort()
{
    m_aborted = true;
    if (m_job)
        m_job->abort(); // its finished() ends this
}

void HubBlobIdJob::next()
{
    if (m_job) {
        m_job->deleteLater();
        m_job = nullptr;
    }
    ++m_index;
    if (m_aborted || m_index >= m_files.size()) {
        if (m_aborted && m_error.isEmpty())
            m_error = QCoreApplication::translate("mf::api", "Cancelled");
        // Queued, as every job's end: the caller may delete this in its slot.
        QMetaObject::invokeMethod(this, &HubBlobIdJob::finished, Qt::QueuedConnection);
        return;
    }
    const FileRecord& f = m_files.at(m_index);
    m_sink = std::make_unique<HashingDevice>(f.size);
    m_job = new RangeJob(m_vault, f, 0, f.size, m_sink.get());
    connect(m_job, &RangeJob::finished, this, &HubBlobIdJob::onRead);
    m_job->start();
}

void HubBlobIdJob::onRead()
{
    const FileRecord& f = m_files.at(m_index);
    if (!m_job->error().ok()) {
        m_error = m_job->error().message;
        m_aborted = true;
    } else {
        m_ids->insert(f.sha256, m_sink->id());
    }
    next();
}

} // namespace mf::api
