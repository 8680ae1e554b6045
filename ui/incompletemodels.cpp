#include "incompletemodels.h"

#include "droppedfiles.h"
#include "engine/engine.h"
#include "floatdialog.h"
#include "registry/registry.h"
#include "transfer/floatjob.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace mf::ui::incompletemodels {

namespace {

const QLatin1String LocalScheme("local:");

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::ui::IncompleteModels", text);
}

bool writesModels(TransferInfo::Kind kind)
{
    return kind == TransferInfo::Kind::Float || kind == TransferInfo::Kind::Import;
}

} // namespace

std::optional<TransferInfo> transferOf(const Engine& engine, qint64 modelId)
{
    std::optional<TransferInfo> latest;
    for (const TransferInfo& t : engine.transfers()) // in the order they were added
        if (modelId && t.modelId == modelId && writesModels(t.kind))
            latest = t;
    return latest;
}

bool isBeingFloated(const Engine& engine, qint64 modelId)
{
    for (const TransferInfo& t : engine.transfers())
        if (modelId && t.modelId == modelId && writesModels(t.kind) &&
            (t.state == TransferInfo::State::Queued || t.state == TransferInfo::State::Running))
            return true;
    return false;
}

QString localSource(const ModelRecord& model)
{
    return model.source.startsWith(LocalScheme) ? model.source.mid(LocalScheme.size()) : QString();
}

QString resume(Engine& engine, const ModelRecord& model, const QStringList& paths)
{
    if (model.state == ModelRecord::State::Complete)
        return tr("“%1” is complete: there is nothing to resume.").arg(model.name);
    if (isBeingFloated(engine, model.id))
        return tr("“%1” is being floated right now.").arg(model.name);
    if (const auto t = transferOf(engine, model.id)) {
        if (t->state == TransferInfo::State::Paused) {
            engine.resume(t->id);
            return {};
        }
        if (paths.isEmpty() && (t->state == TransferInfo::State::Cancelled ||
                                t->state == TransferInfo::State::Failed)) {
            engine.retry(t->id);
            return {};
        }
    }
    QStringList from = paths;
    if (from.isEmpty()) {
        const QString source = localSource(model);
        if (source.isEmpty())
            return tr("“%1” did not come from a file on this computer; import it again to "
                      "finish it, or discard it.")
                .arg(model.name);
        if (!QFileInfo::exists(source))
            return tr("“%1” was floated from “%2”, which is no longer there. Drop the file "
                      "again from where it is now to resume, or discard the model.")
                .arg(model.name, QDir::toNativeSeparators(source));
        from = {source};
    }
    // The same paths under the same name: the float finds the model it began and goes on from
    // the chunks already stored (what `modelfloat-cli float` does when run again).
    FloatRequest request;
    request.paths = from;
    request.modelName = model.name;
    engine.floatFiles(request);
    return {};
}

std::optional<ModelRecord> matching(Registry& registry, const DroppedFiles& dropped)
{
    if (!dropped.ok())
        return std::nullopt;
    const QString source = QFileInfo(dropped.paths.first()).absoluteFilePath();
    const QString name = FloatDialog::suggestedName(dropped.paths);
    QString ignored;
    const auto files = FloatJob::collectFiles(dropped.paths, &ignored);
    if (!files)
        return std::nullopt;
    QHash<QString, qint64> sizes; // path in the model -> size, as a float of the drop makes
    for (const FloatJob::SourceFile& f : *files)
        sizes.insert(f.pathInModel, f.size);
    std::optional<ModelRecord> byName;
    for (const ModelRecord& m : registry.modelRows().models()) {
        if (m.state != ModelRecord::State::Incomplete)
            continue;
        if (localSource(m) == source)
            return m;
        if (m.name != name || byName)
            continue;
        // The files the stopped float recorded are files of the drop, of the same sizes.
        bool same = true;
        for (const FileRecord& f : registry.modelRows().files(m.id))
            same = same && sizes.value(f.path, -1) == f.size;
        if (same)
            byName = m;
    }
    return byName;
}

} // namespace mf::ui::incompletemodels
