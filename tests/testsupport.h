#pragma once

#include <QByteArray>
#include <QString>

namespace mf::test {

// Deterministic pseudo-random bytes (splitmix64), so test data is the same on every machine.
QByteArray pseudoRandomBytes(qint64 size, quint64 seed);

// Writes `data` to `path`, failing the current test on error.
bool writeFile(const QString& path, const QByteArray& data);

// Writes `size` pseudo-random bytes to `path` in blocks, without holding them all in memory.
bool writePseudoRandomFile(const QString& path, qint64 size, quint64 seed);

// The lower-case hex SHA-256 of a file, computed by the `openssl` command: an oracle that
// shares no code with the project.
QByteArray opensslSha256Hex(const QString& path);

} // namespace mf::test
