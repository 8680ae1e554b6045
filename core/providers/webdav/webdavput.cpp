// WebDavProvider::save(): a chunk object PUT under a temporary name in <folder>/.partial/ (named
// after this process, so a sweep can tell a dead one's upload from a live one's), then MOVEd
// into place with "Overwrite: F", so that a half-uploaded object is never visible under its
// real name. Each step is a method of WebDavSaveSteps, run by a WebDavJob that holds it; the
// retries, stall timeouts and the request bound are the job's (NetworkJob), and whether the
// chunk is there already was asked before (Provider::put()).
#include "chunking/cid.h"
#include "providers/network/uploadbody.h"
#include "util/temporaries.h"
#include "webdavrequests.h"

namespace mf {

class WebDavSaveSteps : public std::enable_shared_from_this<WebDavSaveSteps>
{
public:
    WebDavSaveSteps(WebDavProvider* dav, const QString& cid, std::shared_ptr<QIODevice> source,
                    qint64 size)
        : m_dav(dav)
        , m_cid(cid)
        , m_source(std::move(source))
        , m_start(m_source && m_source->isOpen() ? m_source->pos() : 0)
        , m_size(size)
        , m_subject(WebDavProvider::tr("chunk %1").arg(cid))
        , m_partialDir(dav->m_folder + QStringList{QStringLiteral(".partial")})
        , m_shardDir(dav->objectSegments(cid).mid(0, dav->m_folder.size() + 1))
        , m_tempUrl(dav->fileUrl(m_partialDir + QStringList{temporaries::uniqueName(cid)}))
        , m_finalUrl(dav->objectUrl(cid))
    {}

    // 1. The folder the PUT goes into is made first (once per provider, remembered): a server
    // that answers a PUT into a missing folder before reading its body (rclone does, with 404)
    // leaves Qt sending into a closed request until the stall timeout.
    void run(WebDavJob& job)
    {
        m_job = &job;
        if (!cid::isValid(m_cid))
            return m_job->complete(m_dav->notAnObjectName(m_cid));
        m_job->setLocator(m_cid);
        const bool direct = m_dav->m_moveUnsupported;
        auto self = shared_from_this();
        m_dav->ensureCollection(m_job, direct ? m_shardDir : m_partialDir,
                                [self, direct](const Error& e) {
                                    if (e)
                                        self->m_job->complete(e);
                                    else if (direct)
                                        self->putInPlace();
                                    else
                                        self->putTemporary(true);
                                });
    }

private:
    HttpExchange::Request upload(const QUrl& url) const
    {
        HttpExchange::Request r =
            m_dav->request("PUT", url, m_dav->what(WebDavProvider::tr("Uploading"), m_subject));
        r.openBody = [src = m_source, start = m_start, size = m_size] {
            return UploadBody::create(src, start, size);
        };
        r.bodySize = m_size;
        return r;
    }

    // 2. PUT to the temporary name; 404/409: the upload folder is gone, made again once.
    void putTemporary(bool mayCreateFolder)
    {
        HttpExchange::Request r = upload(m_tempUrl);
        r.acceptedStatuses = {404, 409};
        auto self = shared_from_this();
        m_job->send(std::move(r), [self, mayCreateFolder](HttpExchange& x) {
            if (x.error())
                return self->m_job->complete(x.error());
            if (x.status() == 404 || x.status() == 409)
                return self->remakeUploadFolder(mayCreateFolder, x.status());
            self->makeShard();
        });
    }

    void remakeUploadFolder(bool mayCreateFolder, int status)
    {
        if (!mayCreateFolder)
            return m_job->complete(
                Error::make(Error::Kind::Fatal,
                            WebDavProvider::tr("%1: the server refused the upload folder (HTTP %2)")
                                .arg(m_dav->what(WebDavProvider::tr("Uploading"), m_subject))
                                .arg(status)));
        m_dav->m_knownCollections.remove(m_partialDir.join(QLatin1Char('/')));
        auto self = shared_from_this();
        m_dav->ensureCollection(m_job, m_partialDir, [self](const Error& e) {
            if (e)
                self->m_job->complete(e);
            else
                self->putTemporary(false);
        });
    }

