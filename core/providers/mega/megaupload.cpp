// MegaProvider::put: `u` for an upload URL, the chunk encrypted as it is sent in POSTs of whole
// MAC chunks, the completion token from the last POST, then `p` with the sealed node key and
// the encrypted attributes {"n": cid}. The catalog's writes (megacatalog.cpp) upload the same
// way under their catalog name (uploadFile()). A storage server's 509 (transfer quota) pauses
// uploads to MEGA until the time it gives.
#include "chunking/cid.h"
#include "megaprovider.h"
#include "megatransfer.h"
#include "providers/network/stepsjob.h"

#include <QJsonArray>
#include <QMap>

namespace mf {

using namespace mega;

namespace {

// The state of one upload, shared by the steps of a put.
struct Upload
{
    QString name;           // the node's name: a chunk's CID, or a catalog object's name
    QJsonObject attributes; // the node's attributes besides its name
    std::function<void(const QString& handle, const QByteArray& sealedKey)> stored;
    std::shared_ptr<QIODevice> source;
    qint64 sourceStart = 0;
    qint64 size = 0;
    QString url;
    FileKey key;
    QMap<qint64, QList<QByteArray>> macs; // POST offset -> its chunk MACs
    QByteArray token;
    int restarts = 0;
};

// The end of the POST that starts at `from`: whole MAC chunks up to `limit` bytes (at least one),
// or the end of the file.
qint64 postEnd(qint64 from, qint64 size, qint64 limit)
{
    qint64 end = macChunkEnd(from);
    while (end < size && macChunkEnd(end) - from <= limit)
        end = macChunkEnd(end);
    return qMin(end, size);
}

// A short numeric body from a storage server is an error code ("-8"), never a token.
int errorCodeOf(const QByteArray& body)
{
    if (body.size() > 4 || !body.startsWith('-'))
        return 0;
    bool ok = false;
    const int code = body.toInt(&ok);
    return ok && code < 0 ? code : 0;
}

} // namespace

// A chunk the folder holds with its size (the node map, read once per adapter and kept current
// by this adapter's own puts and removes).
ProviderJob* MegaProvider::findStored(const QString& cid, qint64 size)
{
    return new MegaJob(this, [this, cid, size](MegaJob& job) {
        if (!cid::isValid(cid))
            return job.complete(Error::make(Error::Kind::NotFound, {}));
        MegaJob* j = &job;
        ensureSession(j, [this, j, cid, size](const Error& e) {
            if (e)
                return j->complete(e);
            ensureTree(j, false, [this, j, cid, size](const Error& te) {
                if (te)
                    return j->complete(te);
                const auto it = m_index.constFind(cid);
                if (it == m_index.cend() || it->size != size)
                    return j->complete(Error::make(Error::Kind::NotFound, {}));
                j->setLocator(makeLocator(it->handle, it->sealedKey));
                j->setObjectSize(size);
                j->complete(Error::none());
            });
        });
    });
}

ProviderJob* MegaProvider::save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size)
{
    auto shared = std::shared_ptr<QIODevice>(std::move(source));
    return new MegaJob(this, [this, cid, shared, size](MegaJob& job) {
        if (!cid::isValid(cid))
            return job.complete(Error::make(
                Error::Kind::NotFound,
                tr("“%1” is not a chunk name for provider “%2”").arg(cid, displayName())));
        MegaJob* j = &job;
        // Signed in, the folder known (the node map is kept current).
        ensureSession(j, [this, j, cid, shared, size](const Error& e) {
            if (e)
                return j->complete(e);
            ensureTree(j, false, [this, j, cid, shared, size](const Error& te) {
                if (te)
                    return j->complete(te);
                uploadFile(j, cid, {}, shared, size,
                           [this, j, cid, size](const QString& handle, const QByteArray& sealed) {
                               addNode(cid, Node{handle, size, sealed});
                               j->setLocator(makeLocator(handle, sealed));
                               j->complete(Error::none());
                           });
            });
        });
    });
}

