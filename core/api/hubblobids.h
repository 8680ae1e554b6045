#pragma once

#include "registry/records.h"

#include <QHash>
#include <QObject>

#include <memory>

namespace mf {
class Vault;
class RangeJob;
} // namespace mf

namespace mf::api {

class HashingDevice;

// The git blob ids (sha1 of "blob <size>\0" + content) of files the Hub would keep in plain git
// (hfcache::storedInLfs() is false): the Hub's clients take that id as such a file's ETag and
// name its blob in their caches by it, so the local API must know it. The registry knows only
// a file's SHA-256, so the id is computed once from the file's verified bytes (at most
// hfcache::MaxGitFileBytes) and kept here, by SHA-256, for as long as the server runs.
class HubBlobIds
{
public:
    // The id of the content with this SHA-256, or empty when not computed yet.
    QByteArray find(const QByteArray& sha256) const { return m_ids.value(sha256); }
    void insert(const QByteArray& sha256, const QByteArray& id) { m_ids.insert(sha256, id); }
    // Those of `files` that are in plain git and whose id is not known yet.
    QList<FileRecord> missing(const QList<FileRecord>& files) const;

private:
    QHash<QByteArray, QByteArray> m_ids;
};

// Reads each of `files` through a RangeJob (every chunk verified against its CID) into a
// SHA-1, one after the other, and records the ids in `ids`. Ends with one finished(): error()
// is empty when every id is known.
class HubBlobIdJob final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubBlobIdJob)

public:
    HubBlobIdJob(Vault* vault, HubBlobIds* ids, QList<FileRecord> files, QObject* parent);
    ~HubBlobIdJob() override;
    void start();
    void abort();
    QString error() const { return m_error; }

Q_SIGNALS:
    void finished();

private:
    void next();
    void onRead();

    Vault* m_vault;
    HubBlobIds* m_ids;
    QList<FileRecord> m_files;
    int m_index = -1;
    std::unique_ptr<HashingDevice> m_sink;
    RangeJob* m_job = nullptr;
    QString m_error;
    bool m_aborted = false;
};

} // namespace mf::api
