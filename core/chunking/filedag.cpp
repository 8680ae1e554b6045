#include "filedag.h"

#include "chunkboundaryfinder.h"

#include <QFile>
#include <QObject>

namespace mf {

std::optional<unixfs::Node> fileDagOf(const QString& path, const ChunkerParams& params,
                                      QString* error, const std::atomic_bool* cancelled,
                                      const unixfs::BlockSink& sink)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QObject::tr("Cannot read “%1”: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    ChunkBoundaryFinder boundaries(params);
    unixfs::FileDagBuilder dag(sink);
    QByteArray buffer(4 * 1024 * 1024, Qt::Uninitialized);
    for (;;) {
        if (cancelled && cancelled->load()) {
            *error = QObject::tr("Cancelled");
            return std::nullopt;
        }
        const qint64 n = file.read(buffer.data(), buffer.size());
        if (n < 0) {
            *error = QObject::tr("Cannot read “%1”: %2").arg(path, file.errorString());
            return std::nullopt;
        }
        if (n == 0)
            break;
        const uchar* at = reinterpret_cast<const uchar*>(buffer.constData());
        qint64 left = n;
        while (left > 0) {
            bool boundary = false;
            const qsizetype used = boundaries.feed(at, left, &boundary);
            dag.addBytes(at, used);
            if (boundary)
                dag.endChunk();
            at += used;
            left -= used;
        }
    }
    return dag.finish();
}

} // namespace mf
