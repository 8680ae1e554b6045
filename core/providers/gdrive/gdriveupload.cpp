// GDriveProvider's put steps (docs/providers.md, "Google Drive"): findStored() is one query by
// CID; save() is a resumable upload session whose address is kept on disk, so that a dropped
// connection or a killed process resumes the same upload with a status query instead of sending
// the chunk again. Each step of the save is a method of GDriveSaveSteps, run by a DriveJob that
// holds it; the retries, stall timeouts and the request bound are the job's (NetworkJob), the
// resumable protocol's own resume (ask the session what it kept) is the steps'.
#include "chunking/cid.h"
#include "gdriveprovider.h"
#include "gdrivewire.h"
#include "providers/network/stepsjob.h"
#include "providers/network/uploadbody.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>

namespace mf {

using gdrive::FileFields;

namespace {

// "bytes=0-N" from a 308: the next byte to send (0 when no Range: nothing was kept).
qint64 nextOffset(const QByteArray& range)
{
    const int dash = range.lastIndexOf('-');
    if (!range.startsWith("bytes=") || dash < 0)
        return 0;
    bool ok = false;
    const qint64 last = range.mid(dash + 1).toLongLong(&ok);
    return ok ? last + 1 : 0;
}

} // namespace

// Already there (another process, an earlier run): a query by CID, never a listing. Only a file
// of the chunk's size and SHA-256 is reported; torn ones stay until collected.
ProviderJob* GDriveProvider::findStored(const QString& cid, qint64 size)
{
    return new DriveJob(this, [this, cid, size](DriveJob& job) {
        DriveJob* j = &job;
        if (!cid::isValid(cid)) {
            j->complete(Error::make(Error::Kind::NotFound, {}));
            return;
        }
        const QString subject = tr("chunk %1").arg(cid);
        const QString expectedSha = QString::fromLatin1(cid::toSha256(cid).toHex());
        const QString session = sessionFile(cid);
        ensureFolder(j, [=](const Error& e) {
            if (e) {
                j->complete(e);
                return;
            }
            const QString q =
                QStringLiteral("%1 in parents and appProperties has { key='cid' and value=%2 } "
                               "and trashed = false")
                    .arg(quoted(m_folderId), quoted(cid));
            call(j,
                 request("GET",
                         apiUrl(QStringLiteral("drive/v3/files"),
                                {{QStringLiteral("q"), q},
                                 {QStringLiteral("fields"),
                                  QStringLiteral("files(%1)").arg(FileFields)}}),
                         what(tr("Looking up"), subject)),
                 [=](HttpExchange& x) {
                     if (x.error()) {
                         j->complete(x.error());
                         return;
                     }
                     const QJsonArray files = QJsonDocument::fromJson(x.body())
                                                  .object()
                                                  .value(QStringLiteral("files"))
                                                  .toArray();
                     for (const QJsonValue v : files) {
                         const QJsonObject f = v.toObject();
                         const QString sha = f.value(QStringLiteral("sha256Checksum")).toString();
                         if (f.value(QStringLiteral("size")).toString().toLongLong() == size &&
                             (sha.isEmpty() || sha == expectedSha)) {
                             // An upload a killed process finished: its session is done.
                             if (!session.isEmpty())
                                 QFile::remove(session);
                             j->setLocator(f.value(QStringLiteral("id")).toString());
                             j->setObjectSize(size);
                             j->complete(Error::none());
                             return;
                         }
                     }
                     j->complete(Error::make(Error::Kind::NotFound, {}));
                 });
        });
    });
}

class GDriveSaveSteps : public std::enable_shared_from_this<GDriveSaveSteps>
{
public:
    GDriveSaveSteps(GDriveProvider* drive, const QString& cid, std::shared_ptr<QIODevice> source,
                    qint64 size)
        : m_drive(drive)
        , m_cid(cid)
        , m_source(std::move(source))
        , m_start(m_source && m_source->isOpen() ? m_source->pos() : 0)
        , m_size(size)
        , m_sessionFile(drive->sessionFile(cid))
        , m_subject(GDriveProvider::tr("chunk %1").arg(cid))
    {}

    // 1. The folder (found or made once per adapter), then the kept session or a new one.
    void run(DriveJob& job)
    {
        m_job = &job;
        if (!cid::isValid(m_cid))
            return m_job->complete(Error::make(
                Error::Kind::Fatal, GDriveProvider::tr("“%1” is not a chunk CID").arg(m_cid)));
        auto self = shared_from_this();
        m_drive->ensureFolder(m_job, [self](const Error& e) {
            if (e)
                self->m_job->complete(e);
            else
                self->resumeOrStart();
        });
    }

private:
    QString what(const QString& verb) const { return m_drive->what(verb, m_subject); }

