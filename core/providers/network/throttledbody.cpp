#include "throttledbody.h"

namespace mf {

ThrottledBody::ThrottledBody(std::unique_ptr<QIODevice> body,
                             std::shared_ptr<BandwidthLimiter> limiter)
    : m_body(std::move(body))
    , m_limiter(std::move(limiter))
{
    m_wake.setSingleShot(true);
    connect(&m_wake, &QTimer::timeout, this, &QIODevice::readyRead);
    QIODevice::open(ReadOnly | Unbuffered);
    if (!m_body->isSequential())
        QIODevice::seek(m_body->pos());
}

ThrottledBody::~ThrottledBody() = default;

bool ThrottledBody::seek(qint64 pos)
{
    return m_body->seek(pos) && QIODevice::seek(pos);
}

bool ThrottledBody::atEnd() const
{
    return m_body->atEnd();
}

qint64 ThrottledBody::bytesAvailable() const
{
    return m_body->bytesAvailable();
}

qint64 ThrottledBody::readData(char* data, qint64 maxSize)
{
    if (maxSize <= 0)
        return 0;
    const qint64 left = m_body->bytesAvailable();
    if (left <= 0 && m_body->atEnd())
        return m_body->read(data, maxSize); // the end (or its error), as the body says it
    int retryMs = BandwidthLimiter::MaxWaitMs;
    const qint64 want = left > 0 ? qMin(maxSize, left) : maxSize;
    const qint64 granted = m_limiter->take(BandwidthLimiter::Direction::Upload, want, &retryMs);
    if (granted == 0) {
        // Nothing may move yet: Qt waits for readyRead(), which the timer gives it.
        if (!m_wake.isActive())
            m_wake.start(retryMs);
        return 0;
    }
    const qint64 n = m_body->read(data, granted);
    if (n < 0)
        setErrorString(m_body->errorString());
    return n;
}

} // namespace mf
