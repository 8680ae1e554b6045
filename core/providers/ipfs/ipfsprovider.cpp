#include "ipfsprovider.h"

#include "chunking/cid.h"
#include "credentials/credentialstore.h"
#include "ipfscid.h"
#include "providers/bytesink.h"
#include "providers/network/stepsjob.h"
#include "providers/network/uploadbody.h"
#include "providers/providerfactory.h"
#include "providers/providerfields.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QUrlQuery>

namespace mf {

namespace {

std::unique_ptr<QIODevice> emptyBody()
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

// The JSON objects of a body: one document, or newline-delimited JSON (streamed commands).
QList<QJsonObject> jsonObjects(const QByteArray& body)
{
    QList<QJsonObject> out;
    for (const QByteArray& line : body.split('\n')) {
        const QByteArray t = line.trimmed();
        if (t.isEmpty())
            continue;
        const QJsonDocument doc = QJsonDocument::fromJson(t);
        if (doc.isObject())
            out.append(doc.object());
    }
    return out;
}

qint64 jsonSize(const QJsonValue& v)
{
    // `add` sends sizes as strings, block/* and repo/stat as numbers.
    if (v.isString())
        return v.toString().toLongLong();
    return v.isDouble() ? qint64(v.toDouble()) : -1;
}

// go-ipfs-cmds (and js-ipfs) report a failed command as HTTP 500 with
// {"Message": "...", "Code": n, "Type": "error"}.
Error classifyRpc(int status, const QByteArray& body, const QString& what)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QString message = o.value(QStringLiteral("Message")).toString();
    if (status == 403)
        return Error::make(Error::Kind::Authentication,
                           QObject::tr("%1: the IPFS node refused access (HTTP 403). Check the "
                                       "authorization in the provider's settings.")
                               .arg(what));
    if (status == 405 || status == 404)
        return Error::make(Error::Kind::Fatal,
                           QObject::tr("%1: the address does not answer like an IPFS RPC API "
                                       "(HTTP %2); it is usually http://127.0.0.1:5001")
                               .arg(what)
                               .arg(status));
    if (status == 413)
        return Error::make(
            Error::Kind::Fatal,
            QObject::tr("%1: the IPFS node refused a body this large (HTTP 413)").arg(what));
    if (status != 500 || message.isEmpty())
        return Error::none(); // the generic reading applies
    const QString m = message.toLower();
    const QString said = QObject::tr("%1: the IPFS node said “%2”").arg(what, message.left(300));
    if (m.contains(QLatin1String("not pinned")) || m.contains(QLatin1String("timed out")) ||
        m.contains(QLatin1String("deadline exceeded")) || m.contains(QLatin1String("not found")) ||
        m.contains(QLatin1String("could not find")))
        return Error::make(Error::Kind::NotFound, said);
    if (o.value(QStringLiteral("Code")).toInt() == 3) // rate limited
        return Error::make(Error::Kind::Retryable, said);
    if (m.contains(QLatin1String("no space")) || m.contains(QLatin1String("storagemax")) ||
        m.contains(QLatin1String("maximum storage")))
        return Error::make(Error::Kind::QuotaExceeded, said);
    return Error::make(Error::Kind::Fatal, said);
}

// Passes bytes [skip, skip + limit) of each attempt's body on to the real sink: block/get has no
// range, so the adapter reads the whole block and keeps the window.
class WindowSink final : public ByteSink
{
public:
    WindowSink(ByteSink* sink, qint64 offset, qint64 length)
        : m_sink(sink)
        , m_offset(offset)
        , m_length(length)
    {}
    // A new attempt starts at the body's first byte again.
    void beginAttempt() { m_position = 0; }
    bool write(const char* data, qint64 size) override
    {
        const qint64 begin = m_position;
        m_position += size;
        const qint64 from = qMax(begin, m_offset + m_forwarded);
        qint64 to = m_position;
        if (m_length >= 0)
            to = qMin(to, m_offset + m_length);
        if (to <= from)
            return true;
        if (!m_sink->write(data + (from - begin), to - from))
            return false;
        m_forwarded += to - from;
        return true;
    }
    QString errorString() const override { return m_sink->errorString(); }
    qint64 forwarded() const { return m_forwarded; }

private:
    ByteSink* m_sink;
    qint64 m_offset;
    qint64 m_length;
    qint64 m_position = 0;
    qint64 m_forwarded = 0;
};

} // namespace

