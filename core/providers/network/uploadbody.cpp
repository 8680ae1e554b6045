#include "uploadbody.h"

namespace mf {

UploadBody::UploadBody(std::shared_ptr<QIODevice> source, qint64 start, qint64 size,
                       QByteArray prefix, QByteArray suffix)
    : m_source(std::move(source))
    , m_start(start)
    , m_size(size)
    , m_prefix(std::move(prefix))
    , m_suffix(std::move(suffix))
{}

UploadBody::~UploadBody() = default;

bool UploadBody::open(OpenMode mode)
{
    if (mode != ReadOnly || !m_source || !m_source->isOpen()) {
        setErrorString(QStringLiteral("the data to send cannot be read"));
        return false;
    }
    if (!m_source->seek(m_start)) {
        setErrorString(QStringLiteral("the data to send cannot be read again from its start"));
        return false;
    }
    return QIODevice::open(mode | Unbuffered);
}

bool UploadBody::seek(qint64 pos)
{
    if (pos < 0 || pos > size())
        return false;
    const qint64 inChunk = qBound<qint64>(0, pos - m_prefix.size(), m_size);
    if (!m_source->seek(m_start + inChunk))
        return false;
    return QIODevice::seek(pos);
}

qint64 UploadBody::readData(char* data, qint64 maxSize)
{
    qint64 pos = QIODevice::pos();
    qint64 done = 0;
    while (done < maxSize && pos < size()) {
        qint64 n = 0;
        if (pos < m_prefix.size()) {
            n = qMin(maxSize - done, m_prefix.size() - pos);
            memcpy(data + done, m_prefix.constData() + pos, size_t(n));
        } else if (pos < m_prefix.size() + m_size) {
            // The source is read in order from where seek()/open() put it.
            n = m_source->read(data + done, qMin(maxSize - done, m_prefix.size() + m_size - pos));
            if (n < 0) {
                setErrorString(m_source->errorString());
                return done > 0 ? done : -1;
            }
            if (n == 0) {
                setErrorString(QStringLiteral("the data to send ended early"));
                return done > 0 ? done : -1;
            }
        } else {
            const qint64 at = pos - m_prefix.size() - m_size;
            n = qMin(maxSize - done, m_suffix.size() - at);
            memcpy(data + done, m_suffix.constData() + at, size_t(n));
        }
        done += n;
        pos += n;
    }
    return done;
}

std::unique_ptr<QIODevice> UploadBody::create(std::shared_ptr<QIODevice> source, qint64 start,
                                              qint64 size, QByteArray prefix, QByteArray suffix)
{
    auto body = std::make_unique<UploadBody>(std::move(source), start, size, std::move(prefix),
                                             std::move(suffix));
    if (!body->open(QIODevice::ReadOnly))
        return nullptr;
    return body;
}

} // namespace mf
