#include "apiroute.h"

#include <QList>

namespace mf::api {

ApiRoute ApiRoute::parse(const QByteArray& target)
{
    ApiRoute route;
    const qsizetype question = target.indexOf('?');
    const QByteArray path = question < 0 ? target : target.left(question);
    if (question >= 0)
        route.query = QUrlQuery(QString::fromUtf8(target.mid(question + 1)));
    static const QByteArray prefix = "/api/v1/";
    if (!path.startsWith(prefix))
        return route;
    QStringList segments;
    for (const QByteArray& raw : path.mid(prefix.size()).split('/')) {
        const QString segment = QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
        if (segment.isEmpty() || segment == QLatin1String(".") || segment == QLatin1String(".."))
            return route;
        segments.append(segment);
    }
    if (segments.first() == QLatin1String("models")) {
        if (segments.size() == 1) {
            route.kind = Kind::ModelList;
        } else if (segments.size() == 2) {
            route.kind = Kind::ModelInfo;
            route.model = segments.at(1);
        } else if (segments.size() >= 4 && segments.at(2) == QLatin1String("files")) {
            const QStringList rest = segments.mid(3);
            // A segment that decodes to "../x" or "a/../b" is refused as its plain form is.
            for (const QString& part : rest.join(QLatin1Char('/')).split(QLatin1Char('/')))
                if (part.isEmpty() || part == QLatin1String(".") || part == QLatin1String(".."))
                    return route;
            route.kind = Kind::ModelFile;
            route.model = segments.at(1);
            route.filePath = rest.join(QLatin1Char('/'));
        }
    } else if (segments.first() == QLatin1String("chunks") && segments.size() == 2) {
        route.kind = Kind::Chunk;
        route.cid = segments.at(1);
    }
    return route;
}

} // namespace mf::api
