// S3Provider's catalog objects (docs/catalog.md): objects under "<prefix>catalog/". A PutObject
// is atomic in S3 (an object is there whole or not at all) and its body's SHA-256 is signed, so a
// catalog object needs no temporary name.
#include "chunking/sha256.h"
#include "s3jobs.h"
#include "s3provider.h"
#include "s3xml.h"

#include <QBuffer>

namespace mf {

namespace {

std::unique_ptr<QIODevice> bufferOver(const QByteArray& bytes)
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(bytes);
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

// One catalog operation, or the search for other stores.
class S3CatalogJob final : public S3Job
{
public:
    enum class Operation { Write, Read, List, Remove, FindStores };
    S3CatalogJob(S3Provider* provider, Operation operation, const QString& name,
                 const QByteArray& bytes = {})
        : S3Job(provider)
        , m_operation(operation)
        , m_name(name)
        , m_bytes(bytes)
    {}

private:
    void run() override
    {
        if (!checkSecret())
            return;
        if (m_operation != Operation::FindStores && !Provider::isValidCatalogName(m_name)) {
            complete(Error::make(Error::Kind::Fatal, tr("“%1” is not a catalog object name of "
                                                        "“%2”")
                                                         .arg(m_name, s3()->displayName())));
            return;
        }
        switch (m_operation) {
        case Operation::Write:
            return write();
        case Operation::Read:
            return read();
        case Operation::List:
            return listPage(s3()->catalogKey(m_name) + QLatin1Char('/'), {});
        case Operation::Remove:
            return remove();
        case Operation::FindStores:
            return findStores({});
        }
    }

    void write()
    {
        const QByteArray sha = Sha256::hash(m_bytes).toHex();
        HttpExchange::Request r = request("PUT", s3()->catalogKey(m_name), {},
                                          what(tr("Writing catalog object %1").arg(m_name)), sha,
                                          {{"content-type", "application/octet-stream"}});
        const QByteArray bytes = m_bytes;
        r.openBody = [bytes] { return bufferOver(bytes); };
        r.bodySize = bytes.size();
        send(std::move(r), [this](HttpExchange& x) { complete(x.error()); });
    }

    void read()
    {
        HttpExchange::Request r = request("GET", s3()->catalogKey(m_name), {},
                                          what(tr("Reading catalog object %1").arg(m_name)));
        r.maxCollectBytes = Provider::catalogObjectLimit(m_name);
        send(std::move(r), [this](HttpExchange& x) {
            if (!x.error())
                m_data = x.body();
            complete(x.error());
        });
    }

    void remove()
    {
        HttpExchange::Request r = request("DELETE", s3()->catalogKey(m_name), {},
                                          what(tr("Removing catalog object %1").arg(m_name)));
        r.acceptedStatuses = {404};
        send(std::move(r), [this](HttpExchange& x) { complete(x.error()); });
    }

    // ListObjectsV2 of one "folder" (delimiter '/': its objects, not those below).
    void listPage(const QString& prefix, const QString& token)
    {
        s3::SigV4Signer::Pairs query{
            {"delimiter", "/"}, {"list-type", "2"}, {"prefix", prefix.toUtf8()}};
        if (!token.isEmpty())
            query.append({"continuation-token", token.toUtf8()});
        const QString action = tr("Listing catalog folder %1").arg(m_name);
        send(request("GET", {}, query, what(action)), [this, prefix, action](HttpExchange& x) {
            if (x.error()) {
                complete(x.error());
                return;
            }
            const s3::ListPage page = s3::parseListObjectsV2(x.body());
            if (!page.valid) {
                complete(Error::make(
                    Error::Kind::Fatal,
                    tr("%1: the server's answer is not an S3 object listing").arg(what(action))));
                return;
            }
            if (!m_serverTime.isValid())
                m_serverTime = HttpExchange::parseHttpDate(x.header("Date"));
            for (int i = 0; i < page.objects.size(); ++i) {
                const StoredObject& o = page.objects.at(i);
                const QString leaf = o.locator.mid(prefix.size());
                if (!o.locator.startsWith(prefix) || !Provider::isValidCatalogName(leaf) ||
                    leaf.contains(QLatin1Char('/')))
                    continue;
                m_catalogObjects.append(
                    {m_name + QLatin1Char('/') + leaf, o.size, page.modified.value(i)});
            }
            if (page.truncated && !page.nextContinuationToken.isEmpty())
                listPage(prefix, page.nextContinuationToken);
            else
                complete(Error::none());
        });
    }

