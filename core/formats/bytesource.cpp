#include "bytesource.h"

#include <QIODevice>

#include <cstring>

namespace mf::formats {

DeviceSource::DeviceSource(QIODevice* device)
    : m_device(device)
    , m_size(device->size())
{}

qint64 DeviceSource::readAt(qint64 offset, char* data, qint64 maxSize)
{
    if (!m_device->seek(offset))
        return -1;
    qint64 done = 0;
    while (done < maxSize) {
        const qint64 n = m_device->read(data + done, maxSize - done);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

QString DeviceSource::errorString() const
{
    return m_device->errorString();
}

BytesSource::BytesSource(QByteArray bytes, qint64 totalSize)
    : m_bytes(std::move(bytes))
    , m_total(totalSize == -2 ? m_bytes.size() : totalSize)
{}

qint64 BytesSource::readAt(qint64 offset, char* data, qint64 maxSize)
{
    if (offset < 0 || offset > m_bytes.size())
        return 0;
    const qint64 n = qMin<qint64>(maxSize, m_bytes.size() - offset);
    if (n > 0)
        std::memcpy(data, m_bytes.constData() + offset, size_t(n));
    return n;
}

} // namespace mf::formats
