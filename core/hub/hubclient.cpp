#include "hubclient.h"

#include "providers/network/httpexchange.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace mf {

namespace {

// Revisions go into URLs encoded with no safe characters ("refs/pr/1" -> "refs%2Fpr%2F1").
QString encodeAll(const QString& s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

// Each path segment encoded, the '/' between them kept.
QString encodePath(const QString& path)
{
    QStringList parts = path.split(QLatin1Char('/'));
    for (QString& p : parts)
        p = encodeAll(p);
    return parts.join(QLatin1Char('/'));
}

QByteArray unquoteEtag(QByteArray etag)
{
    etag = etag.trimmed();
    if (etag.startsWith("W/"))
        etag = etag.mid(2);
    if (etag.size() >= 2 && etag.startsWith('"') && etag.endsWith('"'))
        etag = etag.mid(1, etag.size() - 2);
    return etag.toLower();
}

} // namespace

HubClient::HubClient(QNetworkAccessManager* network, const HubSettings& settings, QObject* parent)
    : QObject(parent)
    , m_network(network)
    , m_settings(settings)
{}

bool HubClient::isHubOrigin(const QUrl& url) const
{
    const QUrl hub(m_settings.endpoint);
    return url.scheme() == hub.scheme() && url.host() == hub.host() &&
           url.port(url.scheme() == QLatin1String("https") ? 443 : 80) ==
               hub.port(hub.scheme() == QLatin1String("https") ? 443 : 80);
}

QNetworkRequest HubClient::request(const QUrl& url) const
{
    QNetworkRequest r(url);
    // The real size, and Range honoured (CDNs may ignore Range on compressed answers).
    r.setRawHeader("Accept-Encoding", "identity");
    r.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("ModelFloat hub-client"));
    if (!m_settings.token.isEmpty() && isHubOrigin(url))
        r.setRawHeader("Authorization", "Bearer " + m_settings.token.toUtf8());
    // Redirects are followed by hand (HubDownloadJob), so a token never reaches another host.
    r.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    return r;
}

QUrl HubClient::apiUrl(const QString& path) const
{
    return QUrl(m_settings.endpoint + path);
}

QUrl HubClient::resolveUrl(const QString& repoId, const QString& revision,
                           const QString& path) const
{
    return QUrl(QStringLiteral("%1/%2/resolve/%3/%4")
                    .arg(m_settings.endpoint, repoId, encodeAll(revision), encodePath(path)));
}

QString HubClient::webUrl(const QString& repoId) const
{
    return m_settings.endpoint + QLatin1Char('/') + repoId;
}

HttpExchange* HubClient::jsonExchange(const QUrl& url, const QString& what, const QString& repoId,
                                      qint64 maxBytes, QObject* parent)
{
    HttpExchange::Request r;
    r.build = [this, url](const HttpExchange::Attempt&) {
        QNetworkRequest q = request(url);
        q.setRawHeader("Accept", "application/json");
        return q;
    };
    r.classify = [this, repoId, what](int status, const QByteArray&, const QNetworkReply& reply) {
        return classify(status, reply, repoId, what);
    };
    r.what = what;
    r.retry = m_settings.retry;
    r.stallTimeoutMs = m_settings.stallTimeoutMs;
    r.maxCollectBytes = maxBytes;
    // Someone is waiting for this answer: with no way to the Hub, say so in seconds.
    r.unreachableAttempts = 2;
    r.bandwidth = m_bandwidth;
    return new HttpExchange(m_network, std::move(r), parent);
}

Error HubClient::offlineError(const QString& what) const
{
    return Error::make(Error::Kind::Fatal,
                       tr("%1: offline mode is on, so the Hub is not contacted (unset "
                          "HF_HUB_OFFLINE or “modelfloat-cli config hub.offline 0”)")
                           .arg(what));
}

Error HubClient::exchangeError(const HttpExchange& exchange) const
{
    if (!exchange.unreachable())
        return exchange.error();
    return Error::make(exchange.error().kind,
                       tr("Offline: the Hub at %1 cannot be reached. %2")
                           .arg(QUrl(m_settings.endpoint).host(), exchange.error().message));
}

