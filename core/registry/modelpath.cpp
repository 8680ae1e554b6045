#include "modelpath.h"

#include "modelname.h"

#include <QStringList>

namespace mf::modelpath {

QString problem(const QString& path)
{
    const QString shown = modelname::escaped(path.left(MaxLength));
    if (path.isEmpty())
        return QStringLiteral("A file path inside a model cannot be empty");
    if (path.size() > MaxLength)
        return QStringLiteral("The file path “%1…” is longer than %2 characters")
            .arg(shown.left(80))
            .arg(MaxLength);
    // escaped() shows a character a name may not hold as \u{…}: a path may not hold it either.
    if (shown != path)
        return QStringLiteral("The file path “%1” holds a control, line-break, invisible or "
                              "undecodable character")
            .arg(shown);
    if (path.contains(QLatin1Char('\\')))
        return QStringLiteral("The file path “%1” holds a backslash; use “/” between folders")
            .arg(shown);
    if (path.startsWith(QLatin1Char('/')))
        return QStringLiteral("The file path “%1” is absolute; a path inside a model is relative")
            .arg(shown);
    for (const QString& part : path.split(QLatin1Char('/'))) {
        if (part.isEmpty() || part == QLatin1String(".") || part == QLatin1String(".."))
            return QStringLiteral("The file path “%1” has an empty, “.” or “..” component")
                .arg(shown);
        if (part.toUtf8().size() > MaxComponentBytes)
            return QStringLiteral("A component of the file path “%1” is longer than %2 bytes")
                .arg(shown)
                .arg(MaxComponentBytes);
    }
    return {};
}

} // namespace mf::modelpath
