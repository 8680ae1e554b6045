#pragma once

#include "megaapi.h"
#include "megacrypto.h"
#include "megasession.h"
#include "providers/network/networkprovider.h"

#include <QHash>
#include <QUrl>

namespace mf {

class ProviderFactory;
class MegaProvider;
template <class Adapter> class StepsJob;
using MegaJob = StepsJob<MegaProvider>;

// Registers the "mega" kind: its fields, its maker, and its sign-in (the password is exchanged
// for a session before anything is stored).
void registerMegaKind(ProviderFactory& factory);

// Chunk objects as files in one folder of a MEGA account (default "ModelFloat"), one file per
// chunk named by its CID, encrypted and MACed exactly as MEGA's own clients do, so any MEGA
// client can open them. No MEGA SDK: the command API (core/providers/mega/megaapi.h) and MEGA's
// crypto on libcrypto.
//
// Locator: "<node handle>:<node key sealed with the master key, base64url>". A get, stat or
// remove needs nothing else (no tree walk); the sealed key is what MEGA itself stores, useless
// without the master key in the keychain.
//
// The node tree is read once per adapter (`f`, on the first put or list) into a CID -> node map
// for the folder, then kept current by this adapter's own puts and removes; list() reads it
// again.
//
// Secrets: {"session","masterKey","userHandle"} from a sign-in (ProviderSetup runs it through
// the kind's signIn, so the password never reaches the keychain). Given a password instead (the
// settings form's "Test" before saving), the adapter signs in itself, in memory only. A session
// that MEGA ends (-15) is an Authentication error that asks to sign in again.
class MegaProvider final : public NetworkProvider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MegaProvider)

public:
    struct Options
    {
        QString email;
        QString folder = QStringLiteral("ModelFloat");
        QUrl apiUrl = QUrl(QStringLiteral("https://g.api.mega.co.nz/"));
        int concurrency = 8;
        qint64 postBytes = 8 * 1024 * 1024; // upload POSTs carry whole MAC chunks up to this
    };

    MegaProvider(const QString& displayName, const ProviderContext& context,
                 const QString& secretsKey, const Options& options);
    ~MegaProvider() override;

    QString kind() const override { return QStringLiteral("mega"); }
    const Options& options() const { return m_options; }
    mega::Api* api() { return &m_api; }

    ProviderJob* findStored(const QString& cid, qint64 size) override;
    ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size) override;
    ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                     qint64 length = -1) override;
    ProviderJob* stat(const QString& locator) override;
    ProviderJob* remove(const QString& locator) override;
    ProviderJob* list() override;
    ProviderJob* usage() override;

    // Catalog objects (megacatalog.cpp): files in the folder named by their catalog name.
    bool keepsCatalog() const override { return true; }
    ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes) override;
    ProviderJob* readCatalogObject(const QString& name) override;
    ProviderJob* listCatalogObjects(const QString& folder) override;
    ProviderJob* removeCatalogObject(const QString& name) override;

    static QString makeLocator(const QString& handle, const QByteArray& sealedKey);
    static bool parseLocator(const QString& locator, QString* handle, QByteArray* sealedKey);

protected:
    QString where() const override;

private:
    friend class MegaCatalogSteps;
    friend class MegaUploadSteps;

    struct Node
    {
        QString handle;
        qint64 size = -1;
        QByteArray sealedKey; // the node key as stored, under the master key
        qint64 ts = 0;        // when MEGA made the node (seconds since the epoch, MEGA's clock)
    };
    using Ready = std::function<void(const Error&)>;

    // Uploads `size` bytes of `source` (at its position) as a new file named `name` in the
    // folder, with `attributes` besides its name; `stored` gets the new node's handle and sealed
    // key. Errors complete the job.
    void uploadFile(MegaJob* job, const QString& name, const QJsonObject& attributes,
                    std::shared_ptr<QIODevice> source, qint64 size,
                    std::function<void(const QString&, const QByteArray&)> stored);
    // Writes bytes [offset, offset + length) of a file node to `sink`, decrypted (a whole file's
    // MAC checked); `done` gets the outcome.
    void downloadNode(MegaJob* job, const QString& handle, const QByteArray& sealedKey,
                      ByteSink* sink, qint64 offset, qint64 length, Ready done);

    // Sends a command of the API for `job`; `then` gets its reply only while the job still runs.
    void command(MegaJob* job, const QJsonObject& cmd,
                 std::function<void(const mega::Reply&)> then);

    // The session from the secrets (or a sign-in with the password in them).
    void ensureSession(MegaJob* job, Ready then);
    // The folder's handle and the CID -> node map (one `f`, shared by every job waiting on it);
    // `refresh` reads the tree again.
    void ensureTree(MegaJob* job, bool refresh, Ready then);
    void onTree(const mega::Reply& r);
    void createFolder(const QString& root);
    void treeDone(const Error& e);
    // A sealed file key -> the key; nullopt when it does not open.
    std::optional<mega::FileKey> openKey(const QByteArray& sealedKey) const;
    Error sessionEndedError() const;
    Error notSignedInError() const;
    void addNode(const QString& cid, const Node& node);
    void forgetHandle(const QString& handle);

    Options m_options;
    mega::Api m_api;
    mega::Session m_session;
    bool m_sessionReady = false;
    std::vector<std::pair<QPointer<QObject>, Ready>> m_sessionWaiters;
    bool m_signingIn = false;

    QString m_folderHandle;
    bool m_treeLoaded = false;
    bool m_treeLoading = false;
    std::vector<std::pair<QPointer<QObject>, Ready>> m_treeWaiters;
    QHash<QString, Node> m_index;    // CID -> node in the folder
    QHash<QString, QString> m_cidOf; // node handle -> CID
    // The attribute that marks a file of the folder as a catalog object (MEGA keeps attributes
    // it does not know; its clients show the file by its name).
    static constexpr const char* CatalogAttribute = "mfCatalog";
    // Catalog name -> its file nodes in the folder (names are not unique on MEGA: a write
    // deletes the older ones, a reader takes the newest).
    QMultiHash<QString, Node> m_catalog;
    QDateTime m_treeTime; // MEGA's clock when the tree was read
};

} // namespace mf