IpfsProvider::IpfsProvider(const QString& displayName, const ProviderContext& context,
                           const QString& secretsKey, const Options& options)
    : NetworkProvider(displayName, context, secretsKey, options.concurrency)
    , m_api(options.apiUrl)
    , m_gateway(options.gatewayUrl)
    , m_options(options)
{}

IpfsProvider::~IpfsProvider() = default;

bool IpfsProvider::normalize(Options* o, QString* error)
{
    auto check = [error](QString* text, const QString& label) {
        *text = text->trimmed();
        QUrl url(*text, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
            *error = QObject::tr("The %1 “%2” is not an http(s) address")
                         .arg(label, HttpExchange::displayUrl(url));
            return false;
        }
        if (!url.userInfo().isEmpty()) {
            *error = QObject::tr("The %1 must not contain a user name or password; put the "
                                 "Authorization header value in the authorization field")
                         .arg(label);
            return false;
        }
        url.setQuery(QString());
        url.setFragment(QString());
        QString path = url.path();
        while (path.endsWith(QLatin1Char('/')))
            path.chop(1);
        url.setPath(path);
        *text = url.toString(QUrl::FullyEncoded);
        return true;
    };
    if (!check(&o->apiUrl, QObject::tr("API address")))
        return false;
    QUrl api(o->apiUrl);
    QString path = api.path();
    if (!path.endsWith(QLatin1String("/api/v0")))
        path += QLatin1String("/api/v0");
    api.setPath(path + QLatin1Char('/'));
    o->apiUrl = api.toString(QUrl::FullyEncoded);
    if (!o->gatewayUrl.trimmed().isEmpty()) {
        if (!check(&o->gatewayUrl, QObject::tr("gateway address")))
            return false;
        o->gatewayUrl += QLatin1Char('/');
    } else {
        o->gatewayUrl.clear();
    }
    o->concurrency = qBound(1, o->concurrency, 32);
    return true;
}

std::unique_ptr<IpfsProvider> IpfsProvider::create(const QString& displayName,
                                                   const ProviderContext& context,
                                                   const QString& secretsKey, Options options,
                                                   QString* error)
{
    if (!normalize(&options, error))
        return nullptr;
    return std::unique_ptr<IpfsProvider>(
        new IpfsProvider(displayName, context, secretsKey, options));
}

QString IpfsProvider::timeoutArg(int ms) const
{
    return QStringLiteral("%1ms").arg(ms);
}

HttpExchange::Request IpfsProvider::rpc(const QString& command,
                                        const QList<QPair<QString, QString>>& query,
                                        const QString& what) const
{
    QUrl url = m_api.resolved(QUrl(command));
    QUrlQuery q;
    for (const auto& item : query)
        q.addQueryItem(item.first, item.second);
    url.setQuery(q);
    HttpExchange::Request r;
    r.method = "POST";
    r.what = what;
    r.build = [this, url](const HttpExchange::Attempt&) {
        QNetworkRequest request(url);
        // Byte streams must arrive as stored, not re-encoded.
        request.setRawHeader("Accept-Encoding", "identity");
        QString auth = secrets().value(QStringLiteral("authorization")).toString().trimmed();
        if (!auth.isEmpty()) {
            // Kubo compares the whole header; a bare token is meant as a bearer token.
            if (!auth.contains(QLatin1Char(' ')))
                auth = QStringLiteral("Bearer ") + auth;
            request.setRawHeader("Authorization", auth.toUtf8());
        }
        return request;
    };
    r.openBody = emptyBody;
    r.bodySize = 0;
    r.classify = [what](int status, const QByteArray& body, const QNetworkReply&) {
        return classifyRpc(status, body, what);
    };
    return r;
}