    // "modelfloat/<id>/" prefixes, one request each: the first key after the previous store
    // ("modelfloat/<id>0" sorts after every "modelfloat/<id>/…" key) names the next store. This
    // needs no delimiter support (s3rver returns no CommonPrefixes) and never lists the chunks.
    void findStores(const QString& startAfter)
    {
        const QString root = QStringLiteral("modelfloat/");
        s3::SigV4Signer::Pairs query{
            {"list-type", "2"}, {"max-keys", "1"}, {"prefix", "modelfloat/"}};
        if (!startAfter.isEmpty())
            query.append({"start-after", startAfter.toUtf8()});
        const QString action = tr("Looking for ModelFloat stores");
        send(request("GET", {}, query, what(action)), [this, action, root](HttpExchange& x) {
            if (x.error()) {
                complete(x.error());
                return;
            }
            const s3::ListPage page = s3::parseListObjectsV2(x.body());
            if (!page.valid) {
                complete(Error::make(
                    Error::Kind::Fatal,
                    tr("%1: the server's answer is not an S3 object listing").arg(what(action))));
                return;
            }
            if (page.objects.isEmpty()) {
                checkNextCandidate();
                return;
            }
            const QString key = page.objects.first().locator;
            const int slash = key.indexOf(QLatin1Char('/'), root.size());
            if (slash < 0) {
                findStores(key); // an object right in modelfloat/: not a store
                return;
            }
            const QString store = key.left(slash + 1);
            m_candidates.append(store);
            findStores(key.left(slash) + QLatin1Char('0'));
        });
    }

    void checkNextCandidate()
    {
        if (m_candidates.isEmpty()) {
            complete(Error::none());
            return;
        }
        const QString prefix = m_candidates.takeFirst();
        s3::SigV4Signer::Pairs query{
            {"list-type", "2"},
            {"max-keys", "1"},
            {"prefix", (prefix + QStringLiteral("catalog/states/")).toUtf8()}};
        send(request("GET", {}, query, what(tr("Looking for ModelFloat stores"))),
             [this, prefix](HttpExchange& x) {
                 if (x.error()) {
                     complete(x.error());
                     return;
                 }
                 if (!s3::parseListObjectsV2(x.body()).objects.isEmpty())
                     m_stores.append(QJsonObject{{QStringLiteral("prefix"), prefix}});
                 checkNextCandidate();
             });
    }

    Operation m_operation;
    QString m_name;
    QByteArray m_bytes;
    QStringList m_candidates;
};

} // namespace

QString S3Provider::catalogKey(const QString& name) const
{
    return m_settings.prefix + QStringLiteral("catalog/") + name;
}

QString S3Provider::locatorFor(const QString& cid, qint64 size) const
{
    Q_UNUSED(size);
    return keyFor(cid);
}

ProviderJob* S3Provider::writeCatalogObject(const QString& name, const QByteArray& bytes)
{
    return new S3CatalogJob(this, S3CatalogJob::Operation::Write, name, bytes);
}

ProviderJob* S3Provider::readCatalogObject(const QString& name)
{
    return new S3CatalogJob(this, S3CatalogJob::Operation::Read, name);
}

ProviderJob* S3Provider::listCatalogObjects(const QString& folder)
{
    return new S3CatalogJob(this, S3CatalogJob::Operation::List, folder);
}

ProviderJob* S3Provider::removeCatalogObject(const QString& name)
{
    return new S3CatalogJob(this, S3CatalogJob::Operation::Remove, name);
}

ProviderJob* S3Provider::findStores()
{
    return new S3CatalogJob(this, S3CatalogJob::Operation::FindStores, {});
}

} // namespace mf
