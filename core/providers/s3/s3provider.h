#pragma once

#include "providers/network/networkprovider.h"
#include "registry/records.h"
#include "sigv4signer.h"

#include <QUrl>

#include <optional>

namespace mf {

class ProviderFactory;

// Registers the "s3" kind (its fields and its maker) with the factory.
void registerS3Kind(ProviderFactory& factory);

// An S3-compatible bucket (AWS S3, MinIO, Ceph, Backblaze B2, Cloudflare R2, ...): every request
// signed with Signature Version 4 over the body's real SHA-256, chunk objects under a key prefix
// of their own per vault ("<prefix>chunks/<cid>"), multipart uploads above a threshold.
class S3Provider final : public NetworkProvider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(S3Provider)

public:
    struct Settings
    {
        QUrl endpoint; // "https://s3.eu-central-1.amazonaws.com"
        QString region = QStringLiteral("us-east-1");
        QString bucket;
        bool virtualHosted = false; // bucket in the host name instead of the path
        QString prefix;             // ends with '/'; "modelfloat/<vault id>/" by default
        QString accessKeyId;
        qint64 multipartThreshold = 64LL << 20; // objects above this go up in parts
        qint64 partSize = 8LL << 20;            // at least 5 MiB (S3's minimum)
        int concurrency = 8;
        qint64 quotaBytes = -1; // the provider record's quota

        // Reads a provider record's settings; nullopt (and *error) when they are unusable.
        static std::optional<Settings> fromRecord(const ProviderRecord& record,
                                                  const QString& vaultId, QString* error);
    };

    S3Provider(const QString& displayName, const Settings& settings, const ProviderContext& context,
               const QString& secretsKey);
    ~S3Provider() override;

    QString kind() const override { return QStringLiteral("s3"); }
    const Settings& settings() const { return m_settings; }
    // The object key of a chunk.
    QString keyFor(const QString& cid) const;

    ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size) override;
    ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                     qint64 length = -1) override;
    ProviderJob* stat(const QString& locator) override;
    ProviderJob* remove(const QString& locator) override;
    ProviderJob* list() override;
    ProviderJob* usage() override;
    QString locatorFor(const QString& cid, qint64 size) const override;
    bool keepsCatalog() const override { return true; }

    // Catalog objects are objects under "<prefix>catalog/" (s3catalog.cpp).
    ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes) override;
    ProviderJob* readCatalogObject(const QString& name) override;
    ProviderJob* listCatalogObjects(const QString& folder) override;
    ProviderJob* removeCatalogObject(const QString& name) override;
    // The bucket's key prefixes "modelfloat/<id>/" that hold a catalog ({"prefix": …} each).
    ProviderJob* findStores() override;
    // The object key of a catalog object.
    QString catalogKey(const QString& name) const;

    // Keys per ListObjectsV2 page (S3's maximum and default is 1000); tests make it small.
    void setListPageSize(int keys) { m_listPageSize = keys; }
    int listPageSize() const { return m_listPageSize; }

    // --- for the provider's jobs ---
    // A signed request for `key` (empty: the bucket itself) with raw query pairs and further
    // headers to sign; payloadSha256Hex is the body's SHA-256.
    QNetworkRequest signedRequest(const QByteArray& method, const QString& key,
                                  const s3::SigV4Signer::Pairs& query,
                                  const s3::SigV4Signer::Pairs& headers,
                                  const QByteArray& payloadSha256Hex) const;
    // Ends an unfinished multipart upload so its parts stop taking space; not awaited (the job
    // that started it may be gone), its outcome only logged.
    void abortMultipartUpload(const QString& key, const QString& uploadId);

private:
    Settings m_settings;
    int m_listPageSize = 1000;
};

} // namespace mf
