#pragma once

#include <QByteArray>
#include <QString>

class QIODevice;

namespace mf::formats {

// Where a header reader gets its bytes: a file (random access, read in bounded pieces; a 70 GB
// file is never read whole) or the first bytes of a stream (a Hub import inspects a file while
// it downloads it, before the rest has arrived).
class ByteSource
{
public:
    virtual ~ByteSource() = default;
    // The whole file's size, or -1 when unknown.
    virtual qint64 size() const = 0;
    // How many bytes from offset 0 can be read now (== size() for a file).
    virtual qint64 available() const = 0;
    // Reads up to `maxSize` bytes at `offset`; returns the count or -1 on an I/O error.
    virtual qint64 readAt(qint64 offset, char* data, qint64 maxSize) = 0;
    virtual QString errorString() const { return {}; }
};

// A random-access device (usually a QFile opened for reading). Not owned.
class DeviceSource final : public ByteSource
{
public:
    explicit DeviceSource(QIODevice* device);
    qint64 size() const override { return m_size; }
    qint64 available() const override { return m_size; }
    qint64 readAt(qint64 offset, char* data, qint64 maxSize) override;
    QString errorString() const override;

private:
    QIODevice* m_device;
    qint64 m_size;
};

// Bytes in memory: a whole small file (totalSize = bytes.size()), or the first bytes of a file
// whose total size is `totalSize` (-1 if unknown).
class BytesSource final : public ByteSource
{
public:
    explicit BytesSource(QByteArray bytes, qint64 totalSize = -2);
    qint64 size() const override { return m_total; }
    qint64 available() const override { return m_bytes.size(); }
    qint64 readAt(qint64 offset, char* data, qint64 maxSize) override;

private:
    QByteArray m_bytes;
    qint64 m_total;
};

} // namespace mf::formats
