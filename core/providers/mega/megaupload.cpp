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

// The steps of one upload, each a method, run for a MegaJob (which holds them through the
// callbacks of the step under way).
class MegaUploadSteps : public std::enable_shared_from_this<MegaUploadSteps>
{
public:
    using Stored = std::function<void(const QString& handle, const QByteArray& sealedKey)>;

    MegaUploadSteps(MegaProvider* mega, MegaJob* job, const QString& name,
                    const QJsonObject& attributes, std::shared_ptr<QIODevice> source, qint64 size,
                    Stored stored)
        : m_mega(mega)
        , m_job(job)
        , m_name(name)
        , m_attributes(attributes)
        , m_stored(std::move(stored))
        , m_source(std::move(source))
        , m_sourceStart(m_source && m_source->isOpen() ? m_source->pos() : 0)
        , m_size(size)
        , m_subject(cid::isValid(name) ? MegaProvider::tr("chunk %1").arg(name)
                                       : MegaProvider::tr("catalog object %1").arg(name))
    {
        m_attributes.insert(QStringLiteral("n"), name);
    }

    // 1. An upload URL for this size, and a fresh file key (again after a restart).
    void requestUrl()
    {
        m_macs.clear();
        m_key = FileKey::random();
        auto self = shared_from_this();
        m_mega->command(m_job,
                        {{QStringLiteral("a"), QStringLiteral("u")},
                         {QStringLiteral("s"), m_size},
                         {QStringLiteral("ssl"),
                          m_mega->m_options.apiUrl.scheme() == QLatin1String("https") ? 2 : 0},
                         {QStringLiteral("v"), 2}},
                        [self](const Reply& r) { self->urlGiven(r); });
    }

private:
    QString uploading() const { return m_mega->what(MegaProvider::tr("Uploading"), m_subject); }

    void fail(const Reply& r)
    {
        m_job->complete(r.code == -15 ? m_mega->sessionEndedError() : r.error);
    }

    void urlGiven(const Reply& r)
    {
        if (r.error)
            return fail(r);
        m_url = r.value.toObject().value(QStringLiteral("p")).toString();
        if (!m_url.startsWith(QLatin1String("http")))
            return m_job->complete(
                Error::make(Error::Kind::Retryable,
                            uploading() + MegaProvider::tr(": MEGA gave no upload address")));
        sendFrom(0);
    }

    // 2. POST the chunk, encrypted on the fly, in pieces of whole MAC chunks.
    void sendFrom(qint64 from)
    {
        const qint64 to = m_size == 0 ? 0 : postEnd(from, m_size, m_mega->m_options.postBytes);
        HttpExchange::Request r;
        r.method = "POST";
        r.what = uploading();
        const QUrl url(m_url + QLatin1Char('/') + QString::number(from));
        r.build = [url](const HttpExchange::Attempt&) {
            QNetworkRequest q(url);
            q.setHeader(QNetworkRequest::ContentTypeHeader,
                        QByteArrayLiteral("application/octet-stream"));
            return q;
        };
        // A retried POST re-encrypts the same range and gets the same MACs.
        auto self = shared_from_this();
        r.openBody = [self, from, to] {
            return EncryptingBody::create(self->m_source, self->m_sourceStart, self->m_key, from,
                                          to, [self](qint64 at, const QList<QByteArray>& macs) {
                                              self->m_macs.insert(at, macs);
                                          });
        };
        r.bodySize = to - from;
        r.classify = [what = r.what](int status, const QByteArray&, const QNetworkReply& reply) {
            return storageServerQuota(status, reply, what, MegaProvider::tr("uploads to MEGA"));
        };
        r.maxCollectBytes = 4096;
        m_job->setProgressWindow(from, m_size);
        m_job->send(std::move(r), [self, to](HttpExchange& x) { self->sent(x, to); });
    }

