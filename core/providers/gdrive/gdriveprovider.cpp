#include "gdriveprovider.h"
#include "gdrivewire.h"

#include "chunking/cid.h"
#include "providers/network/stepsjob.h"
#include "providers/network/uploadbody.h"

#include <QBuffer>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTimer>
#include <QUrlQuery>

namespace mf {

namespace {

using gdrive::FileFields;
using gdrive::isFileId;
using gdrive::jsonBody;

const QString FolderMime = QStringLiteral("application/vnd.google-apps.folder");

Error badLocator(const QString& locator, const QString& provider)
{
    return Error::make(
        Error::Kind::NotFound,
        QObject::tr("“%1” is not a file id of provider “%2”").arg(locator, provider));
}

} // namespace

GDriveProvider::GDriveProvider(const QString& displayName, const ProviderContext& context,
                               const QString& secretsKey, const Options& options,
                               const QJsonObject& settings)
    : NetworkProvider(displayName, context, secretsKey, options.concurrency)
    , m_options(options)
    , m_settings(settings)
    , m_tokens(network(), displayName, this)
{}

GDriveProvider::~GDriveProvider() = default;

QString GDriveProvider::quoted(QString value)
{
    value.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    value.replace(QLatin1Char('\''), QStringLiteral("\\'"));
    return QLatin1Char('\'') + value + QLatin1Char('\'');
}

QString GDriveProvider::what(const QString& verb, const QString& subject) const
{
    return tr("%1 %2 on “%3”").arg(verb, subject, displayName());
}

QString GDriveProvider::sessionFile(const QString& cid) const
{
    if (m_options.sessionDirectory.isEmpty())
        return {};
    return m_options.sessionDirectory + QLatin1Char('/') + cid + QStringLiteral(".session");
}

QUrl GDriveProvider::apiUrl(const QString& path, const QList<QPair<QString, QString>>& query) const
{
    QUrl url = m_options.apiUrl.resolved(QUrl(path));
    QUrlQuery q;
    for (const auto& [k, v] : query)
        q.addQueryItem(k, QString::fromLatin1(QUrl::toPercentEncoding(v)));
    url.setQuery(q.query(QUrl::FullyEncoded), QUrl::StrictMode);
    return url;
}

Error GDriveProvider::classify(int status, const QByteArray& body, const QString& what,
                               int limitWaitSeconds, const QByteArray& retryAfter)
{
    const QJsonObject error =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("error")).toObject();
    const QJsonObject first = error.value(QStringLiteral("errors")).toArray().at(0).toObject();
    const QString reason = first.value(QStringLiteral("reason")).toString();
    const QString message = first.value(QStringLiteral("message"))
                                .toString(error.value(QStringLiteral("message")).toString());
    const qint64 resetMs = QDateTime::currentMSecsSinceEpoch() + qint64(limitWaitSeconds) * 1000;
    const QString said = message.isEmpty() ? QString() : QStringLiteral(": ") + message;
    if (status == 403 && reason == QLatin1String("userRateLimitExceeded") &&
        message == QLatin1String("User rate limit exceeded.")) {
        // Drive's daily upload cap (about 750 GB in 24 hours) answers with this exact message,
        // a rate limit with a longer one; Drive does not say when the cap ends.
        return Error::outOfBudget(
            QObject::tr("%1: Google Drive's daily upload limit is reached").arg(what), resetMs);
    }
    if (status == 403 && reason == QLatin1String("dailyLimitExceeded"))
        return Error::outOfBudget(
            QObject::tr("%1: the Drive API's daily limit is reached%2").arg(what, said), resetMs);
    if (status == 403 && reason == QLatin1String("downloadQuotaExceeded"))
        return Error::outOfBudget(
            QObject::tr("%1: Google Drive's download limit is reached%2").arg(what, said), resetMs);
    if (status == 403 && (reason == QLatin1String("storageQuotaExceeded") ||
                          reason == QLatin1String("quotaExceeded")))
        return Error::make(Error::Kind::QuotaExceeded,
                           QObject::tr("%1: the Google Drive is full%2").arg(what, said));
    if ((status == 403 || status == 429) && (reason == QLatin1String("userRateLimitExceeded") ||
                                             reason == QLatin1String("rateLimitExceeded"))) {
        Error e =
            Error::make(Error::Kind::Retryable,
                        QObject::tr("%1: Google Drive asks to slow down (%2)").arg(what, reason),
                        HttpExchange::parseRetryAfterMs(retryAfter));
        e.serverBusy = true; // a 403, which alone would not say so
        return e;
    }
    if (status == 404)
        return Error::make(Error::Kind::NotFound, QObject::tr("%1: not found%2").arg(what, said));
    if (status == 401)
        return Error::make(Error::Kind::Authentication,
                           QObject::tr("%1: Google refused the access token").arg(what));
    return Error::none();
}

