#include "modelrow.h"

#include "chunking/redundancyscheme.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QVariant>

namespace mf {

ModelRecord modelFromRow(const QSqlQuery& q)
{
    ModelRecord r;
    r.id = q.value(0).toLongLong();
    r.name = q.value(1).toString();
    r.source = q.value(2).toString();
    r.created = QDateTime::fromSecsSinceEpoch(q.value(3).toLongLong(), Qt::UTC);
    for (const auto& t : QJsonDocument::fromJson(q.value(4).toString().toUtf8()).array())
        r.tags.append(t.toString());
    r.state = q.value(5).toString() == QLatin1String("complete") ? ModelRecord::State::Complete
                                                                 : ModelRecord::State::Incomplete;
    r.degraded = r.state == ModelRecord::State::Complete && q.value(6).toBool();
    r.redundancy = q.value(7).toString();
    return r;
}

RedundancyScheme ModelRecord::scheme(int wantedCopies) const
{
    return RedundancyScheme::parse(redundancy).value_or(RedundancyScheme::makeCopies(wantedCopies));
}

} // namespace mf
