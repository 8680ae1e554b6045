#include "megaapi.h"

#include "megahashcash.h"
#include "providers/network/httpexchange.h"

#include <QBuffer>
#include <QDateTime>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPromise>
#include <QRandomGenerator>
#include <QThreadPool>
#include <QUrlQuery>

#include <openssl/crypto.h>

namespace mf::mega {

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

bool isBackoffCode(int code)
{
    return code == -3 || code == -4;
}

} // namespace

Api::Api(QNetworkAccessManager* network, const QUrl& apiUrl, QObject* parent)
    : QObject(parent)
    , m_network(network)
    , m_apiUrl(apiUrl)
    , m_what(tr("MEGA"))
    , m_sequence(QRandomGenerator::global()->bounded(quint32(1) << 31))
    , m_cancelSolvers(std::make_shared<std::atomic_bool>(false))
{
    m_paceTimer.setSingleShot(true);
    connect(&m_paceTimer, &QTimer::timeout, this, &Api::sendNext);
}

Api::~Api()
{
    m_cancelSolvers->store(true);
}

void Api::setSessionId(const QByteArray& sid)
{
    m_sid = sid;
    m_sessionEnded = false;
}

QString Api::codeName(int code)
{
    static const char* const names[] = {"",
                                        "EINTERNAL",
                                        "EARGS",
                                        "EAGAIN",
                                        "ERATELIMIT",
                                        "EFAILED",
                                        "ETOOMANY",
                                        "ERANGE",
                                        "EEXPIRED",
                                        "ENOENT",
                                        "ECIRCULAR",
                                        "EACCESS",
                                        "EEXIST",
                                        "EINCOMPLETE",
                                        "EKEY",
                                        "ESID",
                                        "EBLOCKED",
                                        "EOVERQUOTA",
                                        "ETEMPUNAVAIL",
                                        "ETOOMANYCONNECTIONS",
                                        "EWRITE",
                                        "EREAD",
                                        "EAPPKEY",
                                        "ESSL",
                                        "EGOINGOVERQUOTA",
                                        "EROLLEDBACK",
                                        "EMFAREQUIRED",
                                        "EMASTERONLY",
                                        "EBUSINESSPASTDUE",
                                        "EPAYWALL"};
    const int i = -code;
    return i > 0 && i < int(std::size(names)) ? QString::fromLatin1(names[i])
                                              : QStringLiteral("error");
}

Error Api::errorFor(int code, const QString& what)
{
    const QString said = QStringLiteral("%1 (%2)").arg(codeName(code)).arg(code);
    switch (code) {
    case -9:
        return Error::make(Error::Kind::NotFound,
                           tr("%1: not found (MEGA answered %2)").arg(what, said));
    case -15:
        return Error::make(Error::Kind::Authentication,
                           tr("%1: MEGA ended the session (%2); sign in again").arg(what, said));
    case -16:
        return Error::make(
            Error::Kind::Authentication,
            tr("%1: MEGA has blocked this account (%2); see mega.nz").arg(what, said));
    case -26:
        return Error::make(Error::Kind::Authentication,
                           tr("%1: this account needs its two-factor code (%2)").arg(what, said));
    case -17:
    case -24:
    case -29:
        return Error::make(Error::Kind::QuotaExceeded,
                           tr("%1: the MEGA account is over its quota (%2)").arg(what, said));
    case -1:
    case -3:
    case -4:
    case -6:
    case -18:
    case -19:
        return Error::make(Error::Kind::Retryable,
                           tr("%1: MEGA is busy, try again later (%2)").arg(what, said));
    case -11:
        return Error::make(Error::Kind::Authentication,
                           tr("%1: MEGA refused access (%2)").arg(what, said));
    default:
        return Error::make(Error::Kind::Fatal, tr("%1: MEGA refused it (%2)").arg(what, said));
    }
}

void Api::call(QObject* context, const QJsonObject& command, Callback done)
{
    m_queue.push_back({context, command, std::move(done), 0, context != nullptr});
    schedule();
}

void Api::schedule()
{
    if (m_busy || m_queue.empty() || m_paceTimer.isActive())
        return;
    const qint64 wait = m_lastSentMs + m_minIntervalMs - nowMs();
    if (wait > 0) {
        m_paceTimer.start(int(wait));
        return;
    }
    // Not from inside call(): callers expect their reply later, and a burst of calls made in
    // one go then leaves in one batch.
    m_paceTimer.start(0);
}

