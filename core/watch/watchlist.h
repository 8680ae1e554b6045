#pragma once
// The folders the vault watches (docs/watch.md): kept in the vault's settings as a JSON array of
// absolute canonical paths (key "watched_folders"), so the desktop app and modelfloat-cli share
// one list.

#include <QString>
#include <QStringList>

namespace mf {
class Registry;
}

namespace mf::watchlist {

inline constexpr char SettingKey[] = "watched_folders";

// The watched folders, as stored (an unreadable value reads as none).
QStringList folders(Registry& registry);

// What a change of the list did: `error` empty when it was made, else one sentence saying why
// not, and which kind of reason that is (the CLI's exit code follows it).
struct Change
{
    enum class Refused { No, Missing, NotFolder, Vault, AlreadyWatched, NotWatched, NotSaved };
    Refused refused = Refused::No;
    QString error;
    QString path; // the canonical path the folder is kept as
    bool ok() const { return refused == Refused::No; }
};

// Adds `dir`; refused when it does not exist, is not a folder, is inside the vault (or holds it),
// or is watched already.
Change add(Registry& registry, const QString& vaultDirectory, const QString& dir);

// Removes `dir` (as given, or canonical); refused when it is not watched. Nothing floated from
// it leaves the vault.
Change remove(Registry& registry, const QString& dir);

} // namespace mf::watchlist
