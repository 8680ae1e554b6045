#include "apiupload.h"

#include "transfercontrol.h"

#include "sync/catalogcollectjob.h"
#include "sync/catalogguard.h"
#include "transfer/uploadjob.h"
#include "vault/vault.h"

#include <QTcpSocket>

namespace mf::api {

namespace {
constexpr qint64 ReadPieceBytes = 1024 * 1024; // what one read takes from the socket
constexpr int UploadChunksInMemory = 4;
} // namespace

ApiUpload::ApiUpload(Vault* vault, TransferControl* queue, QTcpSocket* socket, const QString& model,
                     const QString& path, qint64 length, bool expectsContinue,
                     const QByteArray& received, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_queue(queue)
    , m_socket(socket)
    , m_model(model)
    , m_path(path)
    , m_length(length)
    , m_expectsContinue(expectsContinue)
    , m_pending(received)
{
    // Qt reads no more from the kernel than this while the upload waits: TCP holds the client.
    m_socket->setReadBufferSize(ReadPieceBytes);
}

ApiUpload::~ApiUpload()
{
    if (m_guard && !m_answered) {
        // The server stops (the API turned off, the app quitting) before the body came whole.
        m_guard->disconnect(this);
        m_guard->abort();
    }
}

void ApiUpload::start()
{
    UploadJob::Request request;
    request.modelName = m_model;
    request.pathInModel = m_path;
    request.size = m_length;
    request.options.replication = m_vault->replicationFactor();
    request.options.warnIfCapped = false;
    request.options.chunker = m_vault->defaultChunker();
    // Chunks held in memory while they are placed: a few (up to the chunker's maximum each),
    // not the 16 a float from disk may have scanned ahead (it reads them back from the file).
    request.options.maxPendingChunks = UploadChunksInMemory;
    m_job = new UploadJob(m_vault, request);
    m_guard = new CatalogGuard(m_vault, m_job, QStringLiteral("“%1”").arg(m_model));
    connect(m_job.data(), &UploadJob::readyForBytes, this, &ApiUpload::onReady);
    connect(m_guard, &TransferJob::finished, this, &ApiUpload::onFinished);
    m_transferId = m_queue->adoptTransfer(TransferInfo::Kind::Float,
                                          tr("Upload %1 (%2)").arg(m_model, m_path), m_guard, 0);
    m_guard->start();
}

bool ApiUpload::waitsOnProviders() const
{
    if (!m_ready || m_bodyEnded || m_cleanup)
        return true;
    const StreamChunkSource* source = m_job ? m_job->source() : nullptr;
    return source && source->isFull();
}

void ApiUpload::onReady()
{
    m_ready = true;
    if (StreamChunkSource* source = m_job->source())
        connect(source, &StreamChunkSource::feedPaused, this, [this](bool paused) {
            if (!paused)
                feed();
        });
    if (m_expectsContinue && !m_clientGone)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    feed();
}

void ApiUpload::onReadyRead()
{
    feed();
}

void ApiUpload::onDisconnected()
{
    m_clientGone = true;
    if (!m_ready) {
        // Still waiting for the catalog's lease: nothing was read, nothing will come.
        if (m_guard)
            m_guard->abort();
        return;
    }
    feed();
}

void ApiUpload::feed()
{
    StreamChunkSource* source = m_job && !m_bodyEnded ? m_job->source() : nullptr;
    if (!m_ready || !source)
        return;
    while (!source->isFull() && m_given < m_length) {
        if (m_pending.isEmpty())
            m_pending = m_socket->read(qMin(ReadPieceBytes, m_length - m_given));
        if (m_pending.isEmpty())
            break;
        const qint64 n = qMin<qint64>(m_pending.size(), m_length - m_given);
        if (!source->write(m_pending.constData(), n))
            return; // it ended (cancelled): the job's end answers
        m_given += n;
        m_pending = m_pending.mid(n);
    }
    if (m_given == m_length) {
        m_bodyEnded = true;
        source->endFeed(Error::none());
    } else if (m_clientGone && m_pending.isEmpty() && m_socket->bytesAvailable() == 0) {
        endBody();
    }
}

void ApiUpload::endBody()
{
    m_bodyEnded = true;
    if (StreamChunkSource* source = m_job ? m_job->source() : nullptr)
        source->endFeed(Error::make(Error::Kind::Fatal,
                                    tr("The upload of “%1” was cut off after %2 of its %3 bytes")
                                        .arg(m_path)
                                        .arg(m_given)
                                        .arg(m_length)));
}

void ApiUpload::onFinished()
{
    const Error error = m_guard->error();
    if (error.ok()) {
        ApiResponse r = ApiResponse::json(
            201, {{QStringLiteral("transfer"), m_transferId},
                  {QStringLiteral("model"), m_model},
                  {QStringLiteral("path"), m_path},
                  {QStringLiteral("size"), m_length},
                  {QStringLiteral("sha256"), QString::fromLatin1(m_job->sha256().toHex())},
                  {QStringLiteral("warnings"), QJsonArray::fromStringList(m_guard->warnings())}});
        r.addHeader({"Location", "/api/v1/models/" + QUrl::toPercentEncoding(m_model)});
        m_answered = true;
        Q_EMIT answered(r);
        return;
    }
    const UploadJob::Failure failure = m_job->failure();
    const int status = failure == UploadJob::Failure::ModelExists ? 409
                       : failure == UploadJob::Failure::BadName   ? 400
                       : failure == UploadJob::Failure::Cancelled ? 409
                       : m_given < m_length                       ? 400
                                                                  : 500;
    if (m_job->ownsModel())
        return removeBegunModel(status, error.message);
    m_answered = true;
    Q_EMIT answered(ApiResponse::error(status, error.message));
}

// The upload failed after it began the model: it is removed as `rm` removes one (published,
// and only the chunks nothing else uses are freed), so no half model stays.
void ApiUpload::removeBegunModel(int status, const QString& message)
{
    m_cleanup = new CatalogCollectJob(m_vault, m_model, this);
    connect(m_cleanup, &TransferJob::finished, this, [this, status, message] {
        QString said = message;
        if (!m_cleanup->error().ok()) {
            qWarning("API: the model a failed upload began stays: %s",
                     qUtf8Printable(m_cleanup->error().message));
            said = tr("%1. The model it began could not be removed (%2); remove it with "
                      "modelfloat-cli rm")
                       .arg(message, m_cleanup->error().message);
        }
        m_answered = true;
        Q_EMIT answered(ApiResponse::error(status, said));
    });
    m_cleanup->start();
}

} // namespace mf::api
