#pragma once

#include "util/bandwidthlimiter.h"

#include <QIODevice>
#include <QTimer>

#include <memory>

namespace mf {

// A request body that moves no faster than the vault's upload limit: it hands Qt's network
// stack only the bytes the limiter grants, and when none may move it answers "nothing yet" and
// says readyRead() when the limiter will have some, which is how Qt's HTTP upload waits for a
// body that is not ready. Size, seeking and errors are those of the body it wraps, so a retry
// or a redirect can rewind it as before.
class ThrottledBody final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ThrottledBody)

public:
    // `body` must be open for reading.
    ThrottledBody(std::unique_ptr<QIODevice> body, std::shared_ptr<BandwidthLimiter> limiter);
    ~ThrottledBody() override;

    bool isSequential() const override { return m_body->isSequential(); }
    qint64 size() const override { return m_body->size(); }
    bool seek(qint64 pos) override;
    bool atEnd() const override;
    qint64 bytesAvailable() const override;

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    std::unique_ptr<QIODevice> m_body;
    std::shared_ptr<BandwidthLimiter> m_limiter;
    QTimer m_wake;
};

} // namespace mf