    void sent(HttpExchange& x, qint64 to)
    {
        if (x.error())
            return m_job->complete(x.error());
        const int code = errorCodeOf(x.body());
        if (code == -8 || code == -5) {
            // The upload URL expired (or the upload failed): the whole file again, with a new
            // URL, a bounded number of times.
            if (++m_restarts > 2)
                return m_job->complete(Api::errorFor(code, uploading()));
            return requestUrl();
        }
        if (code < 0)
            return m_job->complete(Api::errorFor(code, uploading()));
        if (to < m_size) {
            if (!x.body().isEmpty())
                return m_job->complete(Error::make(
                    Error::Kind::Fatal,
                    uploading() + MegaProvider::tr(": MEGA finished the upload early")));
            return sendFrom(to);
        }
        // With v:2 the token is 36 raw bytes (MEGA SDK UPLOADTOKENLEN).
        if (x.body().size() != 36)
            return m_job->complete(Error::make(
                Error::Kind::Retryable,
                uploading() +
                    MegaProvider::tr(": MEGA's storage server sent no completion token")));
        m_token = x.body();
        createNode();
    }

    // 3. The node: sealed key and attributes under the folder.
    void createNode()
    {
        QList<QByteArray> all;
        for (const QList<QByteArray>& m : std::as_const(m_macs))
            all += m;
        m_key.metaMac = FileCipher::condenseMacs(m_key.aesKey, all);
        const QByteArray sealed = ecbEncrypt(m_mega->m_session.masterKey, packFileKey(m_key));
        const QJsonObject node{
            {QStringLiteral("h"), QString::fromLatin1(base64urlEncode(m_token))},
            {QStringLiteral("t"), 0},
            {QStringLiteral("a"),
             QString::fromLatin1(base64urlEncode(encryptAttributes(m_key.aesKey, m_attributes)))},
            {QStringLiteral("k"), QString::fromLatin1(base64urlEncode(sealed))}};
        auto self = shared_from_this();
        m_mega->command(m_job,
                        {{QStringLiteral("a"), QStringLiteral("p")},
                         {QStringLiteral("t"), m_mega->m_folderHandle},
                         {QStringLiteral("n"), QJsonArray{node}},
                         {QStringLiteral("i"), QString::fromLatin1(requestTag())}},
                        [self, sealed](const Reply& r) { self->nodeCreated(r, sealed); });
    }

    void nodeCreated(const Reply& r, const QByteArray& sealed)
    {
        if (r.error)
            return fail(r);
        const QJsonArray made = r.value.toObject().value(QStringLiteral("f")).toArray();
        const QString handle = made.isEmpty()
                                   ? QString()
                                   : made.at(0).toObject().value(QStringLiteral("h")).toString();
        if (handle.isEmpty())
            return m_job->complete(
                Error::make(Error::Kind::Retryable,
                            m_mega->what(MegaProvider::tr("Storing"), m_subject) +
                                MegaProvider::tr(": MEGA's answer has no file node in it")));
        m_stored(handle, sealed);
    }

    MegaProvider* m_mega; // alive while the job is: the job holds a lease on it
    MegaJob* m_job;
    const QString m_name;     // the node's name: a chunk's CID, or a catalog object's name
    QJsonObject m_attributes; // the node's attributes, its name among them
    const Stored m_stored;
    const std::shared_ptr<QIODevice> m_source;
    const qint64 m_sourceStart;
    const qint64 m_size;
    const QString m_subject;
    QString m_url;
    FileKey m_key;
    QMap<qint64, QList<QByteArray>> m_macs; // POST offset -> its chunk MACs
    QByteArray m_token;
    int m_restarts = 0;
};

void MegaProvider::uploadFile(MegaJob* j, const QString& name, const QJsonObject& attributes,
                              std::shared_ptr<QIODevice> source, qint64 size,
                              std::function<void(const QString&, const QByteArray&)> stored)
{
    std::make_shared<MegaUploadSteps>(this, j, name, attributes, std::move(source), size,
                                      std::move(stored))
        ->requestUrl();
}

} // namespace mf
