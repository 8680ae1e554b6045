#include "hubfilesource.h"

#include "hubclient.h"

namespace mf {

HubFileSource::HubFileSource(HubClient* client, const HubRepo& repo, const HubFile& file,
                             const ChunkerParams& params, const QString& checkpointPath,
                             const Resume& resume, QObject* parent)
    : StreamChunkSource(file.path, file.size, params, resume, parent)
    , m_client(client)
    , m_repo(repo)
    , m_file(file)
    , m_checkpoints(checkpointPath)
{}

HubFileSource::~HubFileSource()
{
    delete m_download.data();
}

QString HubFileSource::feedName() const
{
    return tr("Downloading “%1”").arg(m_file.path);
}

bool HubFileSource::beginFresh(QString* error)
{
    if (m_checkpoints.reset())
        return true;
    *error = tr("Cannot write the import's checkpoint file “%1”").arg(m_checkpoints.path());
    return false;
}

void HubFileSource::checkpoint(qint64 end, const QByteArray& state)
{
    m_checkpoints.append(end, state);
}

void HubFileSource::startFeed(qint64 offset)
{
    m_download = new HubDownloadJob(m_client, m_repo, m_file, offset, m_file.size, this, this);
    connect(m_download, &HubDownloadJob::finished, this, &HubFileSource::onDownloadFinished);
    m_download->start();
}

void HubFileSource::abortFeed()
{
    if (m_download)
        m_download->abort(); // its finished() ends the feed
    else
        StreamChunkSource::abortFeed();
}

void HubFileSource::pauseFeed(bool paused)
{
    if (m_download)
        m_download->setPaused(paused);
}

void HubFileSource::tap(const char* data, qint64 size)
{
    if (m_file.isLfs())
        return;
    if (m_tapped == 0)
        m_gitHash.addData(QByteArray(QByteArray("blob ") + QByteArray::number(m_file.size) + '\0'));
    m_gitHash.addData(QByteArrayView(data, size));
    m_tapped += size;
}

void HubFileSource::onDownloadFinished()
{
    const Error error = m_download->error();
    m_download->deleteLater();
    m_download = nullptr;
    endFeed(error);
}

QString HubFileSource::verifyStream(const QByteArray& sha256)
{
    const QByteArray got = m_file.isLfs() ? sha256.toHex() : m_gitHash.result().toHex();
    const QByteArray want = m_file.isLfs() ? m_file.sha256 : m_file.gitOid.toLower();
    if (got == want)
        return {};
    m_corrupt = true;
    m_checkpoints.remove(); // the bad bytes are in the placed chunks: never resume on them
    return tr("“%1” of %2 arrived damaged: its %3 is %4, but the Hub lists %5. Nothing was "
              "marked complete; import it again.")
        .arg(m_file.path, m_repo.id,
             m_file.isLfs() ? QStringLiteral("SHA-256") : QStringLiteral("git sha1"),
             QString::fromLatin1(got), QString::fromLatin1(want));
}

} // namespace mf
