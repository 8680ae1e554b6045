#include "watchlist.h"

#include "registry/registry.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace mf::watchlist {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("WatchList", text);
}

bool store(Registry& registry, const QStringList& list)
{
    return registry.settings().setSetting(
        QLatin1String(SettingKey),
        QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(list)).toJson(QJsonDocument::Compact)));
}

// Whether `path` is `folder` or below it (both canonical).
bool isAtOrBelow(const QString& path, const QString& folder)
{
    return path == folder ||
           path.startsWith(folder.endsWith(QLatin1Char('/')) ? folder : folder + QLatin1Char('/'));
}

} // namespace

QStringList folders(Registry& registry)
{
    const QJsonDocument doc =
        QJsonDocument::fromJson(registry.settings().setting(QLatin1String(SettingKey)).toUtf8());
    QStringList out;
    // Another program may have written the value: only absolute paths, each once.
    for (const QJsonValue& v : doc.array()) {
        const QString path = v.toString();
        if (QDir::isAbsolutePath(path) && !out.contains(path))
            out.append(path);
    }
    return out;
}

Change add(Registry& registry, const QString& vaultDirectory, const QString& dir)
{
    using R = Change::Refused;
    const QFileInfo info(dir);
    if (!info.exists())
        return {R::Missing, tr("“%1” does not exist").arg(dir), {}};
    if (!info.isDir())
        return {
            R::NotFolder, tr("“%1” is not a folder; watch the folder that holds it").arg(dir), {}};
    const QString canonical = info.canonicalFilePath();
    const QString vault = QFileInfo(vaultDirectory).canonicalFilePath();
    if (!vault.isEmpty() && isAtOrBelow(canonical, vault))
        return {
            R::Vault,
            tr("“%1” is inside the vault (%2); watch a folder of your own models").arg(dir, vault),
            {}};
    if (!vault.isEmpty() && isAtOrBelow(vault, canonical))
        return {R::Vault,
                tr("“%1” holds the vault (%2); watch a folder beside it").arg(dir, vault),
                {}};
    QStringList list = folders(registry);
    if (list.contains(canonical))
        return {R::AlreadyWatched, tr("“%1” is watched already").arg(canonical), canonical};
    list.append(canonical);
    if (!store(registry, list))
        return {
            R::NotSaved, tr("Cannot save the watched folders: %1").arg(registry.lastError()), {}};
    return {R::No, {}, canonical};
}

Change remove(Registry& registry, const QString& dir)
{
    using R = Change::Refused;
    QStringList list = folders(registry);
    // As given (a folder deleted since it was added), else as the folder it is now.
    QString key = QDir::cleanPath(QDir(dir).absolutePath());
    if (!list.contains(key)) {
        const QString canonical = QFileInfo(dir).canonicalFilePath();
        if (canonical.isEmpty() || !list.contains(canonical))
            return {R::NotWatched, tr("“%1” is not watched").arg(dir), {}};
        key = canonical;
    }
    list.removeAll(key);
    if (!store(registry, list))
        return {
            R::NotSaved, tr("Cannot save the watched folders: %1").arg(registry.lastError()), {}};
    return {R::No, {}, key};
}

} // namespace mf::watchlist
