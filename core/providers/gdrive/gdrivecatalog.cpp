// GDriveProvider's catalog objects (docs/catalog.md, docs/gdrive.md): Drive files in the
// ModelFloat folder beside the chunks, each named by its catalog name ("states/<vault>.<seq>")
// and tagged with it in appProperties (mfCatalog, and mfCatalogFolder for one-folder listings),
// so that every lookup is one exact query and list() tells them from chunks. A multipart upload
// creates a file whole or not at all; names are not unique on Drive, so a write creates the new
// file first and then deletes the older files of that name, and a reader takes the newest.
#include "gdriveprovider.h"
#include "providers/network/stepsjob.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

#include <algorithm>

namespace mf {

namespace {

const QString NameProperty = QStringLiteral("mfCatalog");
const QString FolderProperty = QStringLiteral("mfCatalogFolder");

// One file of a catalog name, as files.list describes it.
struct DriveCatalogFile
{
    QString id;
    QString name; // the catalog name (appProperties.mfCatalog)
    qint64 size = -1;
    QDateTime modified;
};

QList<DriveCatalogFile> catalogFilesOf(const QByteArray& listing, QString* nextPage)
{
    const QJsonObject o = QJsonDocument::fromJson(listing).object();
    *nextPage = o.value(QStringLiteral("nextPageToken")).toString();
    QList<DriveCatalogFile> out;
    for (const QJsonValue v : o.value(QStringLiteral("files")).toArray()) {
        DriveCatalogFile f;
        f.id = v[QStringLiteral("id")].toString();
        f.name = v[QStringLiteral("appProperties")][NameProperty].toString();
        f.size = v[QStringLiteral("size")].toString(QStringLiteral("-1")).toLongLong();
        f.modified =
            QDateTime::fromString(v[QStringLiteral("modifiedTime")].toString(), Qt::ISODateWithMs);
        if (!f.id.isEmpty() && Provider::isValidCatalogName(f.name))
            out.append(f);
    }
    return out;
}

// Newest first; among files of one second, the larger id, so that every reader picks the same.
bool newerFirst(const DriveCatalogFile& a, const DriveCatalogFile& b)
{
    if (a.modified != b.modified)
        return a.modified > b.modified;
    return a.id > b.id;
}

} // namespace

// The steps of one catalog operation, run by a DriveJob (which holds them).
class GDriveCatalogSteps : public std::enable_shared_from_this<GDriveCatalogSteps>
{
public:
    enum class Operation { Write, Read, List, Remove };

    GDriveCatalogSteps(GDriveProvider* drive, Operation operation, const QString& name,
                       const QByteArray& bytes)
        : m_drive(drive)
        , m_operation(operation)
        , m_name(name)
        , m_bytes(bytes)
    {}

    void run(DriveJob& job)
    {
        m_job = &job;
        if (!Provider::isValidCatalogName(m_name))
            return m_job->complete(Error::make(
                Error::Kind::Fatal, QObject::tr("“%1” is not a catalog object name of “%2”")
                                        .arg(m_name, m_drive->displayName())));
        auto self = shared_from_this();
        m_drive->ensureFolder(m_job, [self](const Error& e) {
            if (e)
                return self->m_job->complete(e);
            switch (self->m_operation) {
            case Operation::Write:
                return self->upload();
            case Operation::Read:
                return self->findFiles(QString(), [self] { self->download(); });
            case Operation::List:
                return self->findFiles(QString(), [self] { self->listed(); });
            case Operation::Remove:
                return self->findFiles(QString(), [self] { self->deleteFiles(QString()); });
            }
        });
    }

private:
    QString what(const QString& verb) const
    {
        return m_drive->what(verb, m_operation == Operation::List
                                       ? QObject::tr("catalog folder %1").arg(m_name)
                                       : QObject::tr("catalog object %1").arg(m_name));
    }

