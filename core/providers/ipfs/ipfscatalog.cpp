// IpfsProvider's catalog objects (docs/catalog.md): files in the node's MFS under
// /modelfloat/catalog/. MFS is found by path (a new computer needs no CID to start from), and the
// node's garbage collector keeps whatever the MFS root reaches, so the objects need no pins. A
// write goes to /modelfloat/catalog/.tmp/ first, under a name that says which process wrote it
// (util/temporaries.h), and is moved into place; sweepTemporaries() removes the ones whose
// process was killed before it could.
#include "ipfsprovider.h"
#include "providers/network/stepsjob.h"
#include "util/temporaries.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace mf {

namespace {

const QString CatalogRoot = QStringLiteral("/modelfloat/catalog");
const QString TemporaryFolder = CatalogRoot + QStringLiteral("/.tmp");

Error badName(const QString& name, const QString& provider)
{
    return Error::make(
        Error::Kind::Fatal,
        QObject::tr("“%1” is not a catalog object name of “%2”").arg(name, provider));
}

// MFS commands answer a missing path with "file does not exist" (Kubo and js-ipfs).
HttpExchange::Request missingIsNotFound(HttpExchange::Request r)
{
    auto classify = r.classify;
    const QString what = r.what;
    r.classify = [classify, what](int status, const QByteArray& body, const QNetworkReply& reply) {
        const QString message =
            QJsonDocument::fromJson(body).object().value(QStringLiteral("Message")).toString();
        if (status == 500 && message.contains(QLatin1String("does not exist")))
            return Error::make(Error::Kind::NotFound,
                               QObject::tr("%1: the IPFS node said “%2”").arg(what, message));
        return classify(status, body, reply);
    };
    return r;
}

// The plain files of a files/ls answer (long=true), with their sizes (numbers, or strings from
// some nodes).
QList<StoredObject> filesListed(const QByteArray& answer)
{
    QList<StoredObject> out;
    const QJsonArray entries =
        QJsonDocument::fromJson(answer).object().value(QStringLiteral("Entries")).toArray();
    for (const QJsonValue& v : entries) {
        const QJsonObject e = v.toObject();
        if (e.value(QStringLiteral("Type")).toInt() != 0)
            continue;
        const QJsonValue size = e.value(QStringLiteral("Size"));
        out.append({e.value(QStringLiteral("Name")).toString(),
                    size.isString() ? size.toString().toLongLong() : qint64(size.toDouble(-1)),
                    QString()});
    }
    return out;
}

QString parentOf(const QString& path)
{
    return path.left(path.lastIndexOf(QLatin1Char('/')));
}

} // namespace

QString IpfsProvider::catalogPath(const QString& name)
{
    return CatalogRoot + QLatin1Char('/') + name;
}

QString IpfsProvider::locatorFor(const QString& cid, qint64 size) const
{
    // Up to one leaf a chunk is one raw block (block/put, or `add` of a single leaf): its CID.
    // Above, its locator is the root of a DAG only the node can tell.
    return size >= 0 && size <= m_options.leafBytes ? cid : QString();
}

ProviderJob* IpfsProvider::writeCatalogObject(const QString& name, const QByteArray& bytes)
{
    return new IpfsJob(this, [this, name, bytes](IpfsJob& job) {
        IpfsJob* j = &job;
        if (!isValidCatalogName(name)) {
            j->complete(badName(name, displayName()));
            return;
        }
        const QString subject = tr("catalog object %1").arg(name);
        const QString finalPath = catalogPath(name);
        const QString tempPath =
            TemporaryFolder + QLatin1Char('/') + temporaries::uniqueName(QStringLiteral("catalog"));
        HttpExchange::Request w = rpc(QStringLiteral("files/write"),
                                      {{QStringLiteral("arg"), tempPath},
                                       {QStringLiteral("create"), QStringLiteral("true")},
                                       {QStringLiteral("parents"), QStringLiteral("true")},
                                       {QStringLiteral("truncate"), QStringLiteral("true")}},
                                      what(tr("Writing"), subject));
        setFormBody(&w, "catalog", bytes);
        // A write that fails once the temporary may exist removes it before saying so; one killed
        // before it could is left to sweepTemporaries().
        auto fail = [this, j, tempPath](const Error& error) {
            j->send(missingIsNotFound(rpc(QStringLiteral("files/rm"),
                                          {{QStringLiteral("arg"), tempPath}},
                                          what(tr("Discarding"), tempPath))),
                    [j, error](HttpExchange&) { j->complete(error); });
        };
        j->send(std::move(w), [this, j, subject, tempPath, finalPath, fail](HttpExchange& x) {
            if (x.error()) {
                fail(x.error());
                return;
            }
            // MFS's mv refuses an existing destination: the folder is made, an older object of
            // the name removed, then the new one moved in.
            HttpExchange::Request mkdir = rpc(QStringLiteral("files/mkdir"),
                                              {{QStringLiteral("arg"), parentOf(finalPath)},
                                               {QStringLiteral("parents"), QStringLiteral("true")}},
                                              what(tr("Writing"), subject));
            j->send(std::move(mkdir), [this, j, subject, tempPath, finalPath,
                                       fail](HttpExchange& m) {
                if (m.error()) {
                    fail(m.error());
                    return;
                }
                HttpExchange::Request rm = missingIsNotFound(
                    rpc(QStringLiteral("files/rm"), {{QStringLiteral("arg"), finalPath}},
                        what(tr("Replacing"), subject)));
                j->send(std::move(rm), [this, j, subject, tempPath, finalPath,
                                        fail](HttpExchange& r) {
                    if (r.error() && r.error().kind != Error::Kind::NotFound) {
                        fail(r.error());
                        return;
                    }
                    HttpExchange::Request mv =
                        rpc(QStringLiteral("files/mv"),
                            {{QStringLiteral("arg"), tempPath}, {QStringLiteral("arg"), finalPath}},
                            what(tr("Publishing"), subject));
                    j->send(std::move(mv), [j, fail](HttpExchange& v) {
                        if (v.error())
                            fail(v.error());
                        else
                            j->complete(Error::none());
                    });
                });
            });
        });
    });
}

