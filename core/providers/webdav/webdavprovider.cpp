#include "webdavprovider.h"
#include "webdavrequests.h"

#include "chunking/cid.h"
#include "credentials/credentialstore.h"
#include "davmultistatus.h"
#include "providers/network/stepsjob.h"
#include "providers/network/uploadbody.h"
#include "providers/providerfactory.h"
#include "providers/providerfields.h"
#include "util/temporaries.h"

#include <QBuffer>
#include <QDateTime>
#include <QRegularExpression>

namespace mf {

namespace {

const QString PartialFolder = QStringLiteral(".partial");

// flatfs "next-to-last/2", as LocalProvider::objectPath: the end of a base32 digest is evenly
// spread, its start is the constant CID prefix.
QString shardOf(const QString& cid)
{
    return cid.size() >= 3 ? cid.mid(cid.size() - 3, 2) : QStringLiteral("_");
}

bool isShardName(const QString& name)
{
    static const QRegularExpression re(QStringLiteral("^[a-z2-7]{2}$"));
    return re.match(name).hasMatch();
}

QString lastSegment(const QString& path)
{
    return path.mid(path.lastIndexOf(QLatin1Char('/')) + 1);
}

} // namespace

WebDavProvider::WebDavProvider(const QString& displayName, const ProviderContext& context,
                               const QString& secretsKey, const Options& options)
    : NetworkProvider(displayName, context, secretsKey, options.concurrency)
    , m_root(QUrl(options.url))
    , m_username(options.username)
{
    for (const QString& s : options.folder.split(QLatin1Char('/'), Qt::SkipEmptyParts))
        m_folder.append(s);
}

WebDavProvider::~WebDavProvider() = default;

bool WebDavProvider::normalize(Options* o, QString* error)
{
    o->url = o->url.trimmed();
    o->username = o->username.trimmed();
    QUrl url(o->url, QUrl::StrictMode);
    if (o->url.isEmpty() || !url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
        *error = QObject::tr("“%1” is not a WebDAV address; it should look like "
                             "https://cloud.example.com/remote.php/dav/files/USER/")
                     .arg(HttpExchange::displayUrl(url));
        return false;
    }
    if (!url.password().isEmpty() || !url.userName().isEmpty()) {
        // Never keep a password in settings: it belongs in the credential store.
        *error = QObject::tr("The WebDAV address must not contain a user name or password; "
                             "enter them in the user name and password fields instead");
        return false;
    }
    url.setQuery(QString());
    url.setFragment(QString());
    QString path = url.path();
    if (!path.endsWith(QLatin1Char('/')))
        path += QLatin1Char('/');
    url.setPath(path);
    // Nextcloud/ownCloud: https://host/remote.php/dav/files/USER/ names its user.
    static const QRegularExpression nextcloud(QStringLiteral("/remote\\.php/dav/files/([^/]+)/"));
    const QRegularExpressionMatch m = nextcloud.match(url.path(QUrl::FullyDecoded));
    if (o->username.isEmpty() && m.hasMatch())
        o->username = m.captured(1);
    o->url = url.toString(QUrl::FullyEncoded);
    o->folder = o->folder.trimmed();
    for (const QString& s : o->folder.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (s == QLatin1String(".") || s == QLatin1String("..")) {
            *error = QObject::tr("The folder “%1” must not contain “.” or “..”").arg(o->folder);
            return false;
        }
    }
    o->concurrency = qBound(1, o->concurrency, 32);
    return true;
}

std::unique_ptr<WebDavProvider> WebDavProvider::create(const QString& displayName,
                                                       const ProviderContext& context,
                                                       const QString& secretsKey, Options options,
                                                       QString* error)
{
    if (!normalize(&options, error))
        return nullptr;
    // Without a user name there is nothing to authenticate with, so no secret to load.
    const QString key = options.username.isEmpty() ? QString() : secretsKey;
    return std::unique_ptr<WebDavProvider>(new WebDavProvider(displayName, context, key, options));
}

QUrl WebDavProvider::collectionUrl(const QStringList& segments) const
{
    QUrl url = fileUrl(segments);
    if (!segments.isEmpty())
        url.setPath(url.path(QUrl::FullyDecoded) + QLatin1Char('/'), QUrl::DecodedMode);
    return url;
}

QUrl WebDavProvider::fileUrl(const QStringList& segments) const
{
    QUrl url = m_root;
    if (!segments.isEmpty())
        url.setPath(url.path(QUrl::FullyDecoded) + segments.join(QLatin1Char('/')),
                    QUrl::DecodedMode);
    return url;
}

QStringList WebDavProvider::objectSegments(const QString& cid) const
{
    return m_folder + QStringList{shardOf(cid), cid};
}

QUrl WebDavProvider::objectUrl(const QString& cid) const
{
    return fileUrl(objectSegments(cid));
}

HttpExchange::Request WebDavProvider::request(const QByteArray& method, const QUrl& url,
                                              const QString& what) const
{
    HttpExchange::Request r;
    r.method = method;
    r.what = what;
    r.build = [this, url](const HttpExchange::Attempt&) {
        QNetworkRequest q(url);
        if (!m_username.isEmpty()) {
            const QString password = secrets().value(QStringLiteral("password")).toString();
            q.setRawHeader("Authorization",
                           "Basic " +
                               (m_username + QLatin1Char(':') + password).toUtf8().toBase64());
        }
        return q;
    };
    r.classify = [what](int status, const QByteArray&, const QNetworkReply&) {
        // 423: locked by another request for a moment (rclone, while it creates a folder
        // another of our requests asked for too; ownCloud during uploads): try again.
        return status == 423 ? Error::make(Error::Kind::Retryable,
                                           tr("%1: the server reports the location as locked "
                                              "(HTTP 423)")
                                               .arg(what))
                             : Error::none();
    };
    return r;
}

void WebDavProvider::ensureCollection(WebDavJob* job, const QStringList& segments,
                                      std::function<void(const Error&)> then, int depth)
{
    const QString key = segments.join(QLatin1Char('/'));
    if (segments.isEmpty() || m_knownCollections.contains(key)) {
        then(Error::none());
        return;
    }
    HttpExchange::Request r =
        request("MKCOL", collectionUrl(segments), what(tr("Creating folder"), key));
    // 405: something exists there already (RFC 4918 9.3.1); 409: a parent is missing.
    r.acceptedStatuses = {405, 409};
    job->send(std::move(r), [this, job, segments, key, then, depth](HttpExchange& x) {
        if (x.error()) {
            then(x.error());
            return;
        }
        if (x.status() == 409 && depth < 32) {
            ensureCollection(
                job, segments.mid(0, segments.size() - 1),
                [this, job, segments, then, depth](const Error& e) {
                    if (e)
                        then(e);
                    else
                        ensureCollection(job, segments, then, depth + 1);
                },
                depth + 1);
            return;
        }
        if (x.status() == 409) {
            then(
                Error::make(Error::Kind::Fatal, tr("%1: the server refused to create it (HTTP 409)")
                                                    .arg(what(tr("Creating folder"), key))));
            return;
        }
        m_knownCollections.insert(key);
        then(Error::none());
    });
}

void WebDavProvider::discard(const QUrl& url)
{
    HttpExchange::Request r = request("DELETE", url, what(tr("Deleting"), tr("a partial upload")));
    r.acceptedStatuses = {404};
    r.retry.maxAttempts = 1;
    auto* x = new HttpExchange(network(), std::move(r), this);
    connect(x, &HttpExchange::finished, x, &QObject::deleteLater);
    x->start();
}

ProviderJob* WebDavProvider::get(const QString& locator, ByteSink* sink, qint64 offset,
                                 qint64 length)
{
    return new WebDavJob(this, [this, locator, sink, offset, length](WebDavJob& job) {
        if (!cid::isValid(locator)) {
            job.complete(notAnObjectName(locator));
            return;
        }
        if (length == 0 || offset < 0) {
            job.complete(offset < 0 ? Error::make(Error::Kind::Fatal, tr("Negative offset"))
                                    : Error::none());
            return;
        }
        HttpExchange::Request r = request("GET", objectUrl(locator),
                                          what(tr("Downloading"), tr("chunk %1").arg(locator)));
        r.sink = sink;
        auto build = r.build;
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
        WebDavJob* j = &job;
        j->send(std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
    });
}

ProviderJob* WebDavProvider::stat(const QString& locator)
{
    return new WebDavJob(this, [this, locator](WebDavJob& job) {
        if (!cid::isValid(locator)) {
            job.complete(notAnObjectName(locator));
            return;
        }
        WebDavJob* j = &job;
        j->send(
            request("HEAD", objectUrl(locator), what(tr("Checking"), tr("chunk %1").arg(locator))),
            [j](HttpExchange& x) {
                if (!x.error()) {
                    bool ok = false;
                    const qint64 size = x.header("Content-Length").toLongLong(&ok);
                    j->setObjectSize(ok ? size : -1);
                }
                j->complete(x.error());
            });
    });
}

ProviderJob* WebDavProvider::remove(const QString& locator)
{
    return new WebDavJob(this, [this, locator](WebDavJob& job) {
        if (!cid::isValid(locator)) {
            job.complete(notAnObjectName(locator));
            return;
        }
        HttpExchange::Request r = request("DELETE", objectUrl(locator),
                                          what(tr("Deleting"), tr("chunk %1").arg(locator)));
        r.acceptedStatuses = {404}; // already gone is what we want
        WebDavJob* j = &job;
        j->send(std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
    });
}

HttpExchange::Request withPropfind(HttpExchange::Request r, int depth, const QByteArray& body)
{
    auto build = r.build;
    r.build = [build, depth](const HttpExchange::Attempt& a) {
        QNetworkRequest q = build(a);
        q.setRawHeader("Depth", QByteArray::number(depth)); // never the default "infinity"
        q.setHeader(QNetworkRequest::ContentTypeHeader,
                    QByteArrayLiteral("application/xml; charset=\"utf-8\""));
        return q;
    };
    r.openBody = [body] {
        auto buffer = std::make_unique<QBuffer>();
        buffer->setData(body);
        buffer->open(QIODevice::ReadOnly);
        return std::unique_ptr<QIODevice>(std::move(buffer));
    };
    r.bodySize = body.size();
    return r;
}

ProviderJob* WebDavProvider::list()
{
    return new WebDavJob(this, [this](WebDavJob& job) {
        WebDavJob* j = &job;
        const QByteArray body =
            dav::propfindBody({QStringLiteral("resourcetype"), QStringLiteral("getcontentlength")});
        const QString whatList = what(tr("Listing"), tr("the chunk folders"));
        auto shards = std::make_shared<QStringList>();
        auto next = std::make_shared<std::function<void()>>();
        // Each shard folder in turn: its files named like chunk CIDs.
        *next = [this, j, body, shards, next, whatList] {
            if (shards->isEmpty()) {
                j->complete(Error::none());
                return;
            }
            const QString shard = shards->takeFirst();
            const QStringList segments = m_folder + QStringList{shard};
            HttpExchange::Request r =
                withPropfind(request("PROPFIND", collectionUrl(segments), whatList), 1, body);
            r.acceptedStatuses = {404}; // removed meanwhile
            const QString shardPath = dav::normalizeHref(collectionUrl(segments).toString());
            j->send(std::move(r), [j, next, shard, shardPath, whatList](HttpExchange& x) {
                if (x.error()) {
                    j->complete(x.error());
                    return;
                }
                QList<dav::Resource> resources;
                QString error;
                if (x.status() != 404 && !dav::parseMultistatus(x.body(), &resources, &error)) {
                    j->complete(Error::make(Error::Kind::Fatal,
                                            QStringLiteral("%1: %2").arg(whatList, error)));
                    return;
                }
                for (const dav::Resource& res : resources) {
                    const QString name = lastSegment(res.path);
                    if (res.collection || res.path == shardPath || !cid::isValid(name) ||
                        shardOf(name) != shard)
                        continue;
                    j->objects().append({name, res.contentLength, name});
                }
                (*next)();
            });
        };
        j->releaseWithJob(next);
        HttpExchange::Request r =
            withPropfind(request("PROPFIND", collectionUrl(m_folder), whatList), 1, body);
        r.acceptedStatuses = {404}; // no folder yet: nothing stored
        const QString basePath = dav::normalizeHref(collectionUrl(m_folder).toString());
        j->send(std::move(r), [j, shards, next, basePath, whatList](HttpExchange& x) {
            if (x.error()) {
                j->complete(x.error());
                return;
            }
            if (x.status() == 404) {
                j->complete(Error::none());
                return;
            }
            QList<dav::Resource> resources;
            QString error;
            if (!dav::parseMultistatus(x.body(), &resources, &error)) {
                j->complete(
                    Error::make(Error::Kind::Fatal, QStringLiteral("%1: %2").arg(whatList, error)));
                return;
            }
            for (const dav::Resource& res : resources) {
                const QString name = lastSegment(res.path);
                if (res.collection && res.path != basePath && isShardName(name))
                    shards->append(name);
            }
            shards->sort();
            (*next)();
        });
    });
}

ProviderJob* WebDavProvider::usage()
{
    return new WebDavJob(this, [this](WebDavJob& job) {
        WebDavJob* j = &job;
        const QString whatUsage = what(tr("Reading the quota of"), tr("the account"));
        const QByteArray body = dav::propfindBody(
            {QStringLiteral("quota-available-bytes"), QStringLiteral("quota-used-bytes")});
        j->send(withPropfind(request("PROPFIND", m_root, whatUsage), 0, body),
                [j, whatUsage](HttpExchange& x) {
                    if (x.error()) {
                        j->complete(x.error());
                        return;
                    }
                    QList<dav::Resource> resources;
                    QString error;
                    if (!dav::parseMultistatus(x.body(), &resources, &error)) {
                        j->complete(Error::make(Error::Kind::Fatal,
                                                QStringLiteral("%1: %2").arg(whatUsage, error)));
                        return;
                    }
                    ProviderUsage u;
                    if (!resources.isEmpty()) {
                        const dav::Resource& r = resources.first();
                        // Negative values (Nextcloud: -1 uncomputed, -2 unknown, -3 unlimited)
                        // all mean "cannot tell".
                        u.usedBytes = r.quotaUsedBytes >= 0 ? r.quotaUsedBytes : -1;
                        u.availableBytes = r.quotaAvailableBytes >= 0 ? r.quotaAvailableBytes : -1;
                        if (u.usedBytes >= 0 && u.availableBytes >= 0)
                            u.quotaBytes = u.usedBytes + u.availableBytes;
                    }
                    j->setUsage(u);
                    j->complete(Error::none());
                });
    });
}

ProviderJob* WebDavProvider::sweepTemporaries()
{
    return new WebDavJob(this, [this](WebDavJob& job) {
        WebDavJob* j = &job;
        const QStringList partialDir = m_folder + QStringList{PartialFolder};
        const QString whatList = what(tr("Listing"), tr("interrupted uploads"));
        const QByteArray body =
            dav::propfindBody({QStringLiteral("resourcetype"), QStringLiteral("getcontentlength"),
                               QStringLiteral("getlastmodified")});
        HttpExchange::Request r =
            withPropfind(request("PROPFIND", collectionUrl(partialDir), whatList), 1, body);
        r.acceptedStatuses = {404}; // nothing was ever uploaded
        const QString partialPath = dav::normalizeHref(collectionUrl(partialDir).toString());
        j->send(std::move(r), [this, j, partialDir, partialPath, whatList](HttpExchange& x) {
            if (x.error() || x.status() == 404) {
                j->complete(x.error());
                return;
            }
            QList<dav::Resource> resources;
            QString error;
            if (!dav::parseMultistatus(x.body(), &resources, &error)) {
                j->complete(
                    Error::make(Error::Kind::Fatal, QStringLiteral("%1: %2").arg(whatList, error)));
                return;
            }
            // Our uploads' names, and "<cid>.<16 hex>" from versions that did not name owners.
            static const QRegularExpression legacy(
                QStringLiteral("^bafkrei[a-z2-7]+\\.[0-9a-f]{16}$"));
            const qint64 now = QDateTime::currentSecsSinceEpoch();
            auto doomed = std::make_shared<QList<StoredObject>>();
            for (const dav::Resource& res : std::as_const(resources)) {
                const QString name = lastSegment(res.path);
                // Chunks' uploads, and catalog objects' (webdavcatalog.cpp).
                if (res.collection || res.path == partialPath ||
                    !(name.startsWith(QLatin1String("bafkrei")) ||
                      name.startsWith(QLatin1String("catalog."))))
                    continue;
                // The server's clock says when it was last written: good enough for an age of a
                // day, never for telling a reused pid (temporaries::ownerOf) apart.
                const qint64 age = res.lastModifiedSecs >= 0 ? now - res.lastModifiedSecs : 0;
                if (temporaries::isAbandoned(temporaries::ownerOf(name, -1, legacy), age))
                    doomed->append({name, res.contentLength, QString()});
            }
            // One DELETE after another; each removed upload is reported.
            auto next = std::make_shared<std::function<void()>>();
            *next = [this, j, doomed, next, partialDir] {
                if (doomed->isEmpty()) {
                    j->complete(Error::none());
                    return;
                }
                const StoredObject o = doomed->takeFirst();
                HttpExchange::Request del =
                    request("DELETE", fileUrl(partialDir + QStringList{o.locator}),
                            what(tr("Deleting"), tr("an interrupted upload")));
                del.acceptedStatuses = {404}; // another sweep was first
                j->send(std::move(del), [j, o, next](HttpExchange& d) {
                    if (d.error()) {
                        j->complete(d.error());
                        return;
                    }
                    if (d.status() != 404)
                        j->objects().append(o);
                    (*next)();
                });
            };
            j->releaseWithJob(next);
            (*next)();
        });
    });
}

namespace {

ProviderKind webDavKind()
{
    using T = ProviderField::Type;
    ProviderKind k;
    k.id = QStringLiteral("webdav");
    k.displayName = QStringLiteral("WebDAV (Nextcloud, ownCloud, …)");
    k.description = QStringLiteral("A folder on a WebDAV server such as Nextcloud, ownCloud, "
                                   "Apache or rclone.");
    k.fields = {
        {QStringLiteral("url"),
         QStringLiteral("WebDAV address"),
         T::Url,
         true,
         QStringLiteral("https://cloud.example.com/remote.php/dav/files/alice/"),
         QStringLiteral("As shown in Nextcloud under Files › Settings › WebDAV."),
         {},
         {}},
        {QStringLiteral("username"),
         QStringLiteral("User name"),
         T::Text,
         false,
         QStringLiteral("alice"),
         QStringLiteral("Leave empty to use the one in a Nextcloud address."),
         {},
         {}},
        {QStringLiteral("password"),
         QStringLiteral("Password"),
         T::Secret,
         false,
         {},
         QStringLiteral("With two-factor login, use an app password."),
         {},
         {}},
        {QStringLiteral("folder"),
         QStringLiteral("Folder"),
         T::Text,
         false,
         QStringLiteral("modelfloat"),
         QStringLiteral("Where chunk objects are kept below the address; created when needed."),
         QStringLiteral("modelfloat"),
         {}},
        providerfields::concurrencyField(),
    };
    return k;
}

} // namespace

void registerWebDavKind(ProviderFactory& factory)
{
    factory.registerKind(
        webDavKind(), [](const ProviderRecord& r, const ProviderContext& context, QString* error) {
            WebDavProvider::Options o;
            o.url = r.settings.value(QStringLiteral("url")).toString();
            o.username = r.settings.value(QStringLiteral("username")).toString();
            o.folder =
                r.settings.value(QStringLiteral("folder")).toString(QStringLiteral("modelfloat"));
            o.concurrency = providerfields::settingInt(r.settings, QStringLiteral("concurrency"),
                                                       providerfields::DefaultConcurrency);
            std::unique_ptr<Provider> p = WebDavProvider::create(
                r.name, context, CredentialStore::providerKey(context.vaultId, r.id), o, error);
            if (!p && error)
                *error = QObject::tr("Provider “%1”: %2").arg(r.name, *error);
            return p;
        });
}

} // namespace mf
