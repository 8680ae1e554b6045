// ProviderRows: provider budgets. A provider can answer "no more until T" (Google Drive's daily
// upload cap, MEGA's transfer quota) and the user can give any provider a daily upload budget
// (its setting "dailyUpload"). Both are kept here, in the registry every process on the vault
// shares, so that a float in the CLI and the app's queue see the same pause.

#include "registry.h"
#include "registryquery.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace mf {

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

const char* pausedColumn(BudgetDirection d)
{
    return d == BudgetDirection::Upload ? "upload_paused_until" : "download_paused_until";
}
const char* reasonColumn(BudgetDirection d)
{
    return d == BudgetDirection::Upload ? "upload_reason" : "download_reason";
}

qint64 dailyBudgetOf(const QString& settingsJson)
{
    const QJsonValue v = QJsonDocument::fromJson(settingsJson.toUtf8())
                             .object()
                             .value(QStringLiteral("dailyUpload"));
    if (v.isDouble())
        return qint64(v.toDouble());
    bool ok = false;
    const qint64 n = v.toString().toLongLong(&ok);
    return ok ? n : -1;
}

QString formatBytes(qint64 bytes)
{
    // The registry does not depend on util/units; a plain figure is enough for a reason text.
    const double gib = double(bytes) / (1024.0 * 1024 * 1024);
    if (gib >= 1)
        return QStringLiteral("%1 GiB").arg(gib, 0, 'f', 1);
    return QStringLiteral("%1 MiB").arg(double(bytes) / (1024.0 * 1024), 0, 'f', 1);
}

} // namespace

bool ProviderRows::pauseProvider(qint64 id, BudgetDirection direction, qint64 untilMs,
                                 const QString& reason)
{
    Query q(this, QStringLiteral("INSERT INTO provider_budgets (provider_id, %1, %2) VALUES "
                                 "(?, ?, ?) ON CONFLICT (provider_id) DO UPDATE SET %1 = "
                                 "excluded.%1, %2 = excluded.%2")
                      .arg(QLatin1String(pausedColumn(direction)),
                           QLatin1String(reasonColumn(direction))));
    return q.bind(id).bind(untilMs).bind(reason).exec();
}

void ProviderRows::clearProviderPause(qint64 id, BudgetDirection direction)
{
    Query q(this, QStringLiteral("UPDATE provider_budgets SET %1 = NULL, %2 = '' WHERE "
                                 "provider_id = ?")
                      .arg(QLatin1String(pausedColumn(direction)),
                           QLatin1String(reasonColumn(direction))));
    q.bind(id).exec();
}

ProviderBudget ProviderRows::providerBudget(qint64 id)
{
    ProviderBudget b;
    const qint64 now = nowMs();
    Query q(this, QStringLiteral(
                      "SELECT p.settings, b.day_start, b.day_bytes, b.upload_paused_until, "
                      "b.upload_reason, b.download_paused_until, b.download_reason FROM providers "
                      "p LEFT JOIN provider_budgets b ON b.provider_id = p.id WHERE p.id = ?"));
    if (!q.bind(id).exec() || !q.q().next())
        return b;
    b.dailyUploadBytes = dailyBudgetOf(q.q().value(0).toString());
    const QVariant dayStart = q.q().value(1);
    if (!dayStart.isNull() && dayStart.toLongLong() + BudgetDayMs > now) {
        b.uploadedTodayBytes = q.q().value(2).toLongLong();
        b.dayEndsMs = dayStart.toLongLong() + BudgetDayMs;
    }
    const QVariant up = q.q().value(3);
    if (!up.isNull() && up.toLongLong() > now) {
        b.uploadPausedUntilMs = up.toLongLong();
        b.uploadPauseReason = q.q().value(4).toString();
    }
    const QVariant down = q.q().value(5);
    if (!down.isNull() && down.toLongLong() > now) {
        b.downloadPausedUntilMs = down.toLongLong();
        b.downloadPauseReason = q.q().value(6).toString();
    }
    q.q().finish();
    if (b.dailyUploadBytes >= 0 && b.dayEndsMs > 0 && b.uploadedTodayBytes >= b.dailyUploadBytes &&
        b.dayEndsMs > b.uploadPausedUntilMs) {
        b.uploadPausedUntilMs = b.dayEndsMs;
        b.uploadPauseReason = QStringLiteral("its daily upload budget of %1 is used")
                                  .arg(formatBytes(b.dailyUploadBytes));
    }
    return b;
}

qint64 ProviderRows::uploadBlockedUntil(qint64 providerId, qint64 adding, QString* reason)
{
    const ProviderBudget b = providerBudget(providerId);
    if (b.uploadPaused()) {
        *reason = b.uploadPauseReason;
        return b.uploadPausedUntilMs;
    }
    if (b.dailyUploadBytes < 0)
        return -1;
    // Puts under way (in any process) will count too. One chunk always fits in a fresh day, or
    // a budget smaller than a chunk would stop the provider for good.
    Query pending(this,
                  QStringLiteral("SELECT COALESCE(SUM(c.size), 0) FROM placements x JOIN chunks c "
                                 "ON c.cid = x.cid WHERE x.provider_id = ? AND x.state = "
                                 "'pending' AND x.locator = ''"));
    if (!pending.bind(providerId).exec() || !pending.q().next())
        return -1;
    const qint64 taken = b.uploadedTodayBytes + pending.q().value(0).toLongLong();
    pending.q().finish();
    if (taken == 0 || taken + adding <= b.dailyUploadBytes)
        return -1;
    *reason = QStringLiteral("its daily upload budget of %1 is used")
                  .arg(formatBytes(b.dailyUploadBytes));
    if (b.dayEndsMs > 0)
        return b.dayEndsMs;
    // Nothing counted yet this day, only puts under way: the day starts now, with them. Left to
    // start when the first of them is counted, it would end after the pause recorded now, and
    // the provider would be shown free again while its budget is still used.
    if (countUpload(providerId, 0)) {
        if (const qint64 dayEnds = providerBudget(providerId).dayEndsMs; dayEnds > 0)
            return dayEnds;
    }
    return nowMs() + BudgetDayMs;
}

bool ProviderRows::countUpload(qint64 providerId, qint64 bytes)
{
    const qint64 now = nowMs();
    // A day starts with its first upload and lasts BudgetDayMs; then the count starts again.
    Query q(this, QStringLiteral(
                      "INSERT INTO provider_budgets (provider_id, day_start, day_bytes) VALUES "
                      "(?, ?, ?) ON CONFLICT (provider_id) DO UPDATE SET "
                      "day_bytes = CASE WHEN day_start IS NULL OR day_start + ? <= ? THEN "
                      "excluded.day_bytes ELSE day_bytes + excluded.day_bytes END, "
                      "day_start = CASE WHEN day_start IS NULL OR day_start + ? <= ? THEN "
                      "excluded.day_start ELSE day_start END"));
    return q.bind(providerId)
        .bind(now)
        .bind(bytes)
        .bind(BudgetDayMs)
        .bind(now)
        .bind(BudgetDayMs)
        .bind(now)
        .exec();
}

} // namespace mf