Error HubClient::classify(int status, const QNetworkReply& reply, const QString& repoId,
                          const QString& what) const
{
    const QByteArray code = reply.rawHeader("X-Error-Code");
    const QString message = QString::fromUtf8(reply.rawHeader("X-Error-Message")).left(300);
    const bool haveToken = !m_settings.token.isEmpty();
    if (code == "GatedRepo") {
        if (status == 401 || !haveToken)
            return Error::make(
                Error::Kind::Authentication,
                tr("%1: this model is gated: accept its license at %2 and set a token with "
                   "`modelfloat-cli hub login`")
                    .arg(what, webUrl(repoId)));
        return Error::make(Error::Kind::Authentication,
                           tr("%1: this model is gated and the account of your token has not "
                              "been granted access yet: accept its license at %2 with that "
                              "account (approval may take a while), then try again")
                               .arg(what, webUrl(repoId)));
    }
    if (status == 401 && message.contains(QLatin1String("Invalid credentials")))
        return Error::make(Error::Kind::Authentication,
                           tr("%1: the Hub refused the token (invalid, expired or revoked): set "
                              "a new one with `modelfloat-cli hub login`")
                               .arg(what));
    if (code == "RepoNotFound" || (status == 401 && code.isEmpty()))
        return Error::make(Error::Kind::NotFound,
                           haveToken ? tr("%1: model %2 does not exist, or your token cannot see "
                                          "it; check the name at %3")
                                           .arg(what, repoId, webUrl(repoId))
                                     : tr("%1: model %2 does not exist, or it is private: check "
                                          "the name, or set a token of an account that can see "
                                          "it with `modelfloat-cli hub login`")
                                           .arg(what, repoId));
    if (code == "RevisionNotFound")
        return Error::make(
            Error::Kind::NotFound,
            tr("%1: model %2 has no such revision (branch, tag or commit)").arg(what, repoId));
    if (code == "EntryNotFound")
        return Error::make(Error::Kind::NotFound,
                           tr("%1: the file does not exist at this revision").arg(what));
    if (status == 403)
        return Error::make(
            Error::Kind::Authentication,
            tr("%1: the Hub denied access%2")
                .arg(what, message.isEmpty() ? QString() : QStringLiteral(": ") + message));
    return {}; // the generic classification (429/5xx retried, ...)
}

// --- HubInfoJob ------------------------------------------------------------------------------

HubInfoJob::HubInfoJob(HubClient* client, const QString& repoId, const QString& revision,
                       QObject* parent)
    : HubQuery(client, parent)
    , m_revision(revision.isEmpty() ? QStringLiteral("main") : revision)
{
    m_repo.id = repoId;
}

HttpExchange* HubInfoJob::makeExchange(const QUrl& url, const QString& what)
{
    // A tree page of a very large repo is several MiB.
    return exchange(url, what, m_repo.id, 64 * 1024 * 1024);
}

void HubInfoJob::start()
{
    const QString what = tr("Reading model %1 from the Hub").arg(m_repo.id);
    if (client()->settings().offline) {
        QMetaObject::invokeMethod(
            this, [this, what] { complete(client()->offlineError(what)); }, Qt::QueuedConnection);
        return;
    }
    QUrl url = client()->apiUrl(
        QStringLiteral("/api/models/%1/revision/%2")
            .arg(m_repo.id, QString::fromLatin1(QUrl::toPercentEncoding(m_revision))));
    url.setQuery(QStringLiteral("blobs=true"));
    HttpExchange* exchange = makeExchange(url, what);
    connect(exchange, &HttpExchange::finished, this, [this, exchange, what] {
        exchange->deleteLater();
        if (!exchange->error().ok()) {
            complete(client()->exchangeError(*exchange));
            return;
        }
        QString why;
        if (!hubrepo::parseInfo(exchange->body(), &m_repo, &why)) {
            complete(Error::make(Error::Kind::Fatal, tr("%1: %2").arg(what, why)));
            return;
        }
        // The tree at the commit itself, so every file belongs to one pinned revision.
        QUrl tree = client()->apiUrl(
            QStringLiteral("/api/models/%1/tree/%2").arg(m_repo.id, m_repo.commit));
        tree.setQuery(QStringLiteral("recursive=true&expand=false"));
        fetchTree(tree);
    });
    exchange->start();
}

