#pragma once

#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>

namespace mf {

class Registry;
class Vault;

// What of a model is on this computer's own disk, and which models are kept there: the vault's
// embedded local-folder provider (<vault>/local-store, made with the vault). A local-folder
// provider anywhere else (another disk, a USB drive) is a provider like any other, not "this
// computer". `offload` removes a model's copies here once they exist elsewhere; `pin` keeps them
// here (docs/mount.md, "Offload and pin").
namespace thiscomputer {

// The folder of the vault's embedded provider.
QString localStoreOf(const QString& vaultDirectory);

// The id of the vault's embedded provider: kind "local", its path that folder. None when the
// vault has none (it was removed, or the vault was made without one).
std::optional<qint64> embeddedProviderId(Registry& registry, const QString& vaultDirectory);
std::optional<qint64> embeddedProviderId(Vault& vault);

// The models kept on this computer (vault setting PinnedSetting: a JSON array of names).
constexpr const char* PinnedSetting = "pinned_models";
QStringList pinnedModels(Registry& registry);
bool isPinned(Registry& registry, const QString& model);
bool setPinned(Registry& registry, const QString& model, bool pinned);

// Where a model's chunks are, seen from this computer.
struct LocalState
{
    enum class Where { OnThisComputer, Partly, FloatingOnly };
    int chunks = 0;           // the model's chunks
    int chunksHere = 0;       // of them, stored on the embedded provider
    qint64 bytesHere = 0;     // their bytes
    qint64 bytesFreeable = 0; // of those, what an offload frees (chunks no pinned model uses)
    bool pinned = false;
    Where where() const
    {
        if (chunksHere == 0)
            return Where::FloatingOnly;
        return chunksHere >= chunks ? Where::OnThisComputer : Where::Partly;
    }
    // "on this computer", "partly", "floating only".
    QString whereText() const;
};
// For a model by id; all zero when the vault has no embedded provider.
LocalState localState(Registry& registry, const QString& vaultDirectory, qint64 modelId);
LocalState localState(Vault& vault, qint64 modelId);

// The chunks the pinned models other than `exceptModel` use: they stay on this computer.
QSet<QString> pinnedChunks(Registry& registry, const QString& exceptModel = {});

// Whether the disk that holds the vault is running out: less free than 10 GiB or 5% of it,
// whichever is smaller (a large disk warns at 10 GiB, a small one at its last 5%). The tray
// says so once, offering to free up space (SyncService).
constexpr qint64 LowDiskBytes = qint64(10) << 30;
bool diskSpaceIsLow(qint64 freeBytes, qint64 totalBytes);

} // namespace thiscomputer
} // namespace mf
