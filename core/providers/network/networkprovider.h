#pragma once

#include "concurrencygovernor.h"
#include "httpexchange.h"
#include "providers/provider.h"
#include "providers/providercontext.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QPointer>

#include <deque>
#include <functional>

namespace mf {

class CredentialJob;

// What every QNetworkAccessManager-based adapter shares: its network access manager (on the
// thread that owns the provider), its secrets loaded once from the credential store before the
// first request, and a bound on the requests it runs at once (further jobs wait their turn),
// which adapts to what the link and the server can take (ConcurrencyGovernor).
class NetworkProvider : public Provider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NetworkProvider)

public:
    ~NetworkProvider() override;

    QNetworkAccessManager* network() { return &m_network; }
    // Valid once secrets were loaded (inside NetworkJob::run()).
    const QJsonObject& secrets() const { return m_secrets; }
    // The user's "concurrency" setting: the most requests ever run at once.
    int maxConcurrent() const { return m_governor.ceiling(); }
    // How many may run at once right now.
    int concurrencyLimit() const { return m_governor.limit(); }
    // One more than may run: the next put's bytes are ready the moment a request ends, and the
    // provider is seen saturated, which is when the limit is measured and raised.
    int putsAtOnce() const override { return concurrencyLimit() + 1; }
    // The policy adapters give their exchanges; tests shorten it.
    RetryPolicy retryPolicy() const { return m_retry; }
    void setRetryPolicy(const RetryPolicy& policy) { m_retry = policy; }
    int stallTimeoutMs() const { return m_stallTimeoutMs; }
    void setStallTimeoutMs(int ms) { m_stallTimeoutMs = ms; }
    // The vault's bandwidth limits, which every exchange of this provider obeys (null: none).
    const std::shared_ptr<BandwidthLimiter>& bandwidth() const { return m_context.bandwidth; }

    // Calls `ready` once the secrets are loaded (at once if they already are), with an
    // Authentication error if they cannot be. Nothing is called if `owner` is gone by then.
    void whenSecretsLoaded(QObject* owner, std::function<void(const Error&)> ready);
    // Calls `go` when one of concurrencyLimit() slots is free; the owner must releaseSlot() once.
    void acquireSlot(QObject* owner, std::function<void()> go);
    void releaseSlot();
    // What the requests report, for the concurrency limit: bytes they moved, and a server
    // that answered it is overloaded.
    void noteTransferred(qint64 bytes);
    void noteServerBusy();

    // What an operation was doing, for its messages: "Uploading chunk X on “name”". Every
    // adapter builds its messages with it, so they read alike.
    QString what(const QString& verb, const QString& subject) const;
    // A locator this adapter never gave: the shared NotFound.
    Error notAnObjectName(const QString& locator) const
    {
        return Provider::notAnObjectName(locator, displayName());
    }

protected:
    // Where the adapter's objects are, as messages name it: the provider's name in quotes.
    virtual QString where() const;

    // `secretsKey` empty: the kind has no secrets (or none were configured).
    NetworkProvider(const QString& displayName, const ProviderContext& context,
                    const QString& secretsKey, int maxConcurrent);

private:
    struct Waiter
    {
        QPointer<QObject> owner;
        std::function<void()> go;
    };
    struct SecretWaiter
    {
        QPointer<QObject> owner;
        std::function<void(const Error&)> ready;
    };
    enum class SecretState { NotLoaded, Loading, Loaded, Failed };

    void onSecretsRead();
    // Starts waiting jobs while slots are free.
    void startWaiting();

    QNetworkAccessManager m_network;
    ProviderContext m_context;
    QString m_secretsKey;
    QJsonObject m_secrets;
    SecretState m_secretState = SecretState::NotLoaded;
    Error m_secretError;
    QPointer<CredentialJob> m_secretJob;
    std::deque<SecretWaiter> m_secretWaiters;
    ConcurrencyGovernor m_governor;
    int m_active = 0;
    std::deque<Waiter> m_waiting;
    RetryPolicy m_retry;
    int m_stallTimeoutMs = 60000;
};

// An operation of a NetworkProvider: waits for the secrets and a connection slot, then run()s,
// sending as many exchanges as the protocol needs; complete() ends it and frees the slot.
// abort() cancels the exchange in flight (or the wait).
class NetworkJob : public ProviderJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NetworkJob)

public:
    // How often send() may put a request on the wire: with the provider's retries, or once
    // (no retry, and no resend of the body by Qt) for a protocol that resumes by itself from
    // what the server kept, such as a resumable upload's status query.
    enum class Attempts { Retried, Once };

    ~NetworkJob() override;

protected:
    explicit NetworkJob(NetworkProvider* provider);

    virtual void run() = 0;
    // Sends one exchange; `then` receives it when it ends (not after complete() or abort()).
    // Retry and stall settings default to the provider's.
    void send(HttpExchange::Request request, std::function<void(HttpExchange&)> then,
              Attempts attempts = Attempts::Retried);
    void complete(const Error& error);
    NetworkProvider* provider() const { return m_provider; }
    // For operations made of several exchanges (multipart uploads): the next exchanges' bytes
    // are reported as progress(offset + done, total) of the whole operation.
    void setProgressWindow(qint64 offset, qint64 total)
    {
        m_progressOffset = offset;
        m_progressTotal = total;
    }

private:
    void doStart() final;
    void doAbort() final;

    // Valid for the job's whole life: the base holds a lease on the adapter (ProviderJob).
    NetworkProvider* m_provider;
    QPointer<HttpExchange> m_exchange;
    bool m_hasSlot = false;
    bool m_completed = false;
    qint64 m_progressOffset = 0;
    qint64 m_progressTotal = -1; // -1: report each exchange's own progress
};

} // namespace mf
