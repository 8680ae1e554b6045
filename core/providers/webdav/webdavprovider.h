#pragma once

#include "providers/network/networkprovider.h"

#include <QSet>
#include <QStringList>
#include <QUrl>

namespace mf {

class ProviderFactory;
class WebDavProvider;
template <class Adapter> class StepsJob;
using WebDavJob = StepsJob<WebDavProvider>;

// Chunk objects on a WebDAV share (Nextcloud, ownCloud, Apache mod_dav, rclone serve webdav,
// ...): <url>/<folder>/<shard>/<cid>, sharded like the local provider (flatfs next-to-last/2).
// An object is PUT under a temporary name in <folder>/.partial/ (naming this process) and then
// MOVEd into place with "Overwrite: F", so a half-uploaded object is never visible under its
// real name, and one a killed process left is swept later (sweepTemporaries()). Collections
// are created on demand (MKCOL; 405 means it exists, 409 means create the parent first).
// Basic authentication; the password comes from the credential store.
class WebDavProvider final : public NetworkProvider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebDavProvider)

public:
    struct Options
    {
        QString url;      // as the user typed or copied it (Nextcloud's forms are fine)
        QString username; // empty: no authentication (or taken from a Nextcloud URL)
        QString folder;   // below the URL; empty: the URL itself
        int concurrency = 8;
    };

    // Checks and normalizes the settings; nullptr and `error` when they are unusable.
    static std::unique_ptr<WebDavProvider> create(const QString& displayName,
                                                  const ProviderContext& context,
                                                  const QString& secretsKey, Options options,
                                                  QString* error);
    ~WebDavProvider() override;

    QString kind() const override { return QStringLiteral("webdav"); }
    // The collection chunk objects go under (ends with '/').
    QUrl baseUrl() const { return collectionUrl(m_folder); }
    // The object URL of a chunk (exposed for tests and messages).
    QUrl objectUrl(const QString& cid) const;

    // PUT to .partial/, MKCOL the shard, MOVE into place (webdavput.cpp).
    ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size) override;
    ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                     qint64 length = -1) override;
    ProviderJob* stat(const QString& locator) override;
    ProviderJob* remove(const QString& locator) override;
    ProviderJob* list() override;
    ProviderJob* usage() override;
    // Removes uploads in .partial/ that a killed process left (util/temporaries.h).
    ProviderJob* sweepTemporaries() override;
    QString locatorFor(const QString& cid, qint64 size) const override;
    bool keepsCatalog() const override { return true; }

    // Catalog objects live in <folder>/catalog/, uploaded to .partial/ and MOVEd into place
    // (webdavcatalog.cpp).
    ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes) override;
    ProviderJob* readCatalogObject(const QString& name) override;
    ProviderJob* listCatalogObjects(const QString& folder) override;
    ProviderJob* removeCatalogObject(const QString& name) override;

    // Settings in, cleaned settings out: trims, adds the trailing '/', takes the user name from
    // a Nextcloud URL (…/remote.php/dav/files/USER/), refuses user info in the URL.
    static bool normalize(Options* options, QString* error);

private:
    friend class WebDavSaveSteps;

    WebDavProvider(const QString& displayName, const ProviderContext& context,
                   const QString& secretsKey, const Options& options);

    QUrl collectionUrl(const QStringList& segments) const;
    QUrl fileUrl(const QStringList& segments) const;
    QStringList objectSegments(const QString& cid) const;
    HttpExchange::Request request(const QByteArray& method, const QUrl& url,
                                  const QString& what) const;
    // Makes sure the collection `segments` (below the URL) exists, creating parents on 409.
    void ensureCollection(WebDavJob* job, const QStringList& segments,
                          std::function<void(const Error&)> then, int depth = 0);
    // Best-effort DELETE that outlives the job (a temporary upload that is no longer needed).
    void discard(const QUrl& url);
    QStringList catalogSegments(const QString& name) const;
    // The steps of writeCatalogObject once the temporary upload is in place.
    void moveCatalogObject(WebDavJob* job, const QUrl& tempUrl, const QString& name,
                           const QByteArray& bytes, bool mayCreateFolder);

    QUrl m_root;          // the account URL, ends with '/'
    QStringList m_folder; // segments below it
    QString m_username;
    QSet<QString> m_knownCollections;
    bool m_moveUnsupported = false;
};

// Registers the "webdav" kind (fields and maker) with the factory.
void registerWebDavKind(ProviderFactory& factory);

} // namespace mf
