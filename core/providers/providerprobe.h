#pragma once

#include "util/error.h"

#include <QObject>
#include <QPointer>

#include <memory>

namespace mf {

class Provider;
class ProviderJob;
class HashingChunkWriter;

// "Test connection": stores a small random object on a provider, reads it back and checks its
// hash, then removes it, and reports the provider's usage. Each step's failure is reported
// with the step's name, so a person knows whether reading, writing or deleting is broken.
class ProviderProbe final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderProbe)

public:
    // Holds a lease on `provider` when it is shared (Provider::lease(), every adapter of a
    // vault); an adapter one owner holds alone must outlive the probe.
    explicit ProviderProbe(Provider* provider, QObject* parent = nullptr);
    ~ProviderProbe() override;

    void start();
    const Error& error() const { return m_error; }
    qint64 usedBytes() const { return m_used; }
    qint64 availableBytes() const { return m_available; }
    qint64 roundTripMs() const { return m_roundTripMs; }

Q_SIGNALS:
    void finished();

private:
    void step();
    void fail(const QString& stepName, const Error& error);

    Provider* m_provider;
    std::shared_ptr<Provider> m_lease;
    QByteArray m_payload;
    QString m_cid;
    QString m_locator;
    int m_step = 0;
    QPointer<ProviderJob> m_job;
    std::unique_ptr<HashingChunkWriter> m_writer;
    qint64 m_startMs = 0;
    qint64 m_used = -1;
    qint64 m_available = -1;
    qint64 m_roundTripMs = -1;
    Error m_error;
    bool m_finished = false;
};

} // namespace mf