    // Every file of the name (or, listing, of the folder), one page after another.
    void findFiles(const QString& pageToken, std::function<void()> then)
    {
        const QString tag = m_operation == Operation::List ? FolderProperty : NameProperty;
        QList<QPair<QString, QString>> query{
            {QStringLiteral("q"),
             QStringLiteral("%1 in parents and appProperties has { key='%2' and value=%3 } and "
                            "trashed = false")
                 .arg(GDriveProvider::quoted(m_drive->m_folderId), tag,
                      GDriveProvider::quoted(m_name))},
            {QStringLiteral("pageSize"), QStringLiteral("1000")},
            {QStringLiteral("fields"),
             QStringLiteral("nextPageToken,files(id,size,modifiedTime,appProperties)")}};
        if (!pageToken.isEmpty())
            query.append({QStringLiteral("pageToken"), pageToken});
        auto self = shared_from_this();
        m_drive->call(m_job,
                      m_drive->request("GET",
                                       m_drive->apiUrl(QStringLiteral("drive/v3/files"), query),
                                       what(QObject::tr("Listing"))),
                      [self, then](HttpExchange& x) {
                          if (x.error())
                              return self->m_job->complete(x.error());
                          if (!self->m_serverTime.isValid())
                              self->m_serverTime = HttpExchange::parseHttpDate(x.header("Date"));
                          QString next;
                          self->m_files += catalogFilesOf(x.body(), &next);
                          if (next.isEmpty())
                              return then();
                          self->findFiles(next, then);
                      });
    }

    void listed()
    {
        std::sort(m_files.begin(), m_files.end(), newerFirst);
        QSet<QString> seen;
        for (const DriveCatalogFile& f : std::as_const(m_files)) {
            // Only the objects right in the folder, each name once (its newest file).
            if (Provider::catalogFolderOf(f.name) != m_name || seen.contains(f.name))
                continue;
            seen.insert(f.name);
            m_job->catalogObjects().append({f.name, f.size, f.modified});
        }
        m_job->setServerTime(m_serverTime);
        m_job->complete(Error::none());
    }

    void download()
    {
        if (m_files.isEmpty())
            return m_job->complete(
                Error::make(Error::Kind::NotFound, what(QObject::tr("Reading")) +
                                                       QObject::tr(": there is no such object")));
        const DriveCatalogFile newest =
            *std::min_element(m_files.cbegin(), m_files.cend(), newerFirst);
        const qint64 limit = Provider::catalogObjectLimit(m_name);
        if (newest.size > limit)
            return m_job->complete(
                Provider::catalogObjectTooLarge(what(QObject::tr("Reading")), m_name, newest.size));
        HttpExchange::Request r =
            m_drive->request("GET",
                             m_drive->apiUrl(QStringLiteral("drive/v3/files/") + newest.id,
                                             {{QStringLiteral("alt"), QStringLiteral("media")}}),
                             what(QObject::tr("Reading")));
        r.maxCollectBytes = limit;
        auto self = shared_from_this();
        m_drive->call(m_job, std::move(r), [self](HttpExchange& x) {
            if (!x.error())
                self->m_job->setData(x.body());
            self->m_job->complete(x.error());
        });
    }

