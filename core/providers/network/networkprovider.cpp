#include "networkprovider.h"

#include "credentials/credentialstore.h"

namespace mf {

NetworkProvider::NetworkProvider(const QString& displayName, const ProviderContext& context,
                                 const QString& secretsKey, int maxConcurrent)
    : Provider(displayName)
    , m_context(context)
    , m_secretsKey(secretsKey)
    , m_governor(maxConcurrent)
{
    m_network.setAutoDeleteReplies(false);
    // No key, or no store to ask (a provider that was never given a secret): no secrets.
    if (m_secretsKey.isEmpty() || !m_context.credentials)
        m_secretState = SecretState::Loaded;
}

NetworkProvider::~NetworkProvider()
{
    if (m_secretJob)
        m_secretJob->disconnect(this);
}

QString NetworkProvider::what(const QString& verb, const QString& subject) const
{
    return tr("%1 %2 on %3").arg(verb, subject, where());
}

QString NetworkProvider::where() const
{
    return tr("“%1”").arg(displayName());
}

void NetworkProvider::whenSecretsLoaded(QObject* owner, std::function<void(const Error&)> ready)
{
    switch (m_secretState) {
    case SecretState::Loaded:
        ready(Error::none());
        return;
    case SecretState::Failed:
        ready(m_secretError);
        return;
    case SecretState::NotLoaded:
    case SecretState::Loading:
        break;
    }
    m_secretWaiters.push_back({owner, std::move(ready)});
    if (m_secretState == SecretState::Loading)
        return;
    m_secretState = SecretState::Loading;
    m_secretJob = m_context.credentials->read(m_secretsKey);
    connect(m_secretJob, &CredentialJob::finished, this, &NetworkProvider::onSecretsRead);
    m_secretJob->start();
}

void NetworkProvider::onSecretsRead()
{
    if (m_secretJob) {
        const Error& e = m_secretJob->error();
        if (e.ok() || e.kind == Error::Kind::NotFound) {
            // Nothing stored means no secret was configured (optional secrets, such as an
            // IPFS node's authorization): the server says so if it needs one.
            m_secrets = e.ok() ? m_secretJob->secrets() : QJsonObject();
            m_secretState = SecretState::Loaded;
        } else {
            // Not cached as failed for ever: the keychain may be unlocked or started later.
            m_secretError =
                Error::make(Error::Kind::Authentication,
                            tr("Cannot read the secret of “%1”: %2").arg(displayName(), e.message));
            m_secretState = SecretState::NotLoaded;
        }
        m_secretJob->deleteLater();
        m_secretJob = nullptr;
    }
    const Error result = m_secretState == SecretState::Loaded ? Error::none() : m_secretError;
    std::deque<SecretWaiter> waiters;
    waiters.swap(m_secretWaiters);
    for (SecretWaiter& w : waiters)
        if (w.owner)
            w.ready(result);
}

void NetworkProvider::acquireSlot(QObject* owner, std::function<void()> go)
{
    if (m_active < m_governor.limit()) {
        m_governor.setActive(++m_active);
        go();
        return;
    }
    m_waiting.push_back({owner, std::move(go)});
}

void NetworkProvider::releaseSlot()
{
    m_governor.setActive(--m_active);
    startWaiting();
}

void NetworkProvider::noteTransferred(qint64 bytes)
{
    const int before = m_governor.limit();
    m_governor.transferred(bytes);
    // A raised limit starts waiting jobs, from the event loop rather than from inside another
    // request's progress.
    if (m_governor.limit() > before && !m_waiting.empty())
        QMetaObject::invokeMethod(this, &NetworkProvider::startWaiting, Qt::QueuedConnection);
}

void NetworkProvider::noteServerBusy()
{
    m_governor.serverBusy();
}

void NetworkProvider::startWaiting()
{
    while (!m_waiting.empty() && m_active < m_governor.limit()) {
        Waiter w = std::move(m_waiting.front());
        m_waiting.pop_front();
        if (!w.owner)
            continue; // its job was deleted while waiting
        m_governor.setActive(++m_active);
        w.go();
    }
}

NetworkJob::NetworkJob(NetworkProvider* provider)
    : ProviderJob(provider)
    , m_provider(provider)
{}

NetworkJob::~NetworkJob()
{
    if (m_hasSlot)
        m_provider->releaseSlot();
}

void NetworkJob::doStart()
{
    m_provider->whenSecretsLoaded(this, [this](const Error& e) {
        if (m_completed)
            return;
        if (e) {
            complete(e);
            return;
        }
        m_provider->acquireSlot(this, [this] {
            if (m_completed) { // aborted while waiting: hand the slot on at once
                m_provider->releaseSlot();
                return;
            }
            m_hasSlot = true;
            run();
        });
    });
}

void NetworkJob::doAbort()
{
    if (m_exchange)
        m_exchange->abort(); // its end completes the job as cancelled
    else
        complete(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void NetworkJob::send(HttpExchange::Request request, std::function<void(HttpExchange&)> then,
                      Attempts attempts)
{
    if (request.stallTimeoutMs == HttpExchange::Request{}.stallTimeoutMs)
        request.stallTimeoutMs = m_provider->stallTimeoutMs();
    request.retry = m_provider->retryPolicy();
    if (attempts == Attempts::Once) {
        request.retry.maxAttempts = 1;
        request.resendBody = false;
    }
    if (!request.bandwidth)
        request.bandwidth = m_provider->bandwidth();
    auto* exchange = new HttpExchange(m_provider->network(), std::move(request), this);
    m_exchange = exchange;
    const auto report = [this](qint64 done, qint64 total) {
        if (m_progressTotal < 0)
            Q_EMIT progress(done, total);
        else if (done > 0)
            Q_EMIT progress(qMin(m_progressOffset + done, m_progressTotal), m_progressTotal);
    };
    connect(exchange, &HttpExchange::retrying, this, &ProviderJob::retrying);
    connect(exchange, &HttpExchange::serverBusy, m_provider, &NetworkProvider::noteServerBusy);
    // The bytes each direction moved so far, for the provider's measure of its throughput (an
    // attempt that starts over reports from 0 again).
    const auto moved = [provider = m_provider] {
        return [provider, last = qint64(0)](qint64 done, qint64) mutable {
            if (done > last)
                provider->noteTransferred(done - last);
            last = done;
        };
    };
    connect(exchange, &HttpExchange::uploadProgress, this, moved());
    connect(exchange, &HttpExchange::downloadProgress, this, moved());
    connect(exchange, &HttpExchange::uploadProgress, this, report);
    connect(exchange, &HttpExchange::downloadProgress, this, report);
    connect(exchange, &HttpExchange::finished, this, [this, exchange, then = std::move(then)] {
        exchange->deleteLater();
        if (m_exchange == exchange)
            m_exchange = nullptr;
        if (m_completed)
            return;
        if (exchange->error().kind == Error::Kind::Cancelled) {
            complete(exchange->error());
            return;
        }
        then(*exchange);
    });
    exchange->start();
}

void NetworkJob::complete(const Error& error)
{
    if (m_completed)
        return;
    m_completed = true;
    if (m_exchange)
        m_exchange->abort();
    if (m_hasSlot) {
        m_hasSlot = false;
        m_provider->releaseSlot();
    }
    finish(error);
}

} // namespace mf