void Api::sendNext()
{
    if (m_busy)
        return;
    auto batch = std::make_shared<Batch>();
    while (!m_queue.empty() && int(batch->size()) < m_maxBatch) {
        Pending p = std::move(m_queue.front());
        m_queue.pop_front();
        if (p.hasContext && !p.context)
            continue; // its job is gone
        batch->push_back(std::move(p));
    }
    if (batch->empty())
        return;
    if (m_sessionEnded) {
        failAll(*batch, errorFor(-15, m_what), -15);
        return;
    }
    QJsonArray commands;
    for (const Pending& p : *batch)
        commands.append(p.command);
    m_busy = true;
    post(batch, QJsonDocument(commands).toJson(QJsonDocument::Compact), ++m_sequence, {});
}

void Api::post(std::shared_ptr<Batch> batch, const QByteArray& body, quint64 id,
               const QByteArray& hashcash)
{
    m_lastSentMs = nowMs();
    QUrl url = m_apiUrl.resolved(QUrl(QStringLiteral("cs")));
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("id"), QString::number(id));
    if (!m_sid.isEmpty())
        query.addQueryItem(QStringLiteral("sid"), QString::fromLatin1(m_sid));
    url.setQuery(query);
    HttpExchange::Request r;
    r.method = "POST";
    r.what = tr("%1: command %2")
                 .arg(m_what, batch->front().command.value(QStringLiteral("a")).toString());
    r.retry = m_retry;
    r.acceptedStatuses = {402};
    r.build = [url, hashcash](const HttpExchange::Attempt&) {
        QNetworkRequest q(url);
        q.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        if (!hashcash.isEmpty())
            q.setRawHeader("X-Hashcash", hashcash);
        return q;
    };
    r.openBody = [body] {
        auto buffer = std::make_unique<QBuffer>();
        buffer->setData(body);
        buffer->open(QIODevice::ReadOnly);
        return std::unique_ptr<QIODevice>(std::move(buffer));
    };
    r.bodySize = body.size();
    auto* x = new HttpExchange(m_network, std::move(r), this);
    connect(x, &HttpExchange::finished, this, [this, x, batch, body, id] {
        x->deleteLater();
        onAnswer(batch, body, id, *x);
    });
    x->start();
}

void Api::onAnswer(std::shared_ptr<Batch> batch, const QByteArray& body, quint64 id,
                   HttpExchange& x)
{
    if (x.error()) {
        // A 500 ("Server Too Busy") or a network failure that outlasted the exchange's retries.
        failAll(*batch, x.error(), 0);
        return requestDone();
    }
    const QByteArray challenge = x.header("X-Hashcash");
    if (!challenge.isEmpty() && x.status() == 402)
        return solveChallenge(batch, body, id, challenge);
    if (x.status() == 402) {
        failAll(*batch,
                Error::make(Error::Kind::Fatal,
                            tr("%1: MEGA answered 402 without a challenge").arg(m_what)),
                0);
        return requestDone();
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + x.body() + "]", &parseError);
    const QJsonArray outer = doc.array();
    const QJsonValue answer = outer.isEmpty() ? QJsonValue() : outer.at(0);
    // The whole request can fail with a bare number (sometimes a one-element array).
    int requestCode = 0;
    if (parseError.error == QJsonParseError::NoError && answer.isDouble())
        requestCode = answer.toInt();
    else if (answer.isArray() && answer.toArray().size() == 1 && batch->size() > 1 &&
             answer.toArray().at(0).isDouble() && answer.toArray().at(0).toInt() < 0)
        requestCode = answer.toArray().at(0).toInt();
    if (requestCode < 0) {
        if (requestCode == -15) {
            failAll(*batch, errorFor(-15, m_what), -15);
            endSession();
            return requestDone();
        }
        if (isBackoffCode(requestCode) || requestCode == -18) {
            if (isBackoffCode(requestCode))
                Q_EMIT serverBusy();
            retryLater(batch, errorFor(requestCode, m_what));
            return requestDone();
        }
        failAll(*batch, errorFor(requestCode, m_what), requestCode);
        return requestDone();
    }
    const QJsonArray results = answer.toArray();
    if (parseError.error != QJsonParseError::NoError || !answer.isArray() ||
        results.size() != qsizetype(batch->size())) {
        failAll(*batch,
                Error::make(Error::Kind::Retryable,
                            tr("%1: MEGA's answer could not be read").arg(m_what)),
                0);
        return requestDone();
    }
    auto again = std::make_shared<Batch>();
    const QDateTime serverTime = HttpExchange::parseHttpDate(x.header("Date"));
    for (qsizetype i = 0; i < results.size(); ++i) {
        Pending& p = (*batch)[size_t(i)];
        const QJsonValue v = results.at(i);
        const int code = v.isDouble() && v.toDouble() < 0 ? v.toInt() : 0;
        if (isBackoffCode(code)) {
            again->push_back(std::move(p));
            continue;
        }
        if (code == -15) {
            deliver(p, {errorFor(-15, m_what), -15, {}, {}});
            endSession();
            continue;
        }
        deliver(p, code < 0 ? Reply{errorFor(code, m_what), code, v, serverTime}
                            : Reply{Error::none(), 0, v, serverTime});
    }
    if (!again->empty()) {
        Q_EMIT serverBusy();
        retryLater(again, errorFor(-3, m_what));
    }
    requestDone();
}