void IpfsProvider::setFormBody(HttpExchange::Request* r, const QByteArray& filename,
                               std::shared_ptr<QIODevice> source, qint64 start, qint64 size)
{
    const QByteArray boundary =
        "modelfloat-" + QByteArray::number(QRandomGenerator::global()->generate64(), 16);
    const QByteArray prefix = "--" + boundary +
                              "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                              filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    const QByteArray suffix = "\r\n--" + boundary + "--\r\n";
    r->openBody = [=] { return UploadBody::create(source, start, size, prefix, suffix); };
    r->bodySize = prefix.size() + size + suffix.size();
    auto build = r->build;
    r->build = [build, boundary](const HttpExchange::Attempt& a) {
        QNetworkRequest q = build(a);
        q.setHeader(QNetworkRequest::ContentTypeHeader,
                    QByteArray("multipart/form-data; boundary=" + boundary));
        return q;
    };
}

void IpfsProvider::setFormBody(HttpExchange::Request* r, const QByteArray& filename,
                               const QByteArray& bytes)
{
    auto buffer = std::make_shared<QBuffer>();
    buffer->setData(bytes);
    buffer->open(QIODevice::ReadOnly);
    setFormBody(r, filename, std::move(buffer), 0, bytes.size());
}

HttpExchange::Request IpfsProvider::gatewayGet(const QString& cid, const QString& what) const
{
    const QUrl url = m_gateway.resolved(QUrl(QStringLiteral("ipfs/") + cid));
    HttpExchange::Request r;
    r.method = "GET";
    r.what = what;
    r.build = [url](const HttpExchange::Attempt&) {
        QNetworkRequest request(url);
        request.setRawHeader("Accept-Encoding", "identity");
        return request;
    };
    return r;
}

// A block pinned (directly or recursively) is stored. Larger chunks are not looked for: their
// root CID is only known after an import, and adding one again is deduplicated by the node.
ProviderJob* IpfsProvider::findStored(const QString& cid, qint64 size)
{
    return new IpfsJob(this, [this, cid, size](IpfsJob& job) {
        IpfsJob* j = &job;
        const QByteArray ours = ipfscid::decode(cid);
        if (ours.isEmpty() || !cid::isValid(cid) || size > m_options.maxBlockPutBytes) {
            j->complete(Error::make(Error::Kind::NotFound, {}));
            return;
        }
        const QString subject = tr("chunk %1").arg(cid);
        HttpExchange::Request check =
            rpc(QStringLiteral("pin/ls"),
                {{QStringLiteral("arg"), cid},
                 {QStringLiteral("type"), QStringLiteral("all")},
                 {QStringLiteral("timeout"), timeoutArg(m_options.lookupTimeoutMs)}},
                what(tr("Checking"), subject));
        j->send(std::move(check), [j, cid, ours, size](HttpExchange& x) {
            if (x.error() && x.error().kind != Error::Kind::NotFound) {
                j->complete(x.error());
                return;
            }
            if (!x.error()) {
                const QJsonObject keys = QJsonDocument::fromJson(x.body())
                                             .object()
                                             .value(QStringLiteral("Keys"))
                                             .toObject();
                for (auto it = keys.begin(); it != keys.end(); ++it) {
                    const QString type =
                        it.value().toObject().value(QStringLiteral("Type")).toString();
                    if (ipfscid::decode(it.key()) == ours && type != QLatin1String("indirect")) {
                        // Named by the hash of its bytes: the chunk itself.
                        j->setLocator(cid);
                        j->setObjectSize(size);
                        j->complete(Error::none());
                        return;
                    }
                }
            }
            j->complete(Error::make(Error::Kind::NotFound, {}));
        });
    });
}

