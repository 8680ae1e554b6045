#include "parametercount.h"

namespace mf::formats {

QString formatParameterCount(qint64 count)
{
    if (count < 0)
        return {};
    static const struct
    {
        double scale;
        const char* suffix;
    } units[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
    for (const auto& u : units) {
        if (double(count) >= u.scale) {
            const double v = double(count) / u.scale;
            const int decimals = v < 10 ? 2 : v < 100 ? 1 : 0;
            return QString::number(v, 'f', decimals) + QLatin1String(u.suffix);
        }
    }
    return QString::number(count);
}

} // namespace mf::formats