    // A session kept by an earlier attempt (or a killed process) for the same bytes.
    void resumeOrStart()
    {
        QFile kept(m_sessionFile);
        if (!m_sessionFile.isEmpty() && kept.open(QIODevice::ReadOnly)) {
            const QJsonObject s = QJsonDocument::fromJson(kept.read(4096)).object();
            const QUrl url(s.value(QStringLiteral("url")).toString(), QUrl::StrictMode);
            if (url.isValid() && s.value(QStringLiteral("size")).toInteger() == m_size) {
                m_session = url;
                return askSession();
            }
            kept.remove();
        }
        startSession();
    }

    // 2. A new session (creations paced); its address is kept before the first byte is sent.
    void startSession()
    {
        m_newSession = false;
        auto self = shared_from_this();
        m_drive->paceCreation(m_job, [self] { self->createSession(); });
    }

    void createSession()
    {
        HttpExchange::Request r = m_drive->request(
            "POST",
            m_drive->apiUrl(QStringLiteral("upload/drive/v3/files"),
                            {{QStringLiteral("uploadType"), QStringLiteral("resumable")},
                             {QStringLiteral("fields"), FileFields}}),
            what(GDriveProvider::tr("Uploading")));
        const QByteArray meta =
            QJsonDocument(QJsonObject{{QStringLiteral("name"), m_cid},
                                      {QStringLiteral("parents"), QJsonArray{m_drive->m_folderId}},
                                      {QStringLiteral("appProperties"),
                                       QJsonObject{{QStringLiteral("cid"), m_cid}}}})
                .toJson(QJsonDocument::Compact);
        const auto build = r.build;
        const qint64 total = m_size;
        r.build = [build, total](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setHeader(QNetworkRequest::ContentTypeHeader,
                        QByteArrayLiteral("application/json; charset=UTF-8"));
            q.setRawHeader("X-Upload-Content-Type", "application/octet-stream");
            q.setRawHeader("X-Upload-Content-Length", QByteArray::number(total));
            return q;
        };
        r.openBody = [meta] { return gdrive::jsonBody(meta); };
        r.bodySize = meta.size();
        auto self = shared_from_this();
        m_drive->call(m_job, std::move(r), [self](HttpExchange& x) { self->sessionCreated(x); });
    }

    void sessionCreated(HttpExchange& x)
    {
        if (x.error())
            return m_job->complete(x.error());
        m_session = QUrl(QString::fromLatin1(x.header("Location")), QUrl::StrictMode);
        if (!m_session.isValid() || (m_session.scheme() != QLatin1String("https") &&
                                     m_session.scheme() != QLatin1String("http")))
            return m_job->complete(Error::make(
                Error::Kind::Fatal, GDriveProvider::tr("%1: Drive gave no upload session address")
                                        .arg(what(GDriveProvider::tr("Uploading")))));
        keepSession();
        sendFrom(0);
    }

    // A killed process finds it on the next float and resumes the session.
    void keepSession()
    {
        if (m_sessionFile.isEmpty())
            return;
        QDir().mkpath(QFileInfo(m_sessionFile).path());
        QSaveFile f(m_sessionFile);
        if (!f.open(QIODevice::WriteOnly))
            return;
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        f.write(QJsonDocument(
                    QJsonObject{{QStringLiteral("url"), m_session.toString(QUrl::FullyEncoded)},
                                {QStringLiteral("size"), m_size}})
                    .toJson(QJsonDocument::Compact));
        f.commit();
    }

    // 3. Bytes [offset, size) in one request, sent once (NetworkJob::Attempts::Once): a drop is
    // followed, after backoff, by asking the session what it kept.
    void sendFrom(qint64 offset)
    {
        HttpExchange::Request r =
            m_drive->request("PUT", m_session, what(GDriveProvider::tr("Uploading")));
        const auto build = r.build;
        const qint64 total = m_size;
        r.build = [build, offset, total](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                           QNetworkRequest::ManualRedirectPolicy);
            q.setHeader(QNetworkRequest::ContentTypeHeader,
                        QByteArrayLiteral("application/octet-stream"));
            q.setRawHeader("Content-Range", "bytes " + QByteArray::number(offset) + '-' +
                                                QByteArray::number(total - 1) + '/' +
                                                QByteArray::number(total));
            return q;
        };
        r.openBody = [src = m_source, from = m_start + offset, length = m_size - offset] {
            return UploadBody::create(src, from, length);
        };
        r.bodySize = m_size - offset;
        r.acceptedStatuses = {308, 404, 410};
        m_job->setProgressWindow(offset, m_size);
        auto self = shared_from_this();
        m_drive->call(
            m_job, std::move(r), [self](HttpExchange& x) { self->sent(x); },
            NetworkJob::Attempts::Once);
    }