void Api::solveChallenge(std::shared_ptr<Batch> batch, const QByteArray& body, quint64 id,
                         const QByteArray& header)
{
    const auto challenge = HashcashChallenge::parse(header);
    if (!challenge) {
        failAll(
            *batch,
            Error::make(
                Error::Kind::Fatal,
                tr("%1: MEGA sent a proof-of-work challenge this version cannot read").arg(m_what)),
            0);
        return requestDone();
    }
    // Seconds of hashing: on the thread pool, never on this thread; the answer comes back here
    // through a watcher that dies with this object.
    auto promise = std::make_shared<QPromise<QByteArray>>();
    auto* watcher = new QFutureWatcher<QByteArray>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, batch, body, id] {
        watcher->deleteLater();
        const QFuture<QByteArray> f = watcher->future();
        if (f.resultCount() == 0) {
            failAll(*batch,
                    Error::make(Error::Kind::Retryable,
                                tr("%1: the proof-of-work challenge was not solved").arg(m_what)),
                    0);
            return requestDone();
        }
        post(batch, body, id, f.result()); // the same request, the same sequence number
    });
    watcher->setFuture(promise->future());
    promise->start();
    auto cancel = m_cancelSolvers;
    QThreadPool::globalInstance()->start([promise, challenge = *challenge, cancel] {
        if (const auto answer = solveHashcash(challenge, cancel.get()))
            promise->addResult(*answer);
        OPENSSL_thread_stop(); // per-thread state freed where the work ends (see SignIn)
        promise->finish();
    });
}

void Api::retryLater(std::shared_ptr<Batch> batch, const Error& why)
{
    // Backoff per command; they go back to the head of the queue in their order.
    int delay = 0;
    auto keep = std::make_shared<Batch>();
    for (Pending& p : *batch) {
        ++p.attempts;
        if (!m_retry.shouldRetry(why, p.attempts)) {
            deliver(p, {why, -3, {}, {}});
            continue;
        }
        delay = qMax(delay, m_retry.delayMs(why, p.attempts));
        keep->push_back(std::move(p));
    }
    if (keep->empty())
        return;
    QTimer::singleShot(delay, this, [this, keep] {
        for (auto it = keep->rbegin(); it != keep->rend(); ++it)
            m_queue.push_front(std::move(*it));
        schedule();
    });
}

void Api::deliver(Pending& p, const Reply& r)
{
    if (p.hasContext && !p.context)
        return;
    Callback done = std::move(p.done);
    if (done)
        done(r);
}

void Api::failAll(Batch& batch, const Error& e, int code)
{
    for (Pending& p : batch)
        deliver(p, {e, code, {}, {}});
}

void Api::endSession()
{
    if (m_sessionEnded)
        return;
    m_sessionEnded = true;
    Q_EMIT sessionEnded();
}

void Api::requestDone()
{
    m_busy = false;
    schedule();
}

} // namespace mf::mega
