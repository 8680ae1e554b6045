#pragma once

#include "hubrepo.h"
#include "importcheckpoints.h"

#include "transfer/streamchunksource.h"

#include <QCryptographicHash>
#include <QPointer>

namespace mf {

class HubClient;
class HubDownloadJob;

// A file of a Hub repo as a stream of chunks (StreamChunkSource), fed by its download.
//
// Verification: at the end of the stream the whole file's SHA-256 (LFS files) or git blob sha1
// (regular files) must equal what the Hub listed; otherwise the source fails, so the file is
// never marked complete, and its checkpoints are dropped so the next attempt starts over.
//
// Resume (LFS files): the hash states at chunk boundaries go to the file's ImportCheckpoints,
// and a resumed source downloads only the rest with a Range request. Regular files are small
// and verified by their git sha1 over the whole content, so they always start over.
class HubFileSource final : public StreamChunkSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubFileSource)

public:
    HubFileSource(HubClient* client, const HubRepo& repo, const HubFile& file,
                  const ChunkerParams& params, const QString& checkpointPath, const Resume& resume,
                  QObject* parent = nullptr);
    ~HubFileSource() override;

    qint64 bytesDownloaded() const { return bytesStreamed(); }
    // The bytes did not match the Hub's hash.
    bool isCorrupt() const { return m_corrupt; }

protected:
    void startFeed(qint64 offset) override;
    void abortFeed() override;
    void pauseFeed(bool paused) override;
    void tap(const char* data, qint64 size) override;
    bool keepsHashStates() const override { return m_file.isLfs(); }
    bool beginFresh(QString* error) override;
    void checkpoint(qint64 end, const QByteArray& state) override;
    QString verifyStream(const QByteArray& sha256) override;
    QString feedName() const override;

private:
    void onDownloadFinished();

    HubClient* m_client;
    HubRepo m_repo;
    HubFile m_file;
    ImportCheckpoints m_checkpoints;
    QPointer<HubDownloadJob> m_download;
    QCryptographicHash m_gitHash{QCryptographicHash::Sha1};
    qint64 m_tapped = 0;
    bool m_corrupt = false;
};

} // namespace mf