HttpExchange::Request GDriveProvider::request(const QByteArray& method, const QUrl& url,
                                              const QString& what) const
{
    HttpExchange::Request r;
    r.method = method;
    r.what = what;
    r.build = [url](const HttpExchange::Attempt&) { return QNetworkRequest(url); };
    const int wait = m_options.limitWaitSeconds;
    r.classify = [what, wait](int status, const QByteArray& body, const QNetworkReply& reply) {
        return classify(status, body, what, wait, reply.rawHeader("Retry-After"));
    };
    return r;
}

void GDriveProvider::call(DriveJob* job, HttpExchange::Request request,
                          std::function<void(HttpExchange&)> then, NetworkJob::Attempts attempts,
                          bool mayRefresh)
{
    // The secrets are loaded by now (NetworkJob::run()); a new sign-in replaces the token.
    m_tokens.setClient(client(), secrets().value(QStringLiteral("refreshToken")).toString());
    m_tokens.withToken(job, [=](const Error& e, const QByteArray& token) {
        if (e) {
            job->complete(e);
            return;
        }
        HttpExchange::Request r = request;
        const auto build = request.build;
        r.build = [build, token](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setRawHeader("Authorization", "Bearer " + token);
            return q;
        };
        r.acceptedStatuses.append(401);
        std::function<void(HttpExchange&)> next = [=](HttpExchange& x) {
            if (!x.error() && x.status() == 401) {
                // Expired or revoked meanwhile: a fresh token, and the request once more.
                m_tokens.invalidate(token);
                if (mayRefresh) {
                    call(job, request, then, attempts, false);
                    return;
                }
                job->complete(classify(401, x.body(), request.what, 0, {}));
                return;
            }
            then(x);
        };
        job->send(std::move(r), std::move(next), attempts);
    });
}

