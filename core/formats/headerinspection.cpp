#include "headerinspection.h"

#include "modelinspector.h"

#include <QPromise>
#include <QThreadPool>

#include <memory>

namespace mf::formats {

HeaderInspection::HeaderInspection(QObject* parent)
    : QObject(parent)
{
    connect(&m_watcher, &QFutureWatcherBase::finished, this, [this] {
        if (m_watcher.future().resultCount() > 0) {
            const Result r = m_watcher.future().result();
            m_metadata = r.metadata;
            m_error = r.error;
        }
        m_finished = true;
        Q_EMIT finished();
    });
}

HeaderInspection::~HeaderInspection() = default;

void HeaderInspection::start(const QString& path)
{
    auto promise = std::make_shared<QPromise<Result>>();
    m_watcher.setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([promise, path] {
        Result r;
        r.metadata = inspectFileHeader(path, &r.error);
        if (!r.error.isEmpty())
            r.metadata = QJsonObject{{QStringLiteral("formatError"), r.error}};
        promise->addResult(r);
        promise->finish();
    });
}

} // namespace mf::formats