void MegaProvider::uploadFile(MegaJob* j, const QString& name, const QJsonObject& attributes,
                              std::shared_ptr<QIODevice> source, qint64 size,
                              std::function<void(const QString&, const QByteArray&)> stored)
{
    auto up = std::make_shared<Upload>();
    up->name = name;
    up->attributes = attributes;
    up->attributes.insert(QStringLiteral("n"), name);
    up->stored = std::move(stored);
    up->source = std::move(source);
    up->sourceStart = up->source && up->source->isOpen() ? up->source->pos() : 0;
    up->size = size;
    const QString subject = cid::isValid(up->name) ? tr("chunk %1").arg(up->name)
                                                   : tr("catalog object %1").arg(up->name);
    const auto fail = [this, j](const Reply& r) {
        j->complete(r.code == -15 ? sessionEndedError() : r.error);
    };

    // 4. The node: sealed key and attributes under the folder.
    const auto createNode = [this, j, up, fail, subject] {
        up->key.metaMac = FileCipher::condenseMacs(up->key.aesKey, [&] {
            QList<QByteArray> all;
            for (const QList<QByteArray>& m : std::as_const(up->macs))
                all += m;
            return all;
        }());
        const QByteArray sealed = ecbEncrypt(m_session.masterKey, packFileKey(up->key));
        const QJsonObject node{
            {QStringLiteral("h"), QString::fromLatin1(base64urlEncode(up->token))},
            {QStringLiteral("t"), 0},
            {QStringLiteral("a"), QString::fromLatin1(base64urlEncode(
                                      encryptAttributes(up->key.aesKey, up->attributes)))},
            {QStringLiteral("k"), QString::fromLatin1(base64urlEncode(sealed))}};
        command(
            j,
            {{QStringLiteral("a"), QStringLiteral("p")},
             {QStringLiteral("t"), m_folderHandle},
             {QStringLiteral("n"), QJsonArray{node}},
             {QStringLiteral("i"), QString::fromLatin1(requestTag())}},
            [this, j, up, fail, sealed, subject](const Reply& r) {
                if (r.error)
                    return fail(r);
                const QJsonArray made = r.value.toObject().value(QStringLiteral("f")).toArray();
                const QString handle =
                    made.isEmpty() ? QString()
                                   : made.at(0).toObject().value(QStringLiteral("h")).toString();
                if (handle.isEmpty())
                    return j->complete(Error::make(
                        Error::Kind::Retryable, what(tr("Storing"), subject) +
                                                    tr(": MEGA's answer has no file node in it")));
                up->stored(handle, sealed);
            });
    };

    // 3. POST the chunk, encrypted on the fly, in pieces of whole MAC chunks.
    auto sendFrom = std::make_shared<std::function<void(qint64)>>();
    auto requestUrl = std::make_shared<std::function<void()>>();
    *sendFrom = [this, j, up, sendFrom, requestUrl, createNode, subject](qint64 from) {
        const qint64 to = up->size == 0 ? 0 : postEnd(from, up->size, m_options.postBytes);
        HttpExchange::Request r;
        r.method = "POST";
        r.what = what(tr("Uploading"), subject);
        const QUrl url(up->url + QLatin1Char('/') + QString::number(from));
        r.build = [url](const HttpExchange::Attempt&) {
            QNetworkRequest q(url);
            q.setHeader(QNetworkRequest::ContentTypeHeader,
                        QByteArrayLiteral("application/octet-stream"));
            return q;
        };
        r.openBody = [up, from, to] {
            return EncryptingBody::create(
                up->source, up->sourceStart, up->key, from, to,
                [up](qint64 at, const QList<QByteArray>& macs) { up->macs.insert(at, macs); });
        };
        r.bodySize = to - from;
        r.classify = [what = r.what](int status, const QByteArray&, const QNetworkReply& reply) {
            return storageServerQuota(status, reply, what, tr("uploads to MEGA"));
        };
        r.maxCollectBytes = 4096;
        j->setProgressWindow(from, up->size);
        j->send(std::move(r), [this, j, up, sendFrom, requestUrl, createNode, subject, from,
                               to](HttpExchange& x) {
            if (x.error())
                return j->complete(x.error());
            const int code = errorCodeOf(x.body());
            if (code == -8 || code == -5) {
                // The upload URL expired (or the upload failed): the whole file again,
                // with a new URL, a bounded number of times.
                if (++up->restarts > 2)
                    return j->complete(Api::errorFor(code, what(tr("Uploading"), subject)));
                return (*requestUrl)();
            }
            if (code < 0)
                return j->complete(Api::errorFor(code, what(tr("Uploading"), subject)));
            if (to < up->size) {
                if (!x.body().isEmpty())
                    return j->complete(Error::make(Error::Kind::Fatal,
                                                   what(tr("Uploading"), subject) +
                                                       tr(": MEGA finished the upload early")));
                return (*sendFrom)(to);
            }
            // With v:2 the token is 36 raw bytes (MEGA SDK UPLOADTOKENLEN).
            if (x.body().size() != 36)
                return j->complete(
                    Error::make(Error::Kind::Retryable,
                                what(tr("Uploading"), subject) +
                                    tr(": MEGA's storage server sent no completion token")));
            up->token = x.body();
            createNode();
        });
    };

    // 2. An upload URL for this size.
    *requestUrl = [this, j, up, sendFrom, fail, subject] {
        up->macs.clear();
        up->key = FileKey::random();
        command(
            j,
            {{QStringLiteral("a"), QStringLiteral("u")},
             {QStringLiteral("s"), up->size},
             {QStringLiteral("ssl"), m_options.apiUrl.scheme() == QLatin1String("https") ? 2 : 0},
             {QStringLiteral("v"), 2}},
            [j, up, sendFrom, fail, subject, this](const Reply& r) {
                if (r.error)
                    return fail(r);
                up->url = r.value.toObject().value(QStringLiteral("p")).toString();
                if (!up->url.startsWith(QLatin1String("http")))
                    return j->complete(Error::make(Error::Kind::Retryable,
                                                   what(tr("Uploading"), subject) +
                                                       tr(": MEGA gave no upload address")));
                (*sendFrom)(0);
            });
    };
    j->releaseWithJob(sendFrom, requestUrl);

    (*requestUrl)();
}

} // namespace mf