void GDriveProvider::paceCreation(QObject* owner, std::function<void()> go)
{
    if (m_options.createsPerSecond <= 0) {
        go();
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 at = qMax(now, m_nextCreationMs);
    m_nextCreationMs = at + qint64(1000.0 / m_options.createsPerSecond);
    if (at <= now)
        go();
    else
        QTimer::singleShot(int(at - now), owner, std::move(go));
}

void GDriveProvider::ensureFolder(DriveJob* job, std::function<void(const Error&)> then)
{
    if (!m_folderId.isEmpty()) {
        then(Error::none());
        return;
    }
    m_folderWaiters.emplace_back(QPointer<QObject>(job), std::move(then));
    if (m_findingFolder)
        return;
    m_findingFolder = true;
    // Told to every job waiting for the folder (this one may be gone by then).
    const auto found = [this](const Error& e) {
        m_findingFolder = false;
        m_folderFinder = nullptr;
        auto waiters = std::move(m_folderWaiters);
        m_folderWaiters.clear();
        for (auto& [owner, cb] : waiters)
            if (owner)
                cb(e);
    };
    // If this job ends before the folder is known, the next waiter looks again.
    m_folderFinder = job;
    connect(job, &QObject::destroyed, this, [this, job](QObject*) {
        if (m_folderFinder != job || !m_folderId.isEmpty())
            return;
        m_findingFolder = false;
        m_folderFinder = nullptr;
        auto pending = std::move(m_folderWaiters);
        m_folderWaiters.clear();
        for (auto& [owner, cb] : pending)
            if (owner && owner != job)
                ensureFolder(static_cast<DriveJob*>(owner.data()), std::move(cb));
    });
    const QString subject = tr("folder “%1”").arg(m_options.folder);
    const QString q = QStringLiteral("name = %1 and mimeType = '%2' and 'root' in parents and "
                                     "trashed = false")
                          .arg(quoted(m_options.folder), FolderMime);
    call(
        job,
        request("GET",
                apiUrl(QStringLiteral("drive/v3/files"),
                       {{QStringLiteral("q"), q},
                        {QStringLiteral("fields"), QStringLiteral("files(id)")},
                        {QStringLiteral("orderBy"), QStringLiteral("createdTime")}}),
                what(tr("Finding"), subject)),
        [=](HttpExchange& x) {
            if (x.error()) {
                found(x.error());
                return;
            }
            const QJsonArray files =
                QJsonDocument::fromJson(x.body()).object().value(QStringLiteral("files")).toArray();
            if (!files.isEmpty()) {
                m_folderId = files.at(0)[QStringLiteral("id")].toString();
                found(Error::none());
                return;
            }
            HttpExchange::Request create =
                request("POST",
                        apiUrl(QStringLiteral("drive/v3/files"),
                               {{QStringLiteral("fields"), QStringLiteral("id")}}),
                        what(tr("Creating"), subject));
            const QByteArray meta =
                QJsonDocument(
                    QJsonObject{{QStringLiteral("name"), m_options.folder},
                                {QStringLiteral("mimeType"), FolderMime},
                                {QStringLiteral("parents"), QJsonArray{QStringLiteral("root")}}})
                    .toJson(QJsonDocument::Compact);
            const auto build = create.build;
            create.build = [build](const HttpExchange::Attempt& a) {
                QNetworkRequest r = build(a);
                r.setHeader(QNetworkRequest::ContentTypeHeader,
                            QByteArrayLiteral("application/json; charset=UTF-8"));
                return r;
            };
            create.openBody = [meta] { return jsonBody(meta); };
            create.bodySize = meta.size();
            call(job, std::move(create), [=](HttpExchange& c) {
                if (!c.error())
                    m_folderId = QJsonDocument::fromJson(c.body())
                                     .object()
                                     .value(QStringLiteral("id"))
                                     .toString();
                found(c.error() ? c.error()
                      : m_folderId.isEmpty()
                          ? Error::make(Error::Kind::Fatal,
                                        tr("%1: Drive answered without a folder id")
                                            .arg(what(tr("Creating"), subject)))
                          : Error::none());
            });
        });
}

void GDriveProvider::discardFile(const QString& id)
{
    m_tokens.setClient(client(), secrets().value(QStringLiteral("refreshToken")).toString());
    m_tokens.withToken(this, [this, id](const Error& e, const QByteArray& token) {
        if (e)
            return;
        HttpExchange::Request r = request("DELETE", apiUrl(QStringLiteral("drive/v3/files/") + id),
                                          what(tr("Deleting"), tr("file %1").arg(id)));
        const auto build = r.build;
        r.build = [build, token](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setRawHeader("Authorization", "Bearer " + token);
            return q;
        };
        r.acceptedStatuses = {404};
        r.retry.maxAttempts = 1;
        auto* x = new HttpExchange(network(), std::move(r), this);
        connect(x, &HttpExchange::finished, x, &QObject::deleteLater);
        x->start();
    });
}

// ---------------------------------------------------------------------------------------------

ProviderJob* GDriveProvider::get(const QString& locator, ByteSink* sink, qint64 offset,
                                 qint64 length)
{
    return new DriveJob(this, [this, locator, sink, offset, length](DriveJob& job) {
        DriveJob* j = &job;
        if (!isFileId(locator)) {
            j->complete(badLocator(locator, displayName()));
            return;
        }
        if (length == 0 || offset < 0) {
            j->complete(offset < 0 ? Error::make(Error::Kind::Fatal, tr("Negative offset"))
                                   : Error::none());
            return;
        }
        HttpExchange::Request r =
            request("GET",
                    apiUrl(QStringLiteral("drive/v3/files/") + locator,
                           {{QStringLiteral("alt"), QStringLiteral("media")}}),
                    what(tr("Downloading"), tr("file %1").arg(locator)));
        r.sink = sink;
        const auto build = r.build;
        // Every attempt asks only for the bytes the sink does not have yet.
        r.build = [build, offset, length](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setRawHeader("Accept-Encoding", "identity");
            const QByteArray range = HttpExchange::resumedRange(offset, length, a);
            if (!range.isEmpty())
                q.setRawHeader("Range", range);
            return q;
        };
        // A server that ignores the range fails the exchange (HttpExchange).
        call(j, std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
    });
}

ProviderJob* GDriveProvider::stat(const QString& locator)
{
    return new DriveJob(this, [this, locator](DriveJob& job) {
        DriveJob* j = &job;
        if (!isFileId(locator)) {
            j->complete(badLocator(locator, displayName()));
            return;
        }
        const QString w = what(tr("Checking"), tr("file %1").arg(locator));
        call(j,
             request("GET",
                     apiUrl(QStringLiteral("drive/v3/files/") + locator,
                            {{QStringLiteral("fields"), QStringLiteral("id,size,trashed")}}),
                     w),
             [j, w](HttpExchange& x) {
                 if (x.error()) {
                     j->complete(x.error());
                     return;
                 }
                 const QJsonObject f = QJsonDocument::fromJson(x.body()).object();
                 if (f.value(QStringLiteral("trashed")).toBool()) {
                     j->complete(Error::make(Error::Kind::NotFound, tr("%1: in the trash").arg(w)));
                     return;
                 }
                 j->setObjectSize(f.value(QStringLiteral("size")).toString().toLongLong());
                 j->complete(Error::none());
             });
    });
}

ProviderJob* GDriveProvider::remove(const QString& locator)
{
    return new DriveJob(this, [this, locator](DriveJob& job) {
        DriveJob* j = &job;
        if (!isFileId(locator)) {
            j->complete(badLocator(locator, displayName()));
            return;
        }
        HttpExchange::Request r =
            request("DELETE", apiUrl(QStringLiteral("drive/v3/files/") + locator),
                    what(tr("Deleting"), tr("file %1").arg(locator)));
        r.acceptedStatuses = {404};
        call(j, std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
    });
}

ProviderJob* GDriveProvider::list()
{
    return new DriveJob(this, [this](DriveJob& job) {
        DriveJob* j = &job;
        ensureFolder(j, [this, j](const Error& e) {
            if (e) {
                j->complete(e);
                return;
            }
            auto page = std::make_shared<std::function<void(const QString&)>>();
            j->releaseWithJob(page);
            *page = [this, j, page](const QString& token) {
                QList<QPair<QString, QString>> query{
                    {QStringLiteral("q"),
                     QStringLiteral("%1 in parents and trashed = false").arg(quoted(m_folderId))},
                    {QStringLiteral("pageSize"), QStringLiteral("1000")},
                    {QStringLiteral("fields"),
                     QStringLiteral("nextPageToken,files(id,size,appProperties)")}};
                if (!token.isEmpty())
                    query.append({QStringLiteral("pageToken"), token});
                call(j,
                     request("GET", apiUrl(QStringLiteral("drive/v3/files"), query),
                             what(tr("Listing"), tr("folder “%1”").arg(m_options.folder))),
                     [j, page](HttpExchange& x) {
                         if (x.error()) {
                             j->complete(x.error());
                             return;
                         }
                         const QJsonObject o = QJsonDocument::fromJson(x.body()).object();
                         for (const QJsonValue v : o.value(QStringLiteral("files")).toArray()) {
                             const QJsonObject tags = v[QStringLiteral("appProperties")].toObject();
                             // The catalog's files are not chunks.
                             if (isCatalogFile(tags))
                                 continue;
                             // The chunk a file holds is in its appProperties (put() tags it).
                             const QString cid = tags.value(QStringLiteral("cid")).toString();
                             j->objects().append({v[QStringLiteral("id")].toString(),
                                                  v[QStringLiteral("size")].toString().toLongLong(),
                                                  cid::isValid(cid) ? cid : QString()});
                         }
                         const QString next = o.value(QStringLiteral("nextPageToken")).toString();
                         if (next.isEmpty())
                             j->complete(Error::none());
                         else
                             (*page)(next);
                     });
            };
            (*page)(QString());
        });
    });
}

ProviderJob* GDriveProvider::usage()
{
    return new DriveJob(this, [this](DriveJob& job) {
        DriveJob* j = &job;
        call(j,
             request("GET",
                     apiUrl(QStringLiteral("drive/v3/about"),
                            {{QStringLiteral("fields"), QStringLiteral("storageQuota")}}),
                     what(tr("Reading"), tr("the storage quota"))),
             [j](HttpExchange& x) {
                 if (x.error()) {
                     j->complete(x.error());
                     return;
                 }
                 const QJsonObject q = QJsonDocument::fromJson(x.body())
                                           .object()
                                           .value(QStringLiteral("storageQuota"))
                                           .toObject();
                 ProviderUsage u;
                 u.usedBytes =
                     q.value(QStringLiteral("usage")).toString(QStringLiteral("-1")).toLongLong();
                 // No limit: an unlimited (organisation) account.
                 if (q.contains(QStringLiteral("limit"))) {
                     u.quotaBytes = q.value(QStringLiteral("limit")).toString().toLongLong();
                     if (u.usedBytes >= 0)
                         u.availableBytes = qMax<qint64>(0, u.quotaBytes - u.usedBytes);
                 }
                 j->setUsage(u);
                 j->complete(Error::none());
             });
    });
}

} // namespace mf
