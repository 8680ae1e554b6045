#include "damagedmodels.h"

#include "droppedfiles.h"
#include "registry/registry.h"
#include "transfer/floatjob.h"

#include <QFileInfo>
#include <QSet>

namespace mf::ui::damagedmodels {

std::optional<ModelRecord> matching(Registry& registry, const DroppedFiles& dropped)
{
    if (!dropped.ok())
        return std::nullopt;
    QString ignored;
    const auto files = FloatJob::collectFiles(dropped.paths, &ignored);
    if (!files)
        return std::nullopt;
    QSet<QPair<QString, qint64>> byPath, byName; // as a float of the drop names them; sizes
    for (const FloatJob::SourceFile& f : *files) {
        byPath.insert({f.pathInModel, f.size});
        byName.insert({QFileInfo(f.pathInModel).fileName(), f.size});
    }
    for (qint64 id : registry.healthRows().degradedModels()) {
        const auto model = registry.modelRows().model(id);
        if (!model || model->state != ModelRecord::State::Complete)
            continue;
        for (const FileRecord& f : registry.modelRows().files(id))
            if (byPath.contains({f.path, f.size}) ||
                byName.contains({QFileInfo(f.path).fileName(), f.size}))
                return model;
    }
    return std::nullopt;
}

} // namespace mf::ui::damagedmodels
