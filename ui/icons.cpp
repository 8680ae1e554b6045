#include "icons.h"

#include <QFile>

// Q_INIT_RESOURCE must be called outside any namespace. A static library's resources are
// otherwise dropped by the linker when nothing references them.
static void registerModelFloatResources()
{
    static const bool registered = [] {
        Q_INIT_RESOURCE(modelfloat);
        return true;
    }();
    Q_UNUSED(registered);
}

namespace mf::ui {

QString iconPath(const QString& name)
{
    registerModelFloatResources();
    return QStringLiteral(":/icons/") + name + QStringLiteral(".svg");
}

QIcon icon(const QString& name)
{
    return QIcon(iconPath(name));
}

QIcon providerKindIcon(const QString& kind)
{
    const QString path = iconPath(QStringLiteral("provider-") + kind);
    if (QFile::exists(path))
        return QIcon(path);
    return icon(QStringLiteral("provider-generic"));
}

} // namespace mf::ui
