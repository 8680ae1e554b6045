#pragma once

#include "apiresponse.h"
#include "transfercontrol.h"

namespace mf {
class Vault;
}

namespace mf::api {

// A transfer as the API shows it: {"id", "kind" ("float", "restore", ...), "state" ("queued",
// "running", "paused", "done", "degraded", "failed", "cancelled"), "title", "modelId",
// "doneBytes", "totalBytes", "bytesPerSecond", "etaSeconds" (-1: unknown), "error", "warnings",
// "stage"}.
QJsonObject transferJson(const TransferInfo& info);

// GET /api/v1/transfers (the queue's order), GET /api/v1/transfers/{id}.
ApiResponse listTransfers(TransferControl* queue);
ApiResponse transferById(TransferControl* queue, qint64 id);
// POST /api/v1/transfers/{id}/{pause|resume|cancel}: 202 with the transfer, 404, or 409 when it
// cannot do that now.
ApiResponse controlTransfer(TransferControl* queue, qint64 id, const QString& action);
// POST /api/v1/floats {"paths": [...], "model", "replicas"}: local files floated as the app
// floats them; POST /api/v1/models/{model}/restore {"destination"} and .../verify. 202 with
// {"transfer": id, ...}. Bad JSON or a missing field: 400; no such model: 404.
ApiResponse queueFloat(TransferControl* queue, const QByteArray& body);
ApiResponse queueModelAction(TransferControl* queue, Vault* vault, const QString& model,
                             const QString& action, const QByteArray& body);

// One Server-Sent Event: "event: NAME\ndata: JSON\n\n".
QByteArray serverSentEvent(const QByteArray& name, const QJsonObject& data);

} // namespace mf::api
