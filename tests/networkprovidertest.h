#pragma once

// What the network suites share: driving ProviderJobs to their end, collecting what a get or
// a download delivers, and a real (plaintext-file) credential store holding a provider's secrets.

#include "credentials/plaintextcredentialstore.h"
#include "providers/bytesink.h"
#include "providers/provider.h"

#include <QBuffer>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

namespace mf::test {

constexpr int ProviderJobTimeoutMs = 120000; // generous: the sanitizer build is slow

// Collects what a get delivers.
class BufferSink final : public ByteSink
{
public:
    bool write(const char* data, qint64 size) override
    {
        m_data.append(data, size);
        return true;
    }
    QString errorString() const override { return {}; }
    const QByteArray& bytes() const { return m_data; }

private:
    QByteArray m_data;
};

// Starts a provider job, waits for its one finished(), and deletes it; the job's results are
// copied out first by `inspect`.
template <typename Inspect> bool runProviderJob(ProviderJob* job, Inspect inspect)
{
    std::unique_ptr<ProviderJob> owned(job);
    QSignalSpy finished(job, &ProviderJob::finished);
    job->start();
    if (!finished.wait(ProviderJobTimeoutMs))
        return false;
    inspect(*job);
    return finished.size() == 1;
}

inline Error runProviderJob(ProviderJob* job)
{
    Error e = Error::make(Error::Kind::Fatal, QStringLiteral("the job did not finish"));
    runProviderJob(job, [&e](ProviderJob& j) { e = j.error(); });
    return e;
}

// The put source the distributor would give: opened, positioned at the chunk.
inline std::unique_ptr<QIODevice> sourceOf(const QByteArray& data)
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(data);
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

// Writes `secrets` under `key` in `store`; false if that fails.
inline bool writeSecrets(CredentialStore& store, const QString& key, const QJsonObject& secrets)
{
    CredentialJob* job = store.write(key, secrets);
    std::unique_ptr<CredentialJob> owned(job);
    QSignalSpy finished(job, &CredentialJob::finished);
    job->start();
    if (!finished.wait(ProviderJobTimeoutMs))
        return false;
    if (job->error()) {
        qWarning("Cannot store secrets: %s", qPrintable(job->error().message));
        return false;
    }
    return true;
}

} // namespace mf::test
