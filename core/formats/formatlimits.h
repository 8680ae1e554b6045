#pragma once

#include <QtGlobal>

// Caps on what a model file's header may claim, checked BEFORE anything is allocated or read, so
// a hostile or broken file gets a clear error instead of a giant allocation. Each cap is far
// above what real files use (noted), so no real model is refused. docs/formats.md lists them.
namespace mf::formats::limits {

// GGUF: the whole header (metadata and tensor infos) must lie in the first 256 MiB. Real
// headers are a few MiB (a 256k-token vocabulary with scores and merges is ~15 MiB).
constexpr qint64 kGgufMaxHeaderBytes = qint64(256) << 20;
// One metadata string (a chat template is ~10 KiB; a key is at most 64 KiB by the spec).
constexpr quint64 kGgufMaxStringBytes = quint64(16) << 20;
constexpr quint64 kGgufMaxKeyBytes = 65535;
// Metadata entries (real files: under 100).
constexpr quint64 kGgufMaxKvCount = 1u << 20;
// Elements of one metadata array (a vocabulary has up to ~260k tokens, merges ~500k).
constexpr quint64 kGgufMaxArrayLength = quint64(16) << 20;
// Arrays of arrays, this deep at most (real files use 1).
constexpr int kGgufMaxArrayDepth = 8;
// Tensors (a 671B mixture-of-experts model has ~2k per file).
constexpr quint64 kGgufMaxTensorCount = 1u << 20;
// Dimensions of one tensor: GGML_MAX_DIMS is 4.
constexpr quint32 kGgufMaxDims = 4;
// A tensor's name (GGML_MAX_NAME is 64; some writers use longer ones).
constexpr quint64 kGgufMaxTensorNameBytes = 4096;

// safetensors: the JSON header's length; the format's own reference implementation refuses
// headers over 100 MB. Real headers are under 1 MiB.
constexpr quint64 kSafetensorsMaxHeaderBytes = 100'000'000;
// Dimensions of one safetensors tensor.
constexpr int kSafetensorsMaxDims = 16;

// config.json next to a safetensors file is read only if it is this small (real ones: ~2 KiB).
constexpr qint64 kConfigMaxBytes = qint64(4) << 20;

// Element counts (parameters) are summed with overflow checks against this.
constexpr quint64 kMaxElementCount = quint64(1) << 62;

} // namespace mf::formats::limits
