#pragma once

#include "registry/records.h"

#include <optional>

namespace mf {
class Registry;
}

namespace mf::ui {

struct DroppedFiles;

// A complete model short of copies (degraded, or damaged: a chunk with no copy left) whose
// files are among those dropped or chosen, by path in the model (or file name) and size: the
// cheap first look, from a listing. The app then offers "Use these files to repair it" instead
// of "already in the vault"; the repair compares the files' SHA-256 with the model's before it
// reads a byte of them (RepairJob::Options::fromPaths).
namespace damagedmodels {

std::optional<ModelRecord> matching(Registry& registry, const DroppedFiles& dropped);

} // namespace damagedmodels

} // namespace mf::ui
