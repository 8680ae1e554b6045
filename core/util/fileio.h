#pragma once

#include <QString>

namespace mf {

// The system's words for an errno value, for messages.
QString errnoText(int err);

// Writes all `size` bytes at `offset`, retrying short and interrupted writes. False with errno
// set on failure.
bool pwriteAll(int fd, const char* data, qint64 size, qint64 offset);

} // namespace mf
