#include "apiupload.h"

#include "transfercontrol.h"

#include "registry/registry.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogguard.h"
#include "transfer/uploadjob.h"
#include "vault/vault.h"

#include <QJsonArray>
#include <QTcpSocket>
#include <QUrl>

namespace mf::api {

namespace {
constexpr qint64 ReadPieceBytes = 1024 * 1024; // what one read takes from the socket
constexpr int UploadChunksInMemory = 4;

// The answer's status for an upload that failed (`cutOff`: its body ended early).
int statusOf(UploadJob::Failure failure, bool cutOff)
{
    switch (failure) {
    case UploadJob::Failure::ModelExists:
    case UploadJob::Failure::Cancelled:
        return 409;
    case UploadJob::Failure::BadName:
        return 400;
    case UploadJob::Failure::None:
    case UploadJob::Failure::Transfer:
        break;
    }
    return cutOff ? 400 : 500;
}
} // namespace

ApiUpload::ApiUpload(Vault* vault, TransferControl* queue, QTcpSocket* socket, const QString& model,
                     const QList<File>& files, bool folder, bool expectsContinue,
                     const QByteArray& received, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_queue(queue)
    , m_socket(socket)
    , m_model(model)
    , m_files(files)
    , m_folder(folder)
    , m_path(files.value(0).path)
    , m_length(0)
    , m_expectsContinue(expectsContinue)
    , m_pending(received)
{
    for (const File& f : files)
        m_length += f.size;
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
    for (const File& f : std::as_const(m_files))
        request.files.append({f.path, f.size});
    request.options.replication = m_vault->replicationFactor();
    request.options.warnIfCapped = false;
    request.options.chunker = m_vault->defaultChunker();
    // Chunks held in memory while they are placed: a few (up to the chunker's maximum each),
    // not the 16 a float from disk may have scanned ahead (it reads them back from the file).
    request.options.maxPendingChunks = UploadChunksInMemory;
    // Refused at the door (a bad name or path, the name taken): answered before it is listed as
    // a transfer, so the refusal leaves none behind, and nothing was written.
    if (const UploadJob::Refusal refused = UploadJob::refusal(m_vault->registry(), request);
        refused.failure != UploadJob::Failure::None) {
        m_answered = true;
        Q_EMIT answered(ApiResponse::error(statusOf(refused.failure, false), refused.why));
        return;
    }
    m_job = new UploadJob(m_vault, request);
    m_guard = new CatalogGuard(m_vault, m_job, QStringLiteral("“%1”").arg(m_model));
    connect(m_job.data(), &UploadJob::readyForBytes, this, &ApiUpload::onReady);
    connect(m_guard, &TransferJob::finished, this, &ApiUpload::onFinished);
    m_transferId = m_queue->adoptTransfer(
        TransferInfo::Kind::Float,
        m_folder ? tr("Upload %1 (%2 files)").arg(m_model).arg(m_files.size())
                 : tr("Upload %1 (%2)").arg(m_model, m_path),
        m_guard, 0);
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
    // Each file's turn: its bytes end where the next one's begin.
    const int index = m_job->fileIndex();
    m_path = m_files.at(index).path;
    m_fileEnd = 0;
    for (int i = 0; i <= index; ++i)
        m_fileEnd += m_files.at(i).size;
    m_ready = true;
    if (StreamChunkSource* source = m_job->source())
        connect(source, &StreamChunkSource::feedPaused, this, [this](bool paused) {
            if (!paused)
                feed();
        });
    if (m_expectsContinue && !m_continued && !m_clientGone)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    m_continued = true;
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
    while (!source->isFull() && m_given < m_fileEnd) {
        if (m_pending.isEmpty())
            m_pending = m_socket->read(qMin(ReadPieceBytes, m_fileEnd - m_given));
        if (m_pending.isEmpty())
            break;
        const qint64 n = qMin<qint64>(m_pending.size(), m_fileEnd - m_given);
        if (!source->write(m_pending.constData(), n))
            return; // it ended (cancelled): the job's end answers
        m_given += n;
        m_pending = m_pending.mid(n);
    }
    if (m_given == m_fileEnd) {
        // This file is whole: the next one's bytes wait for its readyForBytes().
        m_ready = false;
        m_bodyEnded = m_given == m_length;
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
                                        .arg(m_folder ? m_model : m_path)
                                        .arg(m_given)
                                        .arg(m_length)));
}

void ApiUpload::onFinished()
{
    const Error error = m_guard->error();
    if (error.ok()) {
        const QList<QByteArray> sums = m_job->sha256s();
        QJsonObject answer{
            {QStringLiteral("transfer"), m_transferId},
            {QStringLiteral("model"), m_model},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(m_guard->warnings())}};
        if (m_folder) {
            QJsonArray files;
            for (qsizetype i = 0; i < m_files.size(); ++i)
                files.append(QJsonObject{
                    {QStringLiteral("path"), m_files.at(i).path},
                    {QStringLiteral("size"), m_files.at(i).size},
                    {QStringLiteral("sha256"), QString::fromLatin1(sums.value(i).toHex())}});
            answer.insert(QStringLiteral("files"), files);
        } else {
            answer.insert(QStringLiteral("path"), m_path);
            answer.insert(QStringLiteral("size"), m_length);
            answer.insert(QStringLiteral("sha256"), QString::fromLatin1(sums.value(0).toHex()));
        }
        ApiResponse r = ApiResponse::json(201, answer);
        r.addHeader({"Location", "/api/v1/models/" + QUrl::toPercentEncoding(m_model)});
        m_answered = true;
        Q_EMIT answered(r);
        return;
    }
    const int status = statusOf(m_job->failure(), m_given < m_length);
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

QList<ApiUpload::File> ApiUpload::filesOfHeader(const QByteArray& header, qint64 length,
                                                QString* why)
{
    // Bounded by the request head's size (16 KiB): some hundreds of files.
    QList<File> files;
    qint64 sum = 0;
    for (const QByteArray& item : header.split(',')) {
        const QByteArray trimmed = item.trimmed();
        const qsizetype colon = trimmed.lastIndexOf(':');
        bool ok = false;
        const qint64 size = colon > 0 ? trimmed.mid(colon + 1).toLongLong(&ok) : -1;
        if (!ok || size < 0 || size > length - sum) {
            *why = tr("X-Model-Files lists each file as PATH:SIZE (the path percent-encoded), "
                      "separated by commas, the sizes adding up to the body's Content-Length");
            return {};
        }
        // Decoded here; whether the path is one a model may hold is the upload's rule.
        files.append({QUrl::fromPercentEncoding(trimmed.left(colon)), size});
        sum += size;
    }
    if (sum != length) {
        *why = tr("The files X-Model-Files lists come to %1 bytes, but the body has %2")
                   .arg(sum)
                   .arg(length);
        return {};
    }
    return files;
}

} // namespace mf::api