ProviderJob* IpfsProvider::save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size)
{
    std::shared_ptr<QIODevice> src(std::move(source));
    const qint64 start = src && src->isOpen() ? src->pos() : 0;
    return new IpfsJob(this, [this, cid, src, start, size](IpfsJob& job) {
        IpfsJob* j = &job;
        const QByteArray ours = ipfscid::decode(cid);
        if (ours.isEmpty() || !cid::isValid(cid)) {
            j->complete(notAnObjectName(cid));
            return;
        }
        const QString subject = tr("chunk %1").arg(cid);
        auto multipart = [src, start, size](HttpExchange::Request* r) {
            setFormBody(r, "chunk", src, start, size);
        };

        if (size > m_options.maxBlockPutBytes) {
            // Above the block limit: a UnixFS file of raw leaves; the root CID is the locator.
            HttpExchange::Request r = rpc(
                QStringLiteral("add"),
                {{QStringLiteral("cid-version"), QStringLiteral("1")},
                 {QStringLiteral("raw-leaves"), QStringLiteral("true")},
                 {QStringLiteral("chunker"), QStringLiteral("size-%1").arg(m_options.leafBytes)},
                 {QStringLiteral("pin"), QStringLiteral("true")},
                 {QStringLiteral("progress"), QStringLiteral("false")},
                 {QStringLiteral("cid-base"), QStringLiteral("base32")}},
                what(tr("Adding"), subject));
            multipart(&r);
            j->send(std::move(r), [this, j, subject](HttpExchange& x) {
                if (x.error()) {
                    j->complete(x.error());
                    return;
                }
                QString root;
                for (const QJsonObject& o : jsonObjects(x.body())) {
                    if (o.value(QStringLiteral("Type")).toString() == QLatin1String("error")) {
                        j->complete(
                            Error::make(Error::Kind::Fatal,
                                        tr("%1: the IPFS node said “%2”")
                                            .arg(what(tr("Adding"), subject),
                                                 o.value(QStringLiteral("Message")).toString())));
                        return;
                    }
                    if (o.contains(QStringLiteral("Hash")))
                        root = o.value(QStringLiteral("Hash")).toString();
                }
                const QString locator = ipfscid::normalize(root);
                if (locator.isEmpty()) {
                    j->complete(Error::make(Error::Kind::Fatal,
                                            tr("%1: the IPFS node did not answer with a CID")
                                                .arg(what(tr("Adding"), subject))));
                    return;
                }
                j->setLocator(locator);
                j->complete(Error::none());
            });
            return;
        }

        auto putBlock = [this, j, cid, ours, subject, multipart] {
            // cid-codec is Kubo's parameter (>= 0.13), format the older one js-ipfs reads;
            // Kubo accepts both together when both say raw.
            HttpExchange::Request r = rpc(QStringLiteral("block/put"),
                                          {{QStringLiteral("cid-codec"), QStringLiteral("raw")},
                                           {QStringLiteral("format"), QStringLiteral("raw")},
                                           {QStringLiteral("mhtype"), QStringLiteral("sha2-256")},
                                           {QStringLiteral("mhlen"), QStringLiteral("32")},
                                           {QStringLiteral("pin"), QStringLiteral("true")}},
                                          what(tr("Uploading"), subject));
            multipart(&r);
            j->send(std::move(r), [this, j, cid, ours, subject](HttpExchange& x) {
                if (x.error()) {
                    j->complete(x.error());
                    return;
                }
                const QString key = QJsonDocument::fromJson(x.body())
                                        .object()
                                        .value(QStringLiteral("Key"))
                                        .toString();
                const QByteArray theirs = ipfscid::decode(key);
                if (theirs != ours) {
                    j->complete(Error::make(
                        Error::Kind::Corrupt,
                        tr("%1: the IPFS node stored the block as %2, not as %3; its hash or "
                           "codec settings differ")
                            .arg(what(tr("Uploading"), subject), key.left(100), cid)));
                    return;
                }
                HttpExchange::Request pin =
                    rpc(QStringLiteral("pin/add"), {{QStringLiteral("arg"), cid}},
                        what(tr("Pinning"), subject));
                j->send(std::move(pin), [j, cid](HttpExchange& p) {
                    if (!p.error())
                        j->setLocator(cid);
                    j->complete(p.error());
                });
            });
        };
        putBlock();
    });
}

