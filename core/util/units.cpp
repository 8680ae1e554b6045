#include "units.h"

#include <QRegularExpression>

#include <cmath>

namespace mf::units {

QString formatBytes(qint64 bytes)
{
    static const char* const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = double(bytes);
    int unit = 0;
    while (std::abs(value) >= 1024.0 && unit < 5) {
        value /= 1024.0;
        ++unit;
    }
    if (unit == 0)
        return QString::number(bytes) + QStringLiteral(" B");
    // Unit and precision follow the value as it will be printed: 1023.96 KiB would otherwise
    // show as "1024.0 KiB", and 9.996 MiB as "10.00 MiB".
    if (unit < 5 && std::abs(value) >= 1023.95) {
        value /= 1024.0;
        ++unit;
    }
    return QString::number(value, 'f', std::abs(value) < 9.995 ? 2 : 1) + QLatin1Char(' ') +
           QLatin1String(names[unit]);
}

QString formatRate(double bytesPerSecond)
{
    // Binary units, as sizes are: "1.2 GiB of 4.0 GiB · 210 MiB/s" reads as one system (the
    // limits in the settings are in MiB/s too).
    static const char* const names[] = {"B/s", "KiB/s", "MiB/s", "GiB/s"};
    // No speed is better than "nan B/s" or a negative one (no time has passed yet, or the
    // caller's count went backwards).
    if (!std::isfinite(bytesPerSecond) || bytesPerSecond < 0)
        return {};
    double value = bytesPerSecond;
    int unit = 0;
    // Thresholds are those of the printed (rounded) value, so 1023.7 B/s shows as "1.0 KiB/s".
    while (value >= 1023.5 && unit < 3) {
        value /= 1024.0;
        ++unit;
    }
    return QString::number(value, 'f', value < 9.95 ? 1 : 0) + QLatin1Char(' ') +
           QLatin1String(names[unit]);
}

QString formatDuration(qint64 seconds)
{
    if (seconds < 0)
        return {};
    const qint64 h = seconds / 3600, m = (seconds / 60) % 60, s = seconds % 60;
    const QString ss = QStringLiteral("%1").arg(s, 2, 10, QLatin1Char('0'));
    if (h > 0)
        return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(ss);
    return QStringLiteral("%1:%2").arg(m).arg(ss);
}

QString formatAge(const QDateTime& when, const QDateTime& now)
{
    if (!when.isValid())
        return QStringLiteral("never");
    const qint64 secs = when.secsTo(now);
    if (secs < 60)
        return QStringLiteral("just now");
    if (secs < 3600)
        return QStringLiteral("%1 min ago").arg(secs / 60);
    if (secs < 2 * 86400)
        return QStringLiteral("%1 h ago").arg(secs / 3600);
    return QStringLiteral("%1 days ago").arg(secs / 86400);
}

std::optional<qint64> parseBytes(const QString& text)
{
    // The "i" of "MiB" only after a unit letter: "8iB" is a typo, not 8 bytes.
    static const QRegularExpression re(
        QStringLiteral("^\\s*(\\d+(?:\\.\\d+)?)\\s*(?:([kKmMgGtT])(?:i?[bB])?|[bB])?\\s*$"));
    const auto match = re.match(text);
    if (!match.hasMatch())
        return std::nullopt;
    double value = match.captured(1).toDouble();
    const QString unit = match.captured(2).toLower();
    // Half a byte is not a size; a fraction only makes sense of a multiple.
    if (unit.isEmpty() && value != std::floor(value))
        return std::nullopt;
    const int shift = unit.isEmpty()               ? 0
                      : unit == QLatin1String("k") ? 10
                      : unit == QLatin1String("m") ? 20
                      : unit == QLatin1String("g") ? 30
                                                   : 40;
    value *= double(qint64(1) << shift);
    if (value > 9.0e18)
        return std::nullopt;
    return qint64(std::llround(value));
}

QString counted(qint64 n, const QString& one, const QString& many)
{
    return n == 1 ? one : many.arg(n);
}

} // namespace mf::units
