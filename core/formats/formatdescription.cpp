#include "formatdescription.h"

#include "parametercount.h"

#include <QStringList>

namespace mf::formats {

QString formatProblem(const QJsonObject& metadata)
{
    const QString error = metadata.value(QLatin1String("formatError")).toString();
    return error.isEmpty() ? QString() : QStringLiteral("unreadable header: ") + error;
}

QString describeFormat(const QJsonObject& m)
{
    QStringList parts;
    const QString format = m.value(QLatin1String("format")).toString();
    if (format == QLatin1String("gguf"))
        parts.append(QStringLiteral("GGUF"));
    else if (!format.isEmpty())
        parts.append(format);
    if (m.contains(QLatin1String("architecture")))
        parts.append(m.value(QLatin1String("architecture")).toString());
    if (m.contains(QLatin1String("parameters")) && m.contains(QLatin1String("tensorCount")))
        parts.append(
            QStringLiteral("%1 parameters")
                .arg(formatParameterCount(m.value(QLatin1String("parameters")).toInteger())));
    if (m.contains(QLatin1String("quantization")))
        parts.append(m.value(QLatin1String("quantization")).toString());
    if (m.contains(QLatin1String("contextLength")))
        parts.append(
            QStringLiteral("context %1").arg(m.value(QLatin1String("contextLength")).toInteger()));
    if (m.value(QLatin1String("hasChatTemplate")).toBool())
        parts.append(QStringLiteral("chat template"));
    if (const QString problem = formatProblem(m); !problem.isEmpty())
        parts.append(problem);
    return parts.join(QStringLiteral(" · "));
}

} // namespace mf::formats