ProviderJob* IpfsProvider::readCatalogObject(const QString& name)
{
    return new IpfsJob(this, [this, name](IpfsJob& job) {
        IpfsJob* j = &job;
        if (!isValidCatalogName(name)) {
            j->complete(badName(name, displayName()));
            return;
        }
        HttpExchange::Request r = missingIsNotFound(
            rpc(QStringLiteral("files/read"), {{QStringLiteral("arg"), catalogPath(name)}},
                what(tr("Reading"), tr("catalog object %1").arg(name))));
        r.maxCollectBytes = catalogObjectLimit(name);
        j->send(std::move(r), [j](HttpExchange& x) {
            if (!x.error())
                j->setData(x.body());
            j->complete(x.error());
        });
    });
}

ProviderJob* IpfsProvider::listCatalogObjects(const QString& folder)
{
    return new IpfsJob(this, [this, folder](IpfsJob& job) {
        IpfsJob* j = &job;
        if (!isValidCatalogName(folder)) {
            j->complete(badName(folder, displayName()));
            return;
        }
        HttpExchange::Request r =
            missingIsNotFound(rpc(QStringLiteral("files/ls"),
                                  {{QStringLiteral("arg"), catalogPath(folder)},
                                   {QStringLiteral("long"), QStringLiteral("true")}},
                                  what(tr("Listing"), tr("catalog folder %1").arg(folder))));
        r.maxCollectBytes = MaxCatalogObjectBytes;
        j->send(std::move(r), [j, folder](HttpExchange& x) {
            if (x.error()) {
                // No folder yet: no objects.
                j->complete(x.error().kind == Error::Kind::NotFound ? Error::none() : x.error());
                return;
            }
            // MFS keeps no modification times (Kubo only on request), so no clock is reported.
            for (const StoredObject& o : filesListed(x.body()))
                if (isValidCatalogName(o.locator))
                    j->catalogObjects().append(
                        {folder + QLatin1Char('/') + o.locator, o.size, QDateTime()});
            j->complete(Error::none());
        });
    });
}

ProviderJob* IpfsProvider::removeCatalogObject(const QString& name)
{
    return new IpfsJob(this, [this, name](IpfsJob& job) {
        IpfsJob* j = &job;
        if (!isValidCatalogName(name)) {
            j->complete(badName(name, displayName()));
            return;
        }
        j->send(missingIsNotFound(rpc(QStringLiteral("files/rm"),
                                      {{QStringLiteral("arg"), catalogPath(name)}},
                                      what(tr("Deleting"), tr("catalog object %1").arg(name)))),
                [j](HttpExchange& x) {
                    j->complete(x.error().kind == Error::Kind::NotFound ? Error::none()
                                                                        : x.error());
                });
    });
}

ProviderJob* IpfsProvider::sweepTemporaries()
{
    return new IpfsJob(this, [this](IpfsJob& job) {
        IpfsJob* j = &job;
        HttpExchange::Request r =
            missingIsNotFound(rpc(QStringLiteral("files/ls"),
                                  {{QStringLiteral("arg"), TemporaryFolder},
                                   {QStringLiteral("long"), QStringLiteral("true")}},
                                  what(tr("Listing"), tr("interrupted catalog writes"))));
        r.maxCollectBytes = MaxCatalogObjectBytes;
        j->send(std::move(r), [this, j](HttpExchange& x) {
            if (x.error()) {
                // No folder yet: no catalog write was ever made here.
                j->complete(x.error().kind == Error::Kind::NotFound ? Error::none() : x.error());
                return;
            }
            // MFS keeps no modification times, so only a temporary of this host whose process is
            // gone is taken; another host's (Owner::Unknown, age unknown) is left to its sweep,
            // and so are the unnamed ones of versions before owners were named.
            auto doomed = std::make_shared<QList<StoredObject>>();
            for (const StoredObject& o : filesListed(x.body()))
                if (temporaries::ownerOf(o.locator) == temporaries::Owner::Dead)
                    doomed->append(o);
            // One files/rm after another; each removed temporary is reported.
            auto next = std::make_shared<std::function<void()>>();
            *next = [this, j, doomed, next] {
                if (doomed->isEmpty()) {
                    j->complete(Error::none());
                    return;
                }
                const StoredObject o = doomed->takeFirst();
                j->send(
                    missingIsNotFound(rpc(
                        QStringLiteral("files/rm"),
                        {{QStringLiteral("arg"), TemporaryFolder + QLatin1Char('/') + o.locator}},
                        what(tr("Deleting"), tr("an interrupted catalog write")))),
                    [j, o, next](HttpExchange& d) {
                        if (d.error() && d.error().kind != Error::Kind::NotFound) {
                            j->complete(d.error());
                            return;
                        }
                        if (!d.error()) // NotFound: another sweep was first
                            j->objects().append(o);
                        (*next)();
                    });
            };
            j->releaseWithJob(next);
            (*next)();
        });
    });
}

} // namespace mf