void HubInfoJob::fetchTree(const QUrl& url)
{
    if (!client()->isHubOrigin(url)) {
        complete(Error::make(Error::Kind::Fatal,
                             tr("Listing the files of %1: the Hub pointed to another server (%2)")
                                 .arg(m_repo.id, HttpExchange::displayUrl(url))));
        return;
    }
    const QString what = tr("Listing the files of %1").arg(m_repo.id);
    HttpExchange* exchange = makeExchange(url, what);
    connect(exchange, &HttpExchange::finished, this, [this, exchange, what] {
        exchange->deleteLater();
        if (!exchange->error().ok()) {
            complete(client()->exchangeError(*exchange));
            return;
        }
        QString why;
        if (!hubrepo::parseTreePage(exchange->body(), &m_tree, &why)) {
            complete(Error::make(Error::Kind::Fatal, tr("%1: %2").arg(what, why)));
            return;
        }
        const QString next = hubrepo::nextLink(exchange->header("Link"));
        if (!next.isEmpty()) {
            fetchTree(QUrl(next));
            return;
        }
        m_repo.files = m_tree;
        complete(Error::none());
    });
    exchange->start();
}

// --- HubDownloadJob --------------------------------------------------------------------------

HubDownloadJob::HubDownloadJob(HubClient* client, const HubRepo& repo, const HubFile& file,
                               qint64 offset, qint64 end, ByteSink* sink, QObject* parent)
    : HubQuery(client, parent)
    , m_repoId(repo.id)
    , m_commit(repo.commit)
    , m_file(file)
    , m_offset(offset)
    , m_end(end)
    , m_sink(sink)
{}

qint64 HubDownloadJob::bytesDelivered() const
{
    return m_deliveredBefore + (tracked() ? tracked()->bytesDelivered() : 0);
}

void HubDownloadJob::start()
{
    if (client()->settings().offline) {
        QMetaObject::invokeMethod(
            this,
            [this] {
                complete(client()->offlineError(
                    tr("Downloading “%1” of %2").arg(m_file.path, m_repoId)));
            },
            Qt::QueuedConnection);
        return;
    }
    if (m_offset >= m_end) {
        QMetaObject::invokeMethod(
            this, [this] { complete(Error::none()); }, Qt::QueuedConnection);
        return;
    }
    resolve();
}

void HubDownloadJob::resolve()
{
    ++m_resolves;
    const QUrl url = client()->resolveUrl(m_repoId, m_commit, m_file.path);
    const QString what = tr("Resolving “%1” of %2").arg(m_file.path, m_repoId);
    HttpExchange::Request r;
    HubClient* client = this->client();
    const QString repoId = m_repoId;
    r.method = "HEAD";
    r.build = [client, url](const HttpExchange::Attempt&) { return client->request(url); };
    r.classify = [client, repoId, what](int status, const QByteArray&, const QNetworkReply& reply) {
        return client->classify(status, reply, repoId, what);
    };
    r.acceptedStatuses = {301, 302, 303, 307, 308};
    r.what = what;
    r.retry = client->settings().retry;
    r.stallTimeoutMs = client->settings().stallTimeoutMs;
    r.bandwidth = client->bandwidth();
    auto* exchange = new HttpExchange(client->network(), std::move(r), this);
    track(exchange);
    connect(exchange, &HttpExchange::finished, this, [this, exchange, url, what] {
        exchange->deleteLater();
        track(nullptr);
        if (!exchange->error().ok()) {
            complete(this->client()->exchangeError(*exchange));
            return;
        }
        // What the Hub says about the file must be what the tree said, at our commit.
        const QByteArray commit = exchange->header("X-Repo-Commit").trimmed().toLower();
        const QByteArray linkedEtag = unquoteEtag(exchange->header("X-Linked-Etag"));
        const QByteArray linkedSize = exchange->header("X-Linked-Size").trimmed();
        QString mismatch;
        if (!commit.isEmpty() && commit != m_commit.toLatin1())
            mismatch = tr("the Hub answered for commit %1 instead of %2")
                           .arg(QString::fromLatin1(commit), m_commit);
        else if (m_file.isLfs() && !linkedEtag.isEmpty() && linkedEtag != m_file.sha256)
            mismatch = tr("its content hash is not the one the file list gave");
        else if (!linkedSize.isEmpty() && linkedSize.toLongLong() != m_file.size)
            mismatch = tr("its size is %1 bytes, not %2 as the file list said")
                           .arg(QString::fromLatin1(linkedSize))
                           .arg(m_file.size);
        if (!mismatch.isEmpty()) {
            complete(Error::make(Error::Kind::Corrupt, tr("%1: %2").arg(what, mismatch)));
            return;
        }
        const int status = exchange->status();
        if (status >= 300 && status < 400) {
            const QByteArray location = exchange->header("Location");
            m_location = url.resolved(QUrl::fromEncoded(location));
            if (location.isEmpty() || !m_location.isValid() ||
                (m_location.scheme() != QLatin1String("https") &&
                 m_location.scheme() != QLatin1String("http"))) {
                complete(Error::make(Error::Kind::Fatal,
                                     tr("%1: the Hub redirected to no usable location").arg(what)));
                return;
            }
        } else {
            m_location = url; // a regular (non-LFS) file is served by the Hub itself
        }
        fetch();
    });
    exchange->start();
}

