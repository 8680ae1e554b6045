#pragma once

#include "gdriveauth.h"
#include "providers/network/networkprovider.h"

#include <QUrl>

#include <deque>

namespace mf {

class ProviderFactory;

class GDriveProvider;
template <class Adapter> class StepsJob;
using DriveJob = StepsJob<GDriveProvider>;

// Chunk objects in a Google Drive folder (Drive API v3, scope drive.file): one Drive file per
// chunk, named by its CID, with the CID also in appProperties so a lookup is one exact query.
// The locator is the Drive file id. Uploads are resumable sessions whose address is kept in the
// vault's temporary folder, so a dropped connection or a killed process resumes the same upload
// with a status query instead of sending the chunk again. Access tokens come from the refresh
// token in the keychain (gdrive::TokenSource). Drive's daily upload cap becomes a provider
// budget ("no uploads until T", docs/providers.md); creations are paced (Drive allows about 2-3
// new files a second). Protocol notes: docs/gdrive.md.
class GDriveProvider final : public NetworkProvider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GDriveProvider)

public:
    struct Options
    {
        QString folder = QStringLiteral("ModelFloat");
        QUrl apiUrl;   // https://www.googleapis.com/ (ends with '/')
        QUrl authUrl;  // https://accounts.google.com/o/oauth2/v2/auth
        QUrl tokenUrl; // https://oauth2.googleapis.com/token
        QString clientId;
        int concurrency = 8;
        double createsPerSecond = 3; // 0: not paced
        int limitWaitSeconds = 3600; // how long uploads pause after Drive's daily cap
        QString sessionDirectory;    // where resumable session addresses are kept
    };

    // `settings`: the provider's settings, for its OAuth client (clientId, authUrl, tokenUrl);
    // its secrets hold the client secret and the refresh token.
    GDriveProvider(const QString& displayName, const ProviderContext& context,
                   const QString& secretsKey, const Options& options, const QJsonObject& settings);
    ~GDriveProvider() override;

    QString kind() const override { return QStringLiteral("gdrive"); }
    const Options& options() const { return m_options; }
    gdrive::TokenSource& tokens() { return m_tokens; }

    // A query by CID; a resumable session kept on disk (gdriveupload.cpp).
    ProviderJob* findStored(const QString& cid, qint64 size) override;
    ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size) override;
    ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                     qint64 length = -1) override;
    ProviderJob* stat(const QString& locator) override;
    ProviderJob* remove(const QString& locator) override;
    ProviderJob* list() override;
    ProviderJob* usage() override;

    // Catalog objects (gdrivecatalog.cpp): files in the folder tagged with their catalog name.
    bool keepsCatalog() const override { return true; }
    ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes) override;
    ProviderJob* readCatalogObject(const QString& name) override;
    ProviderJob* listCatalogObjects(const QString& folder) override;
    ProviderJob* removeCatalogObject(const QString& name) override;
    // Whether a file with these appProperties is a catalog object (never listed as a chunk).
    static bool isCatalogFile(const QJsonObject& appProperties);

    // A value inside a Drive query's single quotes, escaped.
    static QString quoted(QString value);

    // Drive's error body ({"error":{"code","message","errors":[{"reason"}]}}) as an Error.
    static Error classify(int status, const QByteArray& body, const QString& what,
                          int limitWaitSeconds, const QByteArray& retryAfter);
    // The file holding a chunk's resumable session address (exposed for tests).
    QString sessionFile(const QString& cid) const;

private:
    friend class GDriveCatalogSteps;
    friend class GDriveSaveSteps;

    gdrive::OAuthClient client() const; // gdrivekind.cpp
    QUrl apiUrl(const QString& path, const QList<QPair<QString, QString>>& query = {}) const;
    // An API request with the access token (refreshed first when due; once more after a 401).
    void call(DriveJob* job, HttpExchange::Request request, std::function<void(HttpExchange&)> then,
              NetworkJob::Attempts attempts = NetworkJob::Attempts::Retried,
              bool mayRefresh = true);
    HttpExchange::Request request(const QByteArray& method, const QUrl& url,
                                  const QString& what) const;
    void ensureFolder(DriveJob* job, std::function<void(const Error&)> then);
    // Calls `go` when a file creation may start (creations are paced).
    void paceCreation(QObject* owner, std::function<void()> go);
    QString what(const QString& verb, const QString& subject) const;
    // Best-effort delete that outlives the job (a file with the wrong bytes).
    void discardFile(const QString& id);

    Options m_options;
    QJsonObject m_settings;
    gdrive::TokenSource m_tokens;
    QString m_folderId;
    bool m_findingFolder = false;
    const QObject* m_folderFinder = nullptr; // the job whose requests look for the folder
    std::vector<std::pair<QPointer<QObject>, std::function<void(const Error&)>>> m_folderWaiters;
    qint64 m_nextCreationMs = 0;
};

// Registers the "gdrive" kind (fields, maker, sign-in) with the factory.
void registerGDriveKind(ProviderFactory& factory);

} // namespace mf