    void sent(HttpExchange& x)
    {
        if (x.error()) {
            const RetryPolicy policy = m_drive->retryPolicy();
            if (!policy.shouldRetry(x.error(), ++m_failures))
                return m_job->complete(x.error());
            auto self = shared_from_this();
            QTimer::singleShot(policy.delayMs(x.error(), m_failures), m_job,
                               [self] { self->askSession(); });
            return;
        }
        if (x.status() == 308) {
            m_failures = 0;
            return sendFrom(nextOffset(x.header("Range")));
        }
        if (x.status() == 404 || x.status() == 410)
            return askSession();
        uploaded(x.body());
    }

    // The session's status: what it kept (308 + Range), or that it is complete.
    void askSession()
    {
        HttpExchange::Request r =
            m_drive->request("PUT", m_session, what(GDriveProvider::tr("Resuming")));
        const auto build = r.build;
        const qint64 total = m_size;
        r.build = [build, total](const HttpExchange::Attempt& a) {
            QNetworkRequest q = build(a);
            q.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                           QNetworkRequest::ManualRedirectPolicy);
            q.setHeader(QNetworkRequest::ContentLengthHeader, 0);
            q.setRawHeader("Content-Range", "bytes */" + QByteArray::number(total));
            return q;
        };
        r.acceptedStatuses = {308, 404, 410};
        auto self = shared_from_this();
        m_drive->call(m_job, std::move(r), [self](HttpExchange& x) { self->asked(x); });
    }

    void asked(HttpExchange& x)
    {
        if (x.error())
            return m_job->complete(x.error());
        if (x.status() == 308)
            return sendFrom(nextOffset(x.header("Range")));
        if (x.status() == 404 || x.status() == 410) {
            // Expired (after about a week) or unknown: a new session.
            if (!m_sessionFile.isEmpty())
                QFile::remove(m_sessionFile);
            if (!m_newSession)
                return m_job->complete(Error::make(
                    Error::Kind::Retryable, GDriveProvider::tr("%1: the upload session vanished")
                                                .arg(what(GDriveProvider::tr("Uploading")))));
            return startSession();
        }
        uploaded(x.body());
    }

    // 4. Drive's size and SHA-256 must be the chunk's (the CID is its SHA-256).
    void uploaded(const QByteArray& body)
    {
        const QJsonObject f = QJsonDocument::fromJson(body).object();
        const QString id = f.value(QStringLiteral("id")).toString();
        const qint64 got = f.value(QStringLiteral("size")).toString().toLongLong();
        const QString sha = f.value(QStringLiteral("sha256Checksum")).toString();
        const QString expectedSha = QString::fromLatin1(cid::toSha256(m_cid).toHex());
        if (!m_sessionFile.isEmpty())
            QFile::remove(m_sessionFile);
        if (id.isEmpty() || got != m_size || (!sha.isEmpty() && sha != expectedSha)) {
            if (gdrive::isFileId(id))
                m_drive->discardFile(id); // not our bytes: not left under the chunk's name
            return m_job->complete(
                Error::make(Error::Kind::Corrupt,
                            GDriveProvider::tr(
                                "%1: Drive stored %2 bytes with SHA-256 %3, not the %4 bytes sent")
                                .arg(what(GDriveProvider::tr("Uploading")))
                                .arg(got)
                                .arg(sha.isEmpty() ? GDriveProvider::tr("(none)") : sha)
                                .arg(m_size)));
        }
        m_job->setLocator(id);
        m_job->complete(Error::none());
    }

    GDriveProvider* m_drive; // alive while the job is: the job holds a lease on it
    DriveJob* m_job = nullptr;
    const QString m_cid;
    const std::shared_ptr<QIODevice> m_source;
    const qint64 m_start; // the chunk's first byte in the source
    const qint64 m_size;
    const QString m_sessionFile;
    const QString m_subject;
    QUrl m_session;
    int m_failures = 0;       // dropped or failed pieces in a row
    bool m_newSession = true; // may still start one after a 404 of a kept session
};

ProviderJob* GDriveProvider::save(const QString& cid, std::unique_ptr<QIODevice> source,
                                  qint64 size)
{
    auto steps = std::make_shared<GDriveSaveSteps>(
        this, cid, std::shared_ptr<QIODevice>(std::move(source)), size);
    return new DriveJob(this, [steps](DriveJob& job) { steps->run(job); });
}

} // namespace mf
