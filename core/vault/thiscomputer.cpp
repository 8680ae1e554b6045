#include "thiscomputer.h"

#include "vault.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>

namespace mf::thiscomputer {

QString localStoreOf(const QString& vaultDirectory)
{
    return vaultDirectory + QStringLiteral("/local-store");
}

std::optional<qint64> embeddedProviderId(Vault& vault)
{
    return embeddedProviderId(vault.registry(), vault.directory());
}

std::optional<qint64> embeddedProviderId(Registry& registry, const QString& vaultDirectory)
{
    const QString own = QDir::cleanPath(localStoreOf(vaultDirectory));
    for (const ProviderRecord& p : registry.providerRows().providers())
        if (p.kind == QLatin1String("local") &&
            QDir::cleanPath(p.settings.value(QStringLiteral("path")).toString()) == own)
            return p.id;
    return std::nullopt;
}

QStringList pinnedModels(Registry& registry)
{
    QStringList names;
    const QJsonDocument doc =
        QJsonDocument::fromJson(registry.settings().setting(QLatin1String(PinnedSetting)).toUtf8());
    for (const QJsonValue& v : doc.array())
        if (v.isString() && !v.toString().isEmpty())
            names.append(v.toString());
    return names;
}

bool isPinned(Registry& registry, const QString& model)
{
    return pinnedModels(registry).contains(model);
}

bool setPinned(Registry& registry, const QString& model, bool pinned)
{
    QStringList names = pinnedModels(registry);
    if (names.contains(model) == pinned)
        return true;
    if (pinned)
        names.append(model);
    else
        names.removeAll(model);
    return registry.settings().setSetting(
        QLatin1String(PinnedSetting),
        QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(names)).toJson(QJsonDocument::Compact)));
}

QString LocalState::whereText() const
{
    switch (where()) {
    case Where::OnThisComputer:
        return QStringLiteral("on this computer");
    case Where::Partly:
        return QStringLiteral("partly");
    case Where::FloatingOnly:
        break;
    }
    return QStringLiteral("floating only");
}

QSet<QString> pinnedChunks(Registry& registry, const QString& exceptModel)
{
    QSet<QString> cids;
    for (const QString& name : pinnedModels(registry)) {
        if (name == exceptModel)
            continue;
        if (const auto model = registry.modelRows().modelByName(name))
            for (const QString& cid : registry.placementRows().placementsOfModel(model->id).keys())
                cids.insert(cid);
    }
    return cids;
}

LocalState localState(Vault& vault, qint64 modelId)
{
    return localState(vault.registry(), vault.directory(), modelId);
}

LocalState localState(Registry& registry, const QString& vaultDirectory, qint64 modelId)
{
    LocalState state;
    const auto model = registry.modelRows().model(modelId);
    if (model)
        state.pinned = isPinned(registry, model->name);
    const auto local = embeddedProviderId(registry, vaultDirectory);
    const QHash<QString, QList<Placement>> chunks =
        registry.placementRows().placementsOfModel(modelId);
    state.chunks = int(chunks.size());
    if (!local)
        return state;
    const QSet<QString> kept = model ? pinnedChunks(registry, model->name) : QSet<QString>();
    for (auto it = chunks.cbegin(); it != chunks.cend(); ++it) {
        for (const Placement& p : it.value()) {
            if (p.providerId != *local || p.state != PlacementState::Stored)
                continue;
            const qint64 size = registry.placementRows().chunkSize(it.key()).value_or(0);
            state.chunksHere++;
            state.bytesHere += size;
            if (!kept.contains(it.key()))
                state.bytesFreeable += size;
        }
    }
    return state;
}

bool diskSpaceIsLow(qint64 freeBytes, qint64 totalBytes)
{
    if (freeBytes < 0 || totalBytes <= 0)
        return false; // not known: say nothing
    return freeBytes < qMin(LowDiskBytes, totalBytes / 20);
}

} // namespace mf::thiscomputer
