#pragma once

#include <QIODevice>

namespace mf::cli {

// Standard output as a QIODevice that writes straight to file descriptor 1 and remembers why a
// write failed (errno), so a command can tell a reader that went away (EPIPE: `cat … | head`)
// from a real failure (a full disk, /dev/full). SIGPIPE must be ignored for EPIPE to be seen.
class StdoutDevice final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StdoutDevice)

public:
    explicit StdoutDevice(QObject* parent = nullptr);
    ~StdoutDevice() override;

    bool isSequential() const override { return true; }
    // errno of the failed write or close, 0 if none failed.
    int lastErrno() const { return m_errno; }
    bool readerWentAway() const { return m_errno == EPIPE; }
    // Closes descriptor 1 and reports what the system reports only then (some file systems say
    // that a write failed only at close). False with lastErrno() set on failure.
    bool closeOutput();

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char* data, qint64 size) override;

private:
    void fail(int err);
    int m_errno = 0;
    bool m_closed = false;
};

} // namespace mf::cli
