#include "webformat.h"

#include <QDateTime>
#include <QLocale>

#include <cmath>

namespace mf::api::webformat {

QString toFixed(double x, int digits)
{
    // x times 10^digits is exact in a long double (a 64-bit mantissa holds the double's 53 bits
    // and the 7 bits of 100) and so is adding one half below 2^17: no rounding but toFixed()'s.
    const long double scale = digits == 2 ? 100.0L : digits == 1 ? 10.0L : 1.0L;
    const auto n = static_cast<qint64>(std::floor(static_cast<long double>(x) * scale + 0.5L));
    const auto whole = static_cast<qint64>(scale);
    QString out = QString::number(n / whole);
    if (digits > 0)
        out +=
            QLatin1Char('.') + QString::number(n % whole).rightJustified(digits, QLatin1Char('0'));
    return out;
}

QString number(double n)
{
    if (n == std::floor(n) && std::fabs(n) < 1e15)
        return QString::number(static_cast<qint64>(n));
    return QString::number(n, 'g', QLocale::FloatingPointShortest);
}

QString bytes(double n)
{
    if (!std::isfinite(n))
        return {};
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (n >= 1024 && i < 4) {
        n /= 1024;
        ++i;
    }
    return (i == 0 ? number(n) : toFixed(n, n < 10 ? 2 : 1)) + QLatin1Char(' ') +
           QLatin1String(units[i]);
}

QString count(double n)
{
    if (!std::isfinite(n) || n <= 0)
        return {};
    static const struct
    {
        double size;
        char unit;
    } steps[] = {{1e12, 'T'}, {1e9, 'B'}, {1e6, 'M'}, {1e3, 'K'}};
    for (const auto& step : steps)
        if (n >= step.size)
            return toFixed(n / step.size, n / step.size < 10 ? 2 : 1) + QLatin1Char(step.unit);
    return number(n);
}

QString date(const QString& iso)
{
    if (iso.isEmpty())
        return QStringLiteral("never");
    const QDateTime d = QDateTime::fromString(iso, Qt::ISODate);
    if (!d.isValid())
        return iso;
    return d.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

} // namespace mf::api::webformat