ProviderJob* IpfsProvider::get(const QString& locator, ByteSink* sink, qint64 offset, qint64 length)
{
    return new IpfsJob(this, [this, locator, sink, offset, length](IpfsJob& job) {
        IpfsJob* j = &job;
        const QByteArray bin = ipfscid::decode(locator);
        if (bin.isEmpty()) {
            j->complete(notAnObjectName(locator));
            return;
        }
        if (length == 0) {
            j->complete(Error::none());
            return;
        }
        const QString subject = tr("chunk %1").arg(locator);
        if (!m_gateway.isEmpty()) {
            // The gateway serves the file bytes with HTTP ranges, raw block or UnixFS alike.
            HttpExchange::Request r = gatewayGet(locator, what(tr("Downloading"), subject));
            r.sink = sink;
            auto build = r.build;
            r.build = [build, offset, length](const HttpExchange::Attempt& a) {
                QNetworkRequest q = build(a);
                const QByteArray range = HttpExchange::resumedRange(offset, length, a);
                if (!range.isEmpty())
                    q.setRawHeader("Range", range);
                return q;
            };
            // A gateway that ignores the range fails the exchange (HttpExchange).
            j->send(std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
            return;
        }
        if (ipfscid::codec(bin) == ipfscid::CodecRaw) {
            // block/get has no range: read the block, keep the window.
            auto window = std::make_shared<WindowSink>(sink, offset, length);
            HttpExchange::Request r =
                rpc(QStringLiteral("block/get"),
                    {{QStringLiteral("arg"), locator},
                     {QStringLiteral("offline"), QStringLiteral("true")},
                     {QStringLiteral("timeout"), timeoutArg(m_options.readTimeoutMs)}},
                    what(tr("Downloading"), subject));
            r.sink = window.get();
            auto build = r.build;
            r.build = [build, window](const HttpExchange::Attempt& a) {
                window->beginAttempt();
                return build(a);
            };
            j->send(std::move(r), [j, window, offset, length, subject](HttpExchange& x) {
                if (!x.error() && length > 0 && window->forwarded() < length)
                    j->complete(
                        Error::make(Error::Kind::Fatal, tr("Bytes %1-%2 of %3 are beyond its end")
                                                            .arg(offset)
                                                            .arg(offset + length - 1)
                                                            .arg(subject)));
                else
                    j->complete(x.error());
            });
            return;
        }
        // A UnixFS file (a chunk stored with add): cat reads ranges itself. A retry asks only
        // for what the sink does not have yet, so the query is built per attempt.
        HttpExchange::Request r = rpc(QStringLiteral("cat"), {}, what(tr("Downloading"), subject));
        r.sink = sink;
        auto build = r.build;
        const int timeoutMs = m_options.readTimeoutMs;
        r.build = [build, locator, offset, length, timeoutMs](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            QUrl url = q.url();
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("arg"), locator);
            query.addQueryItem(QStringLiteral("offset"),
                               QString::number(offset + a.bytesDelivered));
            if (length > 0)
                query.addQueryItem(QStringLiteral("length"),
                                   QString::number(length - a.bytesDelivered));
            query.addQueryItem(QStringLiteral("offline"), QStringLiteral("true"));
            query.addQueryItem(QStringLiteral("timeout"), QStringLiteral("%1ms").arg(timeoutMs));
            url.setQuery(query);
            q.setUrl(url);
            return q;
        };
        j->send(std::move(r), [j](HttpExchange& x) { j->complete(x.error()); });
    });
}

