#include "appuses.h"

#include "materializedcache.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>

namespace mf {

namespace {

constexpr qint64 MaxIndexBytes = 16 << 20; // thousands of uses; anything larger is not ours

} // namespace

QString AppUses::path() const
{
    return m_root + QStringLiteral("/modelfloat-app-uses.json");
}

QList<AppUses::Use> AppUses::all() const
{
    QList<Use> result;
    QFile file(path());
    if (!file.open(QIODevice::ReadOnly) || file.size() > MaxIndexBytes)
        return result;
    const QJsonArray uses =
        QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("uses")).toArray();
    for (const QJsonValue& v : uses) {
        const QJsonObject o = v.toObject();
        Use use;
        use.model = o.value(QStringLiteral("model")).toString();
        use.app = o.value(QStringLiteral("app")).toString();
        use.appName = o.value(QStringLiteral("app_name")).toString();
        use.label = o.value(QStringLiteral("label")).toString();
        use.root = o.value(QStringLiteral("root")).toString();
        use.method = o.value(QStringLiteral("method")).toString();
        use.bytesSaved = o.value(QStringLiteral("bytes_saved")).toInteger();
        for (const QJsonValue& f : o.value(QStringLiteral("files")).toArray()) {
            const QJsonObject fo = f.toObject();
            // Identities are kept as strings: 64-bit inodes do not fit a double.
            use.files.append(File{fo.value(QStringLiteral("path")).toString(),
                                  fo.value(QStringLiteral("kind")).toString(),
                                  fo.value(QStringLiteral("target")).toString(),
                                  fo.value(QStringLiteral("device")).toString().toULongLong(),
                                  fo.value(QStringLiteral("inode")).toString().toULongLong(),
                                  fo.value(QStringLiteral("bytes")).toInteger()});
        }
        if (!use.model.isEmpty() && !use.app.isEmpty())
            result.append(use);
    }
    return result;
}

AppUses AppUses::ofVault(const QString& vaultDirectory)
{
    return AppUses(MaterializedCache::defaultRoot(vaultDirectory));
}

QString AppUses::removalRefusal(const QString& model) const
{
    const QStringList apps = appsUsing(model);
    if (apps.isEmpty())
        return {};
    return QStringLiteral("“%1” is in use by %2, which share its materialized copy; take it out "
                          "of them first (“modelfloat-cli use %1 --remove --in APP”)")
        .arg(model, apps.join(QStringLiteral(", ")));
}

QList<AppUses::Use> AppUses::of(const QString& model) const
{
    QList<Use> result;
    for (const Use& use : all())
        if (use.model == model)
            result.append(use);
    return result;
}

QStringList AppUses::appsUsing(const QString& model) const
{
    QStringList names;
    for (const Use& use : of(model))
        names.append(use.appName.isEmpty() ? use.app : use.appName);
    return names;
}

bool AppUses::add(const Use& use, QString* error)
{
    QList<Use> uses = all();
    uses.erase(
        std::remove_if(uses.begin(), uses.end(),
                       [&](const Use& u) { return u.model == use.model && u.app == use.app; }),
        uses.end());
    uses.append(use);
    return save(uses, error);
}

bool AppUses::forget(const QString& model, const QString& app, QString* error)
{
    QList<Use> uses = all();
    uses.erase(std::remove_if(uses.begin(), uses.end(),
                              [&](const Use& u) { return u.model == model && u.app == app; }),
               uses.end());
    return save(uses, error);
}

bool AppUses::save(const QList<Use>& uses, QString* error) const
{
    QDir().mkpath(m_root);
    QJsonArray list;
    for (const Use& use : uses) {
        QJsonArray files;
        for (const File& f : use.files)
            files.append(QJsonObject{{QStringLiteral("path"), f.path},
                                     {QStringLiteral("kind"), f.kind},
                                     {QStringLiteral("target"), f.target},
                                     {QStringLiteral("device"), QString::number(f.device)},
                                     {QStringLiteral("inode"), QString::number(f.inode)},
                                     {QStringLiteral("bytes"), f.bytes}});
        list.append(QJsonObject{{QStringLiteral("model"), use.model},
                                {QStringLiteral("app"), use.app},
                                {QStringLiteral("app_name"), use.appName},
                                {QStringLiteral("label"), use.label},
                                {QStringLiteral("root"), use.root},
                                {QStringLiteral("method"), use.method},
                                {QStringLiteral("bytes_saved"), use.bytesSaved},
                                {QStringLiteral("files"), files}});
    }
    QSaveFile file(path());
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(QJsonObject{{QStringLiteral("uses"), list}}).toJson()) < 0 ||
        !file.commit()) {
        *error = QStringLiteral("Cannot write the record of the apps using the cache “%1”: %2")
                     .arg(path(), file.errorString());
        return false;
    }
    return true;
}

} // namespace mf