    // One multipart upload: the metadata and the bytes, created whole or not at all.
    void upload()
    {
        auto self = shared_from_this();
        m_drive->paceCreation(m_job, [self] {
            GDriveProvider* drive = self->m_drive;
            const QByteArray boundary =
                "mf-" + QUuid::createUuid().toString(QUuid::Id128).toLatin1();
            const QByteArray meta =
                QJsonDocument(
                    QJsonObject{
                        {QStringLiteral("name"), self->m_name},
                        {QStringLiteral("parents"), QJsonArray{drive->m_folderId}},
                        {QStringLiteral("appProperties"),
                         QJsonObject{{NameProperty, self->m_name},
                                     {FolderProperty, Provider::catalogFolderOf(self->m_name)}}}})
                    .toJson(QJsonDocument::Compact);
            const QByteArray body =
                "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
                meta + "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\n\r\n" +
                self->m_bytes + "\r\n--" + boundary + "--\r\n";
            HttpExchange::Request r = drive->request(
                "POST",
                drive->apiUrl(QStringLiteral("upload/drive/v3/files"),
                              {{QStringLiteral("uploadType"), QStringLiteral("multipart")},
                               {QStringLiteral("fields"), QStringLiteral("id")}}),
                self->what(QObject::tr("Writing")));
            const auto build = r.build;
            r.build = [build, boundary](const HttpExchange::Attempt& a) {
                QNetworkRequest q = build(a);
                q.setHeader(QNetworkRequest::ContentTypeHeader,
                            QByteArray("multipart/related; boundary=" + boundary));
                return q;
            };
            r.openBody = [body] {
                auto b = std::make_unique<QBuffer>();
                b->setData(body);
                b->open(QIODevice::ReadOnly);
                return std::unique_ptr<QIODevice>(std::move(b));
            };
            r.bodySize = body.size();
            drive->call(self->m_job, std::move(r), [self](HttpExchange& x) {
                if (x.error())
                    return self->m_job->complete(x.error());
                const QString id = QJsonDocument::fromJson(x.body())
                                       .object()
                                       .value(QStringLiteral("id"))
                                       .toString();
                if (id.isEmpty())
                    return self->m_job->complete(
                        Error::make(Error::Kind::Retryable,
                                    self->what(QObject::tr("Writing")) +
                                        QObject::tr(": Drive answered without a file id")));
                // The older files of the name go now: the new one replaces them.
                self->findFiles(QString(), [self, id] { self->deleteFiles(id); });
            });
        });
    }

    // Deletes every file found but `keep`, one after another.
    void deleteFiles(const QString& keep)
    {
        m_files.removeIf([&keep](const DriveCatalogFile& f) { return f.id == keep; });
        if (m_files.isEmpty())
            return m_job->complete(Error::none());
        const QString id = m_files.takeLast().id;
        HttpExchange::Request r =
            m_drive->request("DELETE", m_drive->apiUrl(QStringLiteral("drive/v3/files/") + id),
                             what(QObject::tr("Deleting")));
        r.acceptedStatuses = {404};
        auto self = shared_from_this();
        m_drive->call(m_job, std::move(r), [self, keep](HttpExchange& x) {
            if (x.error())
                return self->m_job->complete(x.error());
            self->deleteFiles(keep);
        });
    }

    GDriveProvider* m_drive;
    Operation m_operation;
    QString m_name;
    QByteArray m_bytes;
    DriveJob* m_job = nullptr;
    QList<DriveCatalogFile> m_files;
    QDateTime m_serverTime;
};

namespace {

ProviderJob* catalogJob(GDriveProvider* drive, GDriveCatalogSteps::Operation operation,
                        const QString& name, const QByteArray& bytes = {})
{
    auto steps = std::make_shared<GDriveCatalogSteps>(drive, operation, name, bytes);
    return new DriveJob(drive, [steps](DriveJob& job) { steps->run(job); });
}

} // namespace

bool GDriveProvider::isCatalogFile(const QJsonObject& appProperties)
{
    return appProperties.contains(NameProperty);
}

ProviderJob* GDriveProvider::writeCatalogObject(const QString& name, const QByteArray& bytes)
{
    return catalogJob(this, GDriveCatalogSteps::Operation::Write, name, bytes);
}

ProviderJob* GDriveProvider::readCatalogObject(const QString& name)
{
    return catalogJob(this, GDriveCatalogSteps::Operation::Read, name);
}

ProviderJob* GDriveProvider::listCatalogObjects(const QString& folder)
{
    return catalogJob(this, GDriveCatalogSteps::Operation::List, folder);
}

ProviderJob* GDriveProvider::removeCatalogObject(const QString& name)
{
    return catalogJob(this, GDriveCatalogSteps::Operation::Remove, name);
}

} // namespace mf
