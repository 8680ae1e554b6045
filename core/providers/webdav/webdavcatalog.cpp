// WebDavProvider's catalog objects (docs/catalog.md): files in <folder>/catalog/. A write goes to
// <folder>/.partial/ first and is MOVEd into place (Overwrite: T), so a reader never finds a
// half-uploaded object under its name.
#include "davmultistatus.h"
#include "webdavprovider.h"
#include "webdavrequests.h"

#include "util/temporaries.h"

#include <QBuffer>

namespace mf {

namespace {

const QString CatalogFolder = QStringLiteral("catalog");

Error badName(const QString& name, const QString& provider)
{
    return Error::make(
        Error::Kind::Fatal,
        QObject::tr("“%1” is not a catalog object name of “%2”").arg(name, provider));
}

std::unique_ptr<QIODevice> bufferOver(const QByteArray& bytes)
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(bytes);
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

} // namespace

QString WebDavProvider::locatorFor(const QString& cid, qint64 size) const
{
    Q_UNUSED(size);
    return cid;
}

QStringList WebDavProvider::catalogSegments(const QString& name) const
{
    return m_folder + QStringList{CatalogFolder} + name.split(QLatin1Char('/'));
}

ProviderJob* WebDavProvider::writeCatalogObject(const QString& name, const QByteArray& bytes)
{
    return new WebDavJob(this, [this, name, bytes](WebDavJob& job) {
        WebDavJob* j = &job;
        if (!isValidCatalogName(name)) {
            j->complete(badName(name, displayName()));
            return;
        }
        const QString subject = tr("catalog object %1").arg(name);
        const QStringList segments = catalogSegments(name);
        const QStringList parent = segments.mid(0, segments.size() - 1);
        auto putTo = [this, j, bytes, subject](const QUrl& url, std::function<void()> then) {
            HttpExchange::Request r = request("PUT", url, what(tr("Uploading"), subject));
            r.openBody = [bytes] { return bufferOver(bytes); };
            r.bodySize = bytes.size();
            j->send(std::move(r), [j, then](HttpExchange& x) {
                if (x.error())
                    j->complete(x.error());
                else
                    then();
            });
        };
        if (m_moveUnsupported) {
            // A server without MOVE: the object is PUT under its name (a reader checks it).
            ensureCollection(j, parent, [=](const Error& e) {
                if (e)
                    j->complete(e);
                else
                    putTo(fileUrl(segments), [j] { j->complete(Error::none()); });
            });
            return;
        }
        const QStringList partialDir = m_folder + QStringList{QStringLiteral(".partial")};
        const QUrl tempUrl =
            fileUrl(partialDir + QStringList{temporaries::uniqueName(QStringLiteral("catalog"))});
        ensureCollection(j, partialDir, [=](const Error& e) {
            if (e) {
                j->complete(e);
                return;
            }
            putTo(tempUrl, [=] {
                ensureCollection(j, parent, [=](const Error& made) {
                    if (made) {
                        discard(tempUrl);
                        j->complete(made);
                    } else {
                        moveCatalogObject(j, tempUrl, name, bytes, true);
                    }
                });
            });
        });
    });
}

void WebDavProvider::moveCatalogObject(WebDavJob* j, const QUrl& tempUrl, const QString& name,
                                       const QByteArray& bytes, bool mayCreateFolder)
{
    const QString subject = tr("catalog object %1").arg(name);
    const QStringList segments = catalogSegments(name);
    const QUrl finalUrl = fileUrl(segments);
    HttpExchange::Request r = request("MOVE", tempUrl, what(tr("Publishing"), subject));
    const QByteArray destination = finalUrl.toEncoded();
    auto build = r.build;
    r.build = [build, destination](const HttpExchange::Attempt& a) {
        QNetworkRequest q = build(a);
        q.setRawHeader("Destination", destination);
        q.setRawHeader("Overwrite", "T");
        return q;
    };
    // A missing folder: RFC servers say 409, rclone 403 (404 elsewhere).
    r.acceptedStatuses = {403, 404, 409, 405, 501};
    j->send(std::move(r), [=](HttpExchange& x) {
        if (x.error()) {
            discard(tempUrl);
            j->complete(x.error());
            return;
        }
        const int status = x.status();
        if (status == 405 || status == 501) {
            // A server without MOVE: the object is PUT under its name (a reader checks it).
            m_moveUnsupported = true;
            discard(tempUrl);
            HttpExchange::Request put = request("PUT", finalUrl, what(tr("Uploading"), subject));
            put.openBody = [bytes] { return bufferOver(bytes); };
            put.bodySize = bytes.size();
            j->send(std::move(put), [j](HttpExchange& p) { j->complete(p.error()); });
            return;
        }
        if (status == 403 || status == 404 || status == 409) {
            const QStringList parent = segments.mid(0, segments.size() - 1);
            if (!mayCreateFolder) {
                discard(tempUrl);
                j->complete(Error::make(Error::Kind::Fatal,
                                        tr("%1: the server could not move the upload into place "
                                           "(HTTP %2)")
                                            .arg(what(tr("Publishing"), subject))
                                            .arg(status)));
                return;
            }
            for (int n = m_folder.size() + 1; n <= parent.size(); ++n)
                m_knownCollections.remove(parent.mid(0, n).join(QLatin1Char('/')));
            ensureCollection(j, parent, [=](const Error& e) {
                if (e) {
                    discard(tempUrl);
                    j->complete(e);
                } else {
                    moveCatalogObject(j, tempUrl, name, bytes, false);
                }
            });
            return;
        }
        j->complete(Error::none());
    });
}

ProviderJob* WebDavProvider::readCatalogObject(const QString& name)
{
    return new WebDavJob(this, [this, name](WebDavJob& job) {
        WebDavJob* j = &job;
        if (!isValidCatalogName(name)) {
            j->complete(badName(name, displayName()));
            return;
        }
        HttpExchange::Request r = request("GET", fileUrl(catalogSegments(name)),
                                          what(tr("Reading"), tr("catalog object %1").arg(name)));
        auto build = r.build;
        r.build = [build](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setRawHeader("Accept-Encoding", "identity");
            return q;
        };
        r.maxCollectBytes = catalogObjectLimit(name);
        j->send(std::move(r), [j](HttpExchange& x) {
            if (!x.error())
                j->setData(x.body());
            j->complete(x.error());
        });
    });
}

ProviderJob* WebDavProvider::listCatalogObjects(const QString& folder)
{
    return new WebDavJob(this, [this, folder](WebDavJob& job) {
        WebDavJob* j = &job;
        if (!isValidCatalogName(folder)) {
            j->complete(badName(folder, displayName()));
            return;
        }
        const QUrl url = collectionUrl(catalogSegments(folder));
        const QString whatList = what(tr("Listing"), tr("catalog folder %1").arg(folder));
        HttpExchange::Request r = withPropfind(
            request("PROPFIND", url, whatList), 1,
            dav::propfindBody({QStringLiteral("resourcetype"), QStringLiteral("getcontentlength"),
                               QStringLiteral("getlastmodified")}));
        r.acceptedStatuses = {404}; // no folder yet: no objects
        r.maxCollectBytes = MaxCatalogObjectBytes;
        const QString base = dav::normalizeHref(url.toString());
        j->send(std::move(r), [j, folder, base, whatList](HttpExchange& x) {
            if (x.error()) {
                j->complete(x.error());
                return;
            }
            j->setServerTime(HttpExchange::parseHttpDate(x.header("Date")));
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
                const int slash = res.path.lastIndexOf(QLatin1Char('/'));
                const QString leaf = res.path.mid(slash + 1);
                if (res.collection || res.path.left(slash) != base || !isValidCatalogName(leaf))
                    continue;
                j->catalogObjects().append(
                    {folder + QLatin1Char('/') + leaf, res.contentLength,
                     res.lastModifiedSecs >= 0
                         ? QDateTime::fromSecsSinceEpoch(res.lastModifiedSecs, Qt::UTC)
                         : QDateTime()});
            }
            j->complete(Error::none());
        });
    });
}

ProviderJob* WebDavProvider::removeCatalogObject(const QString& name)
{
    return new WebDavJob(this, [this, name](WebDavJob& job) {
        WebDavJob* j = &job;
        if (!isValidCatalogName(name)) {
            j->complete(badName(name, displayName()));
            return;
        }
        HttpExchange::Request r = request("DELETE", fileUrl(catalogSegments(name)),
                                          what(tr("Deleting"), tr("catalog object %1").arg(name)));
        r.acceptedStatuses = {404};
        j->send(std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
    });
}

} // namespace mf
