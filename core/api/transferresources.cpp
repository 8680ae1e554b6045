#include "transferresources.h"

#include "registry/registry.h"
#include "transfer/transferrows.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>

namespace mf::api {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api", text);
}

QString stateKey(TransferInfo::State state)
{
    switch (state) {
    case TransferInfo::State::Queued:
        return QStringLiteral("queued");
    case TransferInfo::State::Running:
        return QStringLiteral("running");
    case TransferInfo::State::Paused:
        return QStringLiteral("paused");
    case TransferInfo::State::Done:
        return QStringLiteral("done");
    case TransferInfo::State::Failed:
        return QStringLiteral("failed");
    case TransferInfo::State::Cancelled:
        return QStringLiteral("cancelled");
    case TransferInfo::State::Degraded:
        return QStringLiteral("degraded");
    }
    return {};
}

// The JSON object a POST carries; none (and *error) when it is not one.
std::optional<QJsonObject> bodyObject(const QByteArray& body, ApiResponse* error)
{
    QJsonParseError parse;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parse);
    if (parse.error != QJsonParseError::NoError || !document.isObject()) {
        *error = ApiResponse::error(400, tr("The request's body must be a JSON object (%1)")
                                             .arg(parse.error != QJsonParseError::NoError
                                                      ? parse.errorString()
                                                      : tr("it is not an object")));
        return std::nullopt;
    }
    return document.object();
}

ApiResponse queued(TransferControl* queue, qint64 id)
{
    QJsonObject answer{{QStringLiteral("transfer"), id}};
    for (const TransferInfo& info : queue->transferList())
        if (info.id == id)
            answer.insert(QStringLiteral("info"), transferJson(info));
    return ApiResponse::json(202, answer);
}

} // namespace

QJsonObject transferJson(const TransferInfo& info)
{
    return {{QStringLiteral("id"), info.id},
            {QStringLiteral("kind"), transferrows::kindKey(info.kind)},
            {QStringLiteral("state"), stateKey(info.state)},
            {QStringLiteral("title"), info.title},
            {QStringLiteral("modelId"), info.modelId},
            {QStringLiteral("doneBytes"), info.doneBytes},
            {QStringLiteral("totalBytes"), info.totalBytes},
            {QStringLiteral("bytesPerSecond"), qRound64(info.bytesPerSecond)},
            {QStringLiteral("etaSeconds"), info.etaSeconds},
            {QStringLiteral("error"), info.error},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(info.warnings)},
            {QStringLiteral("stage"), info.stage},
            {QStringLiteral("background"), info.background}};
}

ApiResponse listTransfers(TransferControl* queue)
{
    QJsonArray list;
    for (const TransferInfo& info : queue->transferList())
        list.append(transferJson(info));
    return ApiResponse::json(200, {{QStringLiteral("transfers"), list}});
}

ApiResponse transferById(TransferControl* queue, qint64 id)
{
    for (const TransferInfo& info : queue->transferList())
        if (info.id == id)
            return ApiResponse::json(200, transferJson(info));
    return ApiResponse::error(404, tr("There is no transfer %1").arg(id));
}

ApiResponse controlTransfer(TransferControl* queue, qint64 id, const QString& action)
{
    static const QHash<QString, TransferControl::Action> actions = {
        {QStringLiteral("pause"), TransferControl::Action::Pause},
        {QStringLiteral("resume"), TransferControl::Action::Resume},
        {QStringLiteral("cancel"), TransferControl::Action::Cancel}};
    const auto it = actions.constFind(action);
    if (it == actions.constEnd())
        return ApiResponse::error(404, tr("A transfer is paused, resumed or cancelled: “%1” is "
                                          "none of these")
                                           .arg(action));
    QString why;
    if (!queue->controlTransfer(id, *it, &why)) {
        const QList<TransferInfo> list = queue->transferList();
        const bool exists = std::any_of(list.cbegin(), list.cend(),
                                        [id](const TransferInfo& info) { return info.id == id; });
        return ApiResponse::error(exists ? 409 : 404, why);
    }
    return queued(queue, id);
}

ApiResponse queueFloat(TransferControl* queue, const QByteArray& body)
{
    ApiResponse bad;
    const auto request = bodyObject(body, &bad);
    if (!request)
        return bad;
    const QJsonArray paths = request->value(QStringLiteral("paths")).toArray();
    const QString model = request->value(QStringLiteral("model")).toString().trimmed();
    if (paths.isEmpty() || model.isEmpty())
        return ApiResponse::error(400, tr("A float names its files or folders and its model: "
                                          "{\"paths\": [\"/abs/path\"], \"model\": \"name\"}"));
    for (const QJsonValue& p : paths)
        if (!p.isString() || !QDir::isAbsolutePath(p.toString()))
            return ApiResponse::error(400, tr("Every path must be absolute: the server's working "
                                              "folder is not the client's"));
    FloatRequest floatRequest;
    for (const QJsonValue& p : paths)
        floatRequest.paths.append(p.toString());
    floatRequest.modelName = model;
    floatRequest.replicas = request->value(QStringLiteral("replicas")).toInt();
    return queued(queue, queue->queueTransfer(floatRequest));
}

ApiResponse queueModelAction(TransferControl* queue, Vault* vault, const QString& model,
                             const QString& action, const QByteArray& body)
{
    const auto record = vault->registry().modelRows().modelByName(model);
    if (!record)
        return ApiResponse::error(404, tr("There is no model named “%1”").arg(model));
    if (action == QLatin1String("verify"))
        return queued(queue, queue->queueTransfer(VerifyRequest{record->id}));
    ApiResponse bad;
    const auto request = bodyObject(body, &bad);
    if (!request)
        return bad;
    const QString destination = request->value(QStringLiteral("destination")).toString();
    if (!QDir::isAbsolutePath(destination))
        return ApiResponse::error(400, tr("A restore names the absolute path of the folder to "
                                          "write into: {\"destination\": \"/abs/folder\"}"));
    // As the app's default: files already there make it fail, naming them; nothing is replaced
    // unless asked with "overwrite": true.
    RestoreRequest restore;
    restore.modelId = record->id;
    restore.destination = destination;
    restore.overwrite = request->value(QStringLiteral("overwrite")).toBool();
    return queued(queue, queue->queueTransfer(restore));
}

QByteArray serverSentEvent(const QByteArray& name, const QJsonObject& data)
{
    return "event: " + name + "\ndata: " + QJsonDocument(data).toJson(QJsonDocument::Compact) +
           "\n\n";
}

} // namespace mf::api
