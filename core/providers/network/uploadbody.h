#pragma once

#include <QByteArray>
#include <QIODevice>

#include <memory>

namespace mf {

// The body of one upload attempt: optional `prefix` bytes, then bytes [start, start + size) of a
// chunk source shared by every attempt, then optional `suffix` bytes (a multipart envelope
// around the chunk, for example). Each retry opens a fresh UploadBody that seeks the source back
// to `start`, so a chunk is streamed again from its source and never held in memory whole.
class UploadBody final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UploadBody)

public:
    UploadBody(std::shared_ptr<QIODevice> source, qint64 start, qint64 size, QByteArray prefix = {},
               QByteArray suffix = {});
    ~UploadBody() override;

    // Opens read-only and positions the source at `start`; false (errorString()) if it cannot.
    bool open(OpenMode mode) override;
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_prefix.size() + m_size + m_suffix.size(); }
    bool seek(qint64 pos) override;

    // Opened at its first byte, or nullptr when the source cannot be read again.
    static std::unique_ptr<QIODevice> create(std::shared_ptr<QIODevice> source, qint64 start,
                                             qint64 size, QByteArray prefix = {},
                                             QByteArray suffix = {});

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    std::shared_ptr<QIODevice> m_source;
    qint64 m_start;
    qint64 m_size;
    QByteArray m_prefix;
    QByteArray m_suffix;
};

} // namespace mf
