#pragma once

#include "apiresponse.h"

#include <QObject>
#include <QPointer>

class QTcpSocket;

namespace mf {
class CatalogCollectJob;
class CatalogGuard;
class UploadJob;
class Vault;
} // namespace mf

namespace mf::api {

class TransferControl;

// PUT /api/v1/models/{model}/files/{path}: the request body floated as a new model of that one
// file; PUT /api/v1/models/{model} with X-Model-Files: the body is those files one after
// another, floated as one new model (a folder's), all or nothing. As the bytes arrive (UploadJob
// inside the catalog's rules), listed in the transfer queue while it runs. The body is read from
// the socket only as fast as the providers take it: while the upload's chunks in memory are at
// their bound, nothing is read, and TCP holds the client. A body that ends early (the client went
// away, or sent less than its Content-Length) fails the upload, and the model it began is removed
// as `modelfloat-cli rm` removes one, so nothing of it is left: no model, no file, no chunk only it
// used. An upload the vault refuses as it stands (a bad name or path, the name taken) is answered
// at once and never listed as a transfer. Emits answered() once, with the answer.
class ApiUpload final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiUpload)

public:
    struct File
    {
        QString path;
        qint64 size = 0;
    };
    // `received`: body bytes that came with the request's head. `folder`: answer with every
    // file (the X-Model-Files form), not the one file's fields alone.
    ApiUpload(Vault* vault, TransferControl* queue, QTcpSocket* socket, const QString& model,
              const QList<File>& files, bool folder, bool expectsContinue,
              const QByteArray& received, QObject* parent);
    // The files an X-Model-Files header lists: "PATH:SIZE" items, comma-separated, each PATH
    // percent-encoded (as encodeURIComponent() does); their sizes must add up to the body's
    // `length`. Empty, with *why, when the header is not one.
    static QList<File> filesOfHeader(const QByteArray& header, qint64 length, QString* why);
    ~ApiUpload() override;

    void start();
    // More of the body is waiting in the socket.
    void onReadyRead();
    // The client went away: the body ends here.
    void onDisconnected();
    // Waiting for the providers, not for the client (the idle timer lets it be).
    bool waitsOnProviders() const;

Q_SIGNALS:
    // The upload ended: `response` is what to answer (the client may be gone).
    void answered(const mf::api::ApiResponse& response);

private:
    void onReady();
    void feed();
    void endBody();
    void onFinished();
    void removeBegunModel(int status, const QString& message);

    Vault* m_vault;
    TransferControl* m_queue;
    QTcpSocket* m_socket;
    QString m_model;
    QList<File> m_files;
    bool m_folder;
    QString m_path;       // the file being read, for messages
    qint64 m_length;      // of the whole body
    qint64 m_fileEnd = 0; // where the file being read ends in the body
    bool m_expectsContinue;
    QByteArray m_pending; // body bytes read before the upload could take them
    qint64 m_given = 0;   // body bytes given to the upload
    // Both owned by the queue once adopted, which deletes them after they finish: a byte that
    // comes while the failed upload's model is removed must not reach them.
    QPointer<UploadJob> m_job;
    QPointer<CatalogGuard> m_guard;
    CatalogCollectJob* m_cleanup = nullptr;
    qint64 m_transferId = 0;
    bool m_ready = false;     // the upload takes the bytes of the file being read
    bool m_continued = false; // 100 Continue was sent
    bool m_bodyEnded = false;
    bool m_clientGone = false;
    bool m_answered = false;
};

} // namespace mf::api
