#pragma once

#include "chunking/filesnapshot.h"

#include <QIODevice>

#include <optional>

namespace mf {

// A read-only, sequential view of bytes [offset, offset + size) of a file: the source of one
// chunk's upload, so chunk bytes stream from the file to the provider and are never held whole.
// When `expected` is given, the last read checks that the file is still exactly as it was
// scanned and fails (read() returns -1, errorString() says so) if it changed meanwhile, so a
// provider never commits bytes that do not belong to the chunk's CID.
class FileRangeDevice final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileRangeDevice)

public:
    FileRangeDevice(const QString& path, qint64 offset, qint64 size,
                    std::optional<FileSnapshot> expected, QObject* parent = nullptr);
    ~FileRangeDevice() override;

    bool open(OpenMode mode) override;
    void close() override;
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_size; }
    bool seek(qint64 pos) override;

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    QString m_path;
    qint64 m_offset;
    qint64 m_size;
    std::optional<FileSnapshot> m_expected;
    int m_fd = -1;
};

} // namespace mf
