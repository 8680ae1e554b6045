#pragma once

#include "providers/network/networkprovider.h"
#include "sigv4signer.h"

#include <QList>
#include <QMutex>
#include <QPair>
#include <QPointer>
#include <QWaitCondition>

#include <memory>

namespace mf {

class ByteSink;
class S3Provider;

// What every S3 operation shares: signed exchanges whose errors are read from S3's error XML.
class S3Job : public NetworkJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(S3Job)

public:
    ~S3Job() override;

protected:
    explicit S3Job(S3Provider* provider);

    S3Provider* s3() const;
    // False (and the job completed with an Authentication error) when no secret is stored.
    bool checkSecret();
    // An exchange for `key` (empty: the bucket) whose request is signed afresh on every attempt;
    // `what` names it in messages. The body, if any, must have SHA-256 `payloadSha256Hex`.
    HttpExchange::Request
    request(const QByteArray& method, const QString& key, const s3::SigV4Signer::Pairs& query,
            const QString& what,
            const QByteArray& payloadSha256Hex = s3::SigV4Signer::EmptyPayloadSha256,
            const s3::SigV4Signer::Pairs& headers = {}) const;
    // "Uploading chunk bafk… to “name”" and the like.
    QString what(const QString& action) const;
};

// PutObject of a chunk, or a multipart upload above the provider's threshold (Provider::put()
// has looked for the object first).
class S3PutJob final : public S3Job
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(S3PutJob)

public:
    S3PutJob(S3Provider* provider, const QString& cid, std::unique_ptr<QIODevice> source,
             qint64 size);
    ~S3PutJob() override;

private:
    void run() override;
    void putWhole();
    void startMultipart();
    void readPart();
    void onPartRead(const QByteArray& bytes, const QByteArray& sha256Hex, const QString& error);
    void sendPart(const QByteArray& bytes, const QByteArray& sha256Hex);
    void completeMultipart(int attempt);
    void stored();
    void fail(const Error& error);

    QString m_cid;
    QString m_key;
    std::shared_ptr<QIODevice> m_source;
    qint64 m_start = 0;
    qint64 m_size;
    QByteArray m_sha256Hex;
    // Multipart state.
    QString m_uploadId;
    QList<QPair<int, QByteArray>> m_parts; // number, ETag
    qint64 m_partOffset = 0;
    bool m_multipartDone = false;
    QMutex m_readMutex; // a part is read on the thread pool; the destructor waits for it
    QWaitCondition m_readDone;
    bool m_reading = false;
    QPointer<S3Provider> m_provider;
};

// GetObject, with Range for a part of the object and to resume after a broken connection.
class S3GetJob final : public S3Job
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(S3GetJob)

public:
    S3GetJob(S3Provider* provider, const QString& key, ByteSink* sink, qint64 offset,
             qint64 length);
    ~S3GetJob() override;

private:
    void run() override;

    QString m_key;
    ByteSink* m_sink;
    qint64 m_offset;
    qint64 m_length;
};

// HeadObject (stat) or DeleteObject (remove; a missing object counts as removed).
class S3ObjectJob final : public S3Job
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(S3ObjectJob)

public:
    enum class Operation { Stat, Remove };
    S3ObjectJob(S3Provider* provider, Operation operation, const QString& key);
    ~S3ObjectJob() override;

private:
    void run() override;
    void head(std::function<void(qint64 size)> then);
    void deleteObject();

    Operation m_operation;
    QString m_key;
};

// ListObjectsV2 over the vault's chunk prefix, page after page (list), summed (usage).
class S3ListJob final : public S3Job
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(S3ListJob)

public:
    S3ListJob(S3Provider* provider, bool usageOnly);
    ~S3ListJob() override;

private:
    void run() override;
    void requestPage(const QString& continuationToken);

    bool m_usageOnly;
    qint64 m_total = 0;
    int m_pages = 0;
};

} // namespace mf
