#include "nextcheck.h"

#include <QCoreApplication>
#include <QLocale>

namespace mf::ui {

namespace {
QString tr(const char* text, int n = -1)
{
    return QCoreApplication::translate("NextCheck", text, nullptr, n);
}
} // namespace

QString clockTime(const QTime& time)
{
    // The locale's short time, to the minute: some locales' short form (C's) carries seconds,
    // which a time hours away does not need.
    QString format = QLocale().timeFormat(QLocale::ShortFormat);
    format.remove(QStringLiteral(":ss"));
    return QLocale().toString(time, format);
}

QString checkNowText()
{
    return tr("Check everything now");
}

QString nextCheckText(const SyncStatus& status, const QDateTime& now)
{
    if (status.running.startsWith(QLatin1String("scrub.")))
        return tr("Checking copies now");
    if (!status.nextCheck.isValid())
        return tr("Nothing to check yet");
    const qint64 secs = now.secsTo(status.nextCheck);
    QString when;
    if (secs < 60)
        when = tr("Next check in a moment");
    else if (secs < 3600)
        when = tr("Next check in %n min", int(secs / 60));
    else if (secs < 6 * 3600)
        when = tr("Next check in %n h", int(secs / 3600));
    else {
        const QDateTime local = status.nextCheck.toLocalTime();
        const QDate today = now.toLocalTime().date();
        const QString time = clockTime(local.time());
        when = local.date() == today ? tr("Next check at %1").arg(time)
               : local.date() == today.addDays(1)
                   ? tr("Next check tomorrow at %1").arg(time)
                   : tr("Next check %1 at %2")
                         .arg(QLocale().toString(local.date(), QLocale::ShortFormat), time);
    }
    if (status.paused)
        return tr("Background sync is paused");
    if (!status.deferReason.isEmpty())
        return tr("%1 (waits: %2)").arg(when, status.deferReason);
    return when;
}

} // namespace mf::ui