ProviderJob* IpfsProvider::stat(const QString& locator)
{
    return new IpfsJob(this, [this, locator](IpfsJob& job) {
        IpfsJob* j = &job;
        const QByteArray bin = ipfscid::decode(locator);
        if (bin.isEmpty()) {
            j->complete(notAnObjectName(locator));
            return;
        }
        const bool raw = ipfscid::codec(bin) == ipfscid::CodecRaw;
        // A raw block's size is the block's; a UnixFS file's is in its root node.
        HttpExchange::Request r =
            raw ? rpc(QStringLiteral("block/stat"),
                      {{QStringLiteral("arg"), locator},
                       {QStringLiteral("offline"), QStringLiteral("true")},
                       {QStringLiteral("timeout"), timeoutArg(m_options.lookupTimeoutMs)}},
                      what(tr("Checking"), tr("chunk %1").arg(locator)))
                : rpc(QStringLiteral("files/stat"),
                      {{QStringLiteral("arg"), QStringLiteral("/ipfs/") + locator},
                       {QStringLiteral("offline"), QStringLiteral("true")},
                       {QStringLiteral("timeout"), timeoutArg(m_options.lookupTimeoutMs)}},
                      what(tr("Checking"), tr("chunk %1").arg(locator)));
        j->send(std::move(r), [j](HttpExchange& x) {
            if (!x.error())
                j->setObjectSize(jsonSize(
                    QJsonDocument::fromJson(x.body()).object().value(QStringLiteral("Size"))));
            j->complete(x.error());
        });
    });
}

ProviderJob* IpfsProvider::remove(const QString& locator)
{
    return new IpfsJob(this, [this, locator](IpfsJob& job) {
        IpfsJob* j = &job;
        if (ipfscid::decode(locator).isEmpty()) {
            j->complete(notAnObjectName(locator));
            return;
        }
        // Unpinned data stays until the node collects garbage; that is the node's business.
        j->send(rpc(QStringLiteral("pin/rm"), {{QStringLiteral("arg"), locator}},
                    what(tr("Unpinning"), tr("chunk %1").arg(locator))),
                [j](HttpExchange& x) {
                    // "not pinned": removing what is not there succeeds.
                    j->complete(x.error().kind == Error::Kind::NotFound ? Error::none()
                                                                        : x.error());
                });
    });
}

ProviderJob* IpfsProvider::list()
{
    return new IpfsJob(this, [this](IpfsJob& job) {
        IpfsJob* j = &job;
        auto seen = std::make_shared<QSet<QString>>();
        // Recursive pins (add roots, and blocks pinned by Kubo's pin/add) and direct ones
        // (blocks js-ipfs pins at block/put).
        auto collect = [j, seen](HttpExchange& x) {
            for (const QJsonObject& o : jsonObjects(x.body())) {
                QStringList cids;
                const QJsonObject keys = o.value(QStringLiteral("Keys")).toObject();
                for (auto it = keys.begin(); it != keys.end(); ++it)
                    cids.append(it.key());
                if (o.contains(QStringLiteral("Cid")))
                    cids.append(o.value(QStringLiteral("Cid")).toString());
                for (const QString& c : cids) {
                    const QByteArray bin = ipfscid::decode(c);
                    const quint8 codec = ipfscid::codec(bin);
                    if (codec != ipfscid::CodecRaw && codec != ipfscid::CodecDagPb)
                        continue;
                    const QString locator = ipfscid::toBase32(bin);
                    if (!seen->contains(locator)) {
                        seen->insert(locator);
                        // A raw block is named by its content: a chunk's raw CID is its locator.
                        j->objects().append(
                            {locator, -1, codec == ipfscid::CodecRaw ? locator : QString()});
                    }
                }
            }
        };
        const QString whatList = what(tr("Listing"), tr("the pinned chunks"));
        // A pin listing is one JSON document: about 100 bytes per pin.
        const qint64 listLimit = qint64(256) * 1024 * 1024;
        auto listing = [this, whatList, listLimit](const QString& type) {
            HttpExchange::Request r =
                rpc(QStringLiteral("pin/ls"), {{QStringLiteral("type"), type}}, whatList);
            r.maxCollectBytes = listLimit;
            return r;
        };
        j->send(listing(QStringLiteral("recursive")), [j, collect, listing](HttpExchange& x) {
            if (x.error()) {
                j->complete(x.error());
                return;
            }
            collect(x);
            j->send(listing(QStringLiteral("direct")), [j, collect](HttpExchange& d) {
                if (!d.error())
                    collect(d);
                j->complete(d.error());
            });
        });
    });
}

