#pragma once

#include "hubquery.h"
#include "hubrepo.h"
#include "hubsettings.h"
#include "util/bandwidthlimiter.h"
#include "util/error.h"

#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;
class QNetworkRequest;
class QNetworkReply;

namespace mf {

class ByteSink;
class HttpExchange;

// The Hugging Face Hub over HTTP (see /work/shared/protocols/huggingface.md): model info and
// the recursive file tree pinned to a commit, and file downloads through the resolve
// endpoint. Every request goes through HttpExchange (retries with backoff honouring
// Retry-After for 429/5xx, stall timeouts). The bearer token is sent to the Hub's own origin
// only: redirects are followed by hand, and a download location on another host (the CDN's
// signed URL) is fetched without it. Errors are explained in words a person can act on
// (gated, private, missing, rate-limited). In offline mode nothing is ever sent.
class HubClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubClient)

public:
    HubClient(QNetworkAccessManager* network, const HubSettings& settings,
              QObject* parent = nullptr);

    const HubSettings& settings() const { return m_settings; }
    QNetworkAccessManager* network() const { return m_network; }
    // The vault's bandwidth limits, which every download from the Hub obeys (null: none).
    void setBandwidth(std::shared_ptr<BandwidthLimiter> limiter)
    {
        m_bandwidth = std::move(limiter);
    }
    const std::shared_ptr<BandwidthLimiter>& bandwidth() const { return m_bandwidth; }

    // A request to a Hub URL: identity encoding, our User-Agent, and the token when `url` is on
    // the Hub's own origin (never elsewhere).
    QNetworkRequest request(const QUrl& url) const;
    bool isHubOrigin(const QUrl& url) const;
    QUrl apiUrl(const QString& path) const;
    QUrl resolveUrl(const QString& repoId, const QString& revision, const QString& path) const;
    // The page a person opens to accept a gated model's terms.
    QString webUrl(const QString& repoId) const;
    // Hub-specific reading of an error answer (X-Error-Code / X-Error-Message).
    Error classify(int status, const QNetworkReply& reply, const QString& repoId,
                   const QString& what) const;
    // A GET of a JSON answer from the Hub's API for someone waiting on it (a dialog, a
    // command): our request with Accept: application/json, errors classified for `repoId`
    // (empty: none), at most `maxBytes` collected, and an unreachable Hub said in seconds. The
    // exchange belongs to `parent`; start() it.
    HttpExchange* jsonExchange(const QUrl& url, const QString& what, const QString& repoId,
                               qint64 maxBytes, QObject* parent);
    // Offline mode's error, for jobs that must not start.
    Error offlineError(const QString& what) const;
    // An exchange's error, said as "Offline: …" when the Hub could not be reached at all.
    Error exchangeError(const HttpExchange& exchange) const;

private:
    QNetworkAccessManager* m_network;
    HubSettings m_settings;
    std::shared_ptr<BandwidthLimiter> m_bandwidth;
};

// Model info at a revision, then the recursive tree at the resolved commit (all pages).
class HubInfoJob final : public HubQuery
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubInfoJob)

public:
    HubInfoJob(HubClient* client, const QString& repoId, const QString& revision,
               QObject* parent = nullptr);
    void start();
    const HubRepo& repo() const { return m_repo; }

private:
    void fetchTree(const QUrl& url);
    HttpExchange* makeExchange(const QUrl& url, const QString& what);

    QString m_revision;
    HubRepo m_repo;
    QList<HubFile> m_tree;
};

// Downloads bytes [offset, end) of one file at a commit into a sink, in order: HEAD on the
// resolve URL (redirect not followed) gives the location and X-Repo-Commit / X-Linked-Etag /
// X-Linked-Size, which are checked against what the tree said; then a GET of the location
// with a Range. A dropped or stalled connection is retried from the first byte the sink does
// not have yet; an expired CDN URL is resolved again.
class HubDownloadJob final : public HubQuery
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubDownloadJob)

public:
    HubDownloadJob(HubClient* client, const HubRepo& repo, const HubFile& file, qint64 offset,
                   qint64 end, ByteSink* sink, QObject* parent = nullptr);
    void start();
    qint64 bytesDelivered() const;
    // Back-pressure from the sink (see HttpExchange::setPaused); may be called from write().
    void setPaused(bool paused);

Q_SIGNALS:
    void progress(); // bytes arrived (throttling is the receiver's business)

private:
    void resolve();
    void fetch();

    QString m_repoId;
    QString m_commit;
    HubFile m_file;
    qint64 m_offset;
    qint64 m_end;
    ByteSink* m_sink;
    QUrl m_location;
    qint64 m_deliveredBefore = 0; // by earlier fetches (before a re-resolve)
    int m_resolves = 0;
    bool m_paused = false;
};

} // namespace mf
