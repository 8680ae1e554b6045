#include "verifiedtext.h"

#include "util/units.h"

#include <QCoreApplication>

namespace mf::ui {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("mf::ui::VerifiedText", text);
}
} // namespace

QString verifiedText(const QDateTime& when, const QDateTime& now)
{
    if (!when.isValid())
        return tr("never");
    const QDateTime local = when.toLocalTime();
    const qint64 days = local.date().daysTo(now.toLocalTime().date());
    const QString time = local.toString(QStringLiteral("HH:mm"));
    // A clock that is behind the registry's counts as today: nothing is verified in the future.
    if (days <= 0)
        return tr("today %1").arg(time);
    if (days == 1)
        return tr("yesterday %1").arg(time);
    if (days < 31)
        return units::counted(days, tr("1 day ago"), tr("%1 days ago"));
    return local.toString(QStringLiteral("yyyy-MM-dd"));
}

} // namespace mf::ui