    // 3. The shard folder, made once per provider and remembered.
    void makeShard()
    {
        auto self = shared_from_this();
        m_dav->ensureCollection(m_job, m_shardDir, [self](const Error& e) {
            if (e)
                self->discardAndFail(e);
            else
                self->moveIntoPlace(true);
        });
    }

    // 4. MOVE the whole upload into place; 412: someone stored it meanwhile (the same bytes).
    void moveIntoPlace(bool mayCreateShard)
    {
        HttpExchange::Request r = m_dav->request(
            "MOVE", m_tempUrl, m_dav->what(WebDavProvider::tr("Publishing"), m_subject));
        const QByteArray destination = m_finalUrl.toEncoded();
        auto build = r.build;
        r.build = [build, destination](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setRawHeader("Destination", destination);
            q.setRawHeader("Overwrite", "F");
            return q;
        };
        // The shard folder is missing: RFC servers say 409, rclone 403 (and 404 elsewhere).
        r.acceptedStatuses = {403, 404, 409, 412, 405, 501};
        auto self = shared_from_this();
        m_job->send(std::move(r),
                    [self, mayCreateShard](HttpExchange& x) { self->moved(x, mayCreateShard); });
    }

    void moved(HttpExchange& x, bool mayCreateShard)
    {
        if (x.error())
            return discardAndFail(x.error());
        const int status = x.status();
        const bool parentMissing = status == 403 || status == 404 || status == 409;
        if (parentMissing && mayCreateShard)
            return remakeShard();
        if (status == 405 || status == 501) {
            // 3b. A server without MOVE gets the object PUT under its real name.
            m_dav->m_moveUnsupported = true;
            m_dav->discard(m_tempUrl);
            return putInPlace();
        }
        if (status == 403)
            return discardAndFail(HttpExchange::classifyStatus(
                403, "Forbidden", m_dav->what(WebDavProvider::tr("Publishing"), m_subject), {}));
        if (parentMissing)
            return discardAndFail(Error::make(
                Error::Kind::Fatal,
                WebDavProvider::tr("%1: the server could not move the upload into place (HTTP %2)")
                    .arg(m_dav->what(WebDavProvider::tr("Publishing"), m_subject))
                    .arg(status)));
        if (status == 412)
            m_dav->discard(m_tempUrl);
        m_job->complete(Error::none());
    }

    // The shard folder another client removed after this provider made it: made again, once.
    void remakeShard()
    {
        m_dav->m_knownCollections.remove(m_shardDir.join(QLatin1Char('/')));
        auto self = shared_from_this();
        m_dav->ensureCollection(m_job, m_shardDir, [self](const Error& e) {
            if (e)
                self->discardAndFail(e);
            else
                self->moveIntoPlace(false);
        });
    }

    void putInPlace()
    {
        auto self = shared_from_this();
        m_job->send(upload(m_finalUrl),
                    [self](HttpExchange& x) { self->m_job->complete(x.error()); });
    }

    void discardAndFail(const Error& e)
    {
        m_dav->discard(m_tempUrl);
        m_job->complete(e);
    }

    WebDavProvider* m_dav; // alive while the job is: the job holds a lease on it
    WebDavJob* m_job = nullptr;
    const QString m_cid;
    const std::shared_ptr<QIODevice> m_source;
    const qint64 m_start;
    const qint64 m_size;
    const QString m_subject;
    const QStringList m_partialDir;
    const QStringList m_shardDir;
    const QUrl m_tempUrl;
    const QUrl m_finalUrl;
};

ProviderJob* WebDavProvider::save(const QString& cid, std::unique_ptr<QIODevice> source,
                                  qint64 size)
{
    auto steps = std::make_shared<WebDavSaveSteps>(
        this, cid, std::shared_ptr<QIODevice>(std::move(source)), size);
    return new WebDavJob(this, [steps](WebDavJob& job) { steps->run(job); });
}

} // namespace mf