void HubDownloadJob::fetch()
{
    const QString what = tr("Downloading “%1” of %2").arg(m_file.path, m_repoId);
    HttpExchange::Request r;
    HubClient* client = this->client();
    const QString repoId = m_repoId;
    const QUrl location = m_location;
    const qint64 from = m_offset + m_deliveredBefore;
    const qint64 last = m_end - 1;
    const bool whole = from == 0 && m_end == m_file.size;
    r.build = [client, location, from, last, whole](const HttpExchange::Attempt& attempt) {
        // The token only on the Hub's own origin (request() decides); a CDN gets none.
        QNetworkRequest q = client->request(location);
        const qint64 first = from + attempt.bytesDelivered;
        if (!whole || first > 0)
            q.setRawHeader("Range", QStringLiteral("bytes=%1-%2").arg(first).arg(last).toLatin1());
        return q;
    };
    r.classify = [client, repoId, what](int status, const QByteArray&, const QNetworkReply& reply) {
        return client->classify(status, reply, repoId, what);
    };
    r.sink = m_sink;
    r.readBufferSize = 4 * 1024 * 1024; // what may wait in memory while the sink is paused
    r.what = what;
    r.retry = client->settings().retry;
    r.stallTimeoutMs = client->settings().stallTimeoutMs;
    r.bandwidth = client->bandwidth();
    auto* exchange = new HttpExchange(client->network(), std::move(r), this);
    track(exchange);
    connect(exchange, &HttpExchange::downloadProgress, this, &HubDownloadJob::progress);
    exchange->setPaused(m_paused);
    connect(exchange, &HttpExchange::finished, this, [this, exchange] {
        exchange->deleteLater();
        m_deliveredBefore += exchange->bytesDelivered();
        track(nullptr);
        Error e = exchange->error();
        // A signed CDN URL that expired (403) or vanished: ask the Hub for a fresh one.
        if (!e.ok() && e.kind != Error::Kind::Cancelled &&
            m_location != this->client()->resolveUrl(m_repoId, m_commit, m_file.path) &&
            (e.kind == Error::Kind::Authentication || e.kind == Error::Kind::NotFound) &&
            m_resolves < 3) {
            resolve();
            return;
        }
        if (e.ok() && m_offset + m_deliveredBefore != m_end)
            e = Error::make(Error::Kind::Retryable,
                            tr("Downloading “%1” of %2: the server sent %3 bytes instead of %4")
                                .arg(m_file.path, m_repoId)
                                .arg(m_deliveredBefore)
                                .arg(m_end - m_offset));
        complete(e);
    });
    exchange->start();
}

void HubDownloadJob::setPaused(bool paused)
{
    m_paused = paused;
    if (HttpExchange* e = tracked())
        e->setPaused(paused);
}

} // namespace mf
