#pragma once

#include <QFutureWatcher>
#include <QJsonObject>
#include <QObject>

namespace mf::formats {

// Runs inspectFileHeader() on a pool thread (a header read is disk I/O: up to a few MiB for a
// large vocabulary) and reports on the thread that owns this object. Deleting it before it
// finishes is safe: the result is dropped.
class HeaderInspection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeaderInspection)

public:
    explicit HeaderInspection(QObject* parent = nullptr);
    ~HeaderInspection() override;

    void start(const QString& path);
    bool isFinished() const { return m_finished; }
    // The registry JSON (empty for a file of no known model format); when the header is
    // broken, {"formatError": "..."} and error() says why.
    const QJsonObject& metadata() const { return m_metadata; }
    const QString& error() const { return m_error; }

Q_SIGNALS:
    void finished();

private:
    struct Result
    {
        QJsonObject metadata;
        QString error;
    };
    QFutureWatcher<Result> m_watcher;
    bool m_finished = false;
    QJsonObject m_metadata;
    QString m_error;
};

} // namespace mf::formats
