#pragma once

#include "providers/retrypolicy.h"
#include "util/error.h"

#include <QDateTime>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace mf {

class HttpExchange;

namespace mega {

// What one command came back with: a value, or an error (with MEGA's negative code, 0 when the
// failure was not MEGA's answer but the network's).
struct Reply
{
    Error error;
    int code = 0;
    QJsonValue value;
    QDateTime serverTime; // MEGA's clock when it answered (the HTTP Date); invalid if unsaid
};

// MEGA's command channel, one per session: POST <api>/cs?id=<seq>&sid=<sid> with a JSON array of
// commands. The protocol wants one request in flight per session, so commands queue here and
// go out in batches (everything queued while the previous request ran, up to maxBatch), paced
// at least `minIntervalMs` apart. The sequence number starts at a random value and counts up
// for every new request; a resend of the same payload (a network retry, a solved hashcash
// challenge) keeps its number. EAGAIN (-3) and ERATELIMIT (-4), for the whole request or one
// command, and HTTP 500 are retried with the retry policy's backoff; a 402 with X-Hashcash is
// solved on the thread pool and sent again; -15 (the session ended) fails everything queued and
// every later command, and emits sessionEnded() once.
class Api final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Api)

public:
    using Callback = std::function<void(const Reply&)>;

    // `apiUrl` is the gateway, "https://g.api.mega.co.nz/" for MEGA itself.
    Api(QNetworkAccessManager* network, const QUrl& apiUrl, QObject* parent = nullptr);
    ~Api() override;

    void setSessionId(const QByteArray& sid);
    bool hasSession() const { return !m_sid.isEmpty(); }
    bool isSessionEnded() const { return m_sessionEnded; }
    void setRetryPolicy(const RetryPolicy& policy) { m_retry = policy; }
    void setMinIntervalMs(int ms) { m_minIntervalMs = ms; }
    void setMaxBatch(int commands) { m_maxBatch = qMax(1, commands); }
    // Names the account in messages ("MEGA account “x”").
    void setWhat(const QString& what) { m_what = what; }

    // Queues `command`; `done` gets its reply later (never from inside call()), unless `context`
    // is gone by then.
    void call(QObject* context, const QJsonObject& command, Callback done);

    // Error kinds and sentences for MEGA's negative codes.
    static Error errorFor(int code, const QString& what);
    static QString codeName(int code);

Q_SIGNALS:
    void sessionEnded();
    // MEGA answered EAGAIN or ERATELIMIT: its provider runs fewer requests at once.
    void serverBusy();

private:
    struct Pending
    {
        QPointer<QObject> context;
        QJsonObject command;
        Callback done;
        int attempts = 0;
        bool hasContext = false;
    };
    using Batch = std::vector<Pending>;

    void schedule();
    void sendNext();
    void post(std::shared_ptr<Batch> batch, const QByteArray& body, quint64 id,
              const QByteArray& hashcash);
    void onAnswer(std::shared_ptr<Batch> batch, const QByteArray& body, quint64 id,
                  HttpExchange& x);
    void solveChallenge(std::shared_ptr<Batch> batch, const QByteArray& body, quint64 id,
                        const QByteArray& header);
    void retryLater(std::shared_ptr<Batch> batch, const Error& why);
    void deliver(Pending& p, const Reply& r);
    void failAll(Batch& batch, const Error& e, int code);
    void endSession();
    void requestDone();

    QNetworkAccessManager* m_network;
    QUrl m_apiUrl;
    QByteArray m_sid;
    QString m_what;
    RetryPolicy m_retry;
    int m_minIntervalMs = 20;
    int m_maxBatch = 50;
    quint64 m_sequence;
    std::deque<Pending> m_queue;
    bool m_busy = false;
    bool m_sessionEnded = false;
    qint64 m_lastSentMs = -1000000;
    QTimer m_paceTimer;
    std::shared_ptr<std::atomic_bool> m_cancelSolvers;
};

} // namespace mega
} // namespace mf