ProviderJob* IpfsProvider::usage()
{
    return new IpfsJob(this, [this](IpfsJob& job) {
        IpfsJob* j = &job;
        j->send(rpc(QStringLiteral("repo/stat"), {},
                    what(tr("Reading the size of"), tr("the repository"))),
                [j](HttpExchange& x) {
                    if (!x.error()) {
                        const QJsonObject o = QJsonDocument::fromJson(x.body()).object();
                        ProviderUsage u;
                        u.usedBytes = jsonSize(o.value(QStringLiteral("RepoSize")));
                        u.quotaBytes = jsonSize(o.value(QStringLiteral("StorageMax")));
                        if (u.usedBytes >= 0 && u.quotaBytes > 0)
                            u.availableBytes = qMax<qint64>(0, u.quotaBytes - u.usedBytes);
                        j->setUsage(u);
                    }
                    j->complete(x.error());
                });
    });
}

namespace {

ProviderKind ipfsKind()
{
    using T = ProviderField::Type;
    ProviderKind k;
    k.id = QStringLiteral("ipfs");
    k.displayName = QStringLiteral("IPFS node");
    k.description = QStringLiteral("An IPFS node (Kubo or compatible) reached through its RPC "
                                   "API; stored chunks are pinned.");
    k.fields = {
        {QStringLiteral("apiUrl"),
         QStringLiteral("RPC API address"),
         T::Url,
         true,
         QStringLiteral("http://127.0.0.1:5001"),
         QStringLiteral("The node's API (Addresses.API in its config)."),
         {},
         {}},
        {QStringLiteral("authorization"),
         QStringLiteral("Authorization"),
         T::Secret,
         false,
         QStringLiteral("Bearer s3cr3t"),
         QStringLiteral("Only if the node requires one (API.Authorizations): the whole "
                        "Authorization header value."),
         {},
         {}},
        {QStringLiteral("gatewayUrl"),
         QStringLiteral("Gateway address"),
         T::Url,
         false,
         QStringLiteral("http://127.0.0.1:8080"),
         QStringLiteral("Optional read-only gateway used for downloads."),
         {},
         {}},
        providerfields::concurrencyField(),
    };
    return k;
}

} // namespace

void registerIpfsKind(ProviderFactory& factory)
{
    factory.registerKind(ipfsKind(), [](const ProviderRecord& r, const ProviderContext& context,
                                        QString* error) {
        IpfsProvider::Options o;
        o.apiUrl = r.settings.value(QStringLiteral("apiUrl")).toString();
        o.gatewayUrl = r.settings.value(QStringLiteral("gatewayUrl")).toString();
        o.concurrency = providerfields::settingInt(r.settings, QStringLiteral("concurrency"),
                                                   providerfields::DefaultConcurrency);
        // The authorization is optional: without a credential store, go without it.
        const QString key =
            context.credentials ? CredentialStore::providerKey(context.vaultId, r.id) : QString();
        std::unique_ptr<Provider> p = IpfsProvider::create(r.name, context, key, o, error);
        if (!p && error)
            *error = QObject::tr("Provider “%1”: %2").arg(r.name, *error);
        return p;
    });
}

} // namespace mf
