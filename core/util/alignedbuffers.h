#pragma once

#include <QtGlobal>

#include <memory>

namespace mf::alignedbuffers {

// Page-aligned memory for direct I/O (O_DIRECT wants the buffer, the offset and the length on
// the file system's block boundaries; 4096 covers the file systems we write to).
constexpr qint64 Alignment = 4096;

// One pool for the whole process: the file scanner's read segments and the direct writer's
// staging buffers are both 1 MiB or a few MiB, taken and given back once per chunk. A fresh
// allocation costs a page fault per 4 KiB the first time it is filled (perf of a cold restore:
// 5% of its CPU), so buffers given back are kept for the next taker of the same size, up to
// SpareBytes in all; beyond that they are freed.
constexpr qint64 SpareBytes = 32 << 20;

// `size` bytes aligned to Alignment (size a multiple of it); never null.
char* take(qint64 size);
// Hands back what take(size) returned; the caller must not use it after.
void give(char* data, qint64 size);

// take(size), given back by itself when the last holder lets go (even after its taker is gone).
using Shared = std::shared_ptr<char>;
Shared takeShared(qint64 size);

// Bytes held by buffers kept for reuse (for tests: the pool stays within SpareBytes).
qint64 spareBytes();

} // namespace mf::alignedbuffers
