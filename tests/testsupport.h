#pragma once

#include <QByteArray>
#include <QString>

namespace mf::test {

// The programs the build made (modelfloat-cli, the desktop app) and the tests' folder in the
// sources. The build gives them as paths relative to the suites' own folder (tests/CMakeLists.txt):
// a clone's absolute path compiled into every suite made each one a ccache miss in each clone.
QString cliPath();
QString guiPath();
QString testsSourceDir();

// Deterministic pseudo-random bytes (splitmix64), so test data is the same on every machine.
QByteArray pseudoRandomBytes(qint64 size, quint64 seed);

// Empty when `got` equals `want`; otherwise both sizes and the first offset where they differ,
// for a failure message that tells a truncated or padded file from one with wrong bytes.
QByteArray describeDifference(const QByteArray& got, const QByteArray& want);

// Writes `data` to `path`, failing the current test on error.
bool writeFile(const QString& path, const QByteArray& data);

// Writes `size` pseudo-random bytes to `path` in blocks, without holding them all in memory.
bool writePseudoRandomFile(const QString& path, qint64 size, quint64 seed);

// Makes `path` a sparse file of `size` zero bytes: gigabytes that take seconds to read and hash
// (a transfer surely still running when a test acts on it) but no disk space, and whose chunks
// are all the same zero chunk, stored once.
bool writeSparseFile(const QString& path, qint64 size);

// Bytes of the files directly in `dir`, hidden ones (a fetch in flight) too.
qint64 bytesBelow(const QString& dir);

// The lower-case hex SHA-256 of a file, computed by the `openssl` command: an oracle that
// shares no code with the project.
QByteArray opensslSha256Hex(const QString& path);

// Runs a program to its end; true when it exited 0. `output` gets stdout and stderr.
bool runProcess(const QString& program, const QStringList& arguments, QString* output = nullptr,
                int timeoutMs = 120000);

// A small tmpfs for tests of a full disk. Mounts one of `size` (e.g. "2M") at `mountPoint` and
// returns true: the caller goes on, and unmounts with unmountTmpfs(). Where this process may not
// mount, it runs the test function `testFunction` again in a child process with its own user and
// mount namespaces (`unshare -Urm`), records the child's result and returns false: the caller's
// test is over.
bool mountTmpfsOrRerunInNamespace(const QString& mountPoint, const QString& size,
                                  const char* testFunction);
void unmountTmpfs(const QString& mountPoint);

} // namespace mf::test
