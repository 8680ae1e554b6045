#pragma once

#include "registry/records.h"
#include "transfer/transferinfo.h"

#include <QStringList>

#include <optional>

namespace mf {
class Engine;
class Registry;
} // namespace mf

namespace mf::ui {

struct DroppedFiles;

// Models a float left incomplete (cancelled, failed, or the app ended meanwhile), and how the
// app finishes them: the same engine path as the CLI's "run the same float again", which
// resumes from the chunks already stored. A stopped transfer the Engine still lists is resumed
// (paused) or retried (cancelled, failed) instead, with the choices it was started with.
namespace incompletemodels {

// The latest float or import of the model the Engine lists, if any.
std::optional<TransferInfo> transferOf(const Engine& engine, qint64 modelId);
// Something is writing the model now (queued or running): there is nothing to resume, and it
// cannot be discarded.
bool isBeingFloated(const Engine& engine, qint64 modelId);
// The local path the model was floated from (its source "local:<path>"), or empty.
QString localSource(const ModelRecord& model);
// Resumes it: `paths` are what to float (empty: its local source). Returns why it cannot, or
// empty when the engine was asked.
QString resume(Engine& engine, const ModelRecord& model, const QStringList& paths = {});
// The incomplete model a float of `dropped` would finish: floated from the same path, or of
// the name a float of it would get with the same file sizes.
std::optional<ModelRecord> matching(Registry& registry, const DroppedFiles& dropped);

} // namespace incompletemodels

} // namespace mf::ui
