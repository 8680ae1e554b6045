#pragma once

#include "credentials/catalogkey.h"
#include "providercalls.h"
#include "util/error.h"

#include <QObject>
#include <QPointer>

#include <functional>

namespace mf {

class Vault;

// Gives a vault its catalog key before a catalog job signs or checks anything (docs/catalog.md,
// "Who may write"): the key from the vault's credential store; none there, a new one — unless
// the providers already hold states signed with a key this computer lacks, for then this vault
// joins a store of another computer of the user's, whose recovery key it must import
// (`vault key import`), never sign it with a key of its own.
//
// One loader per vault (a child of it), so that jobs started together never make two keys.
class CatalogKeyLoader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogKeyLoader)

public:
    // Calls `then` from the event loop once the vault holds its key (Error::none()) or with why
    // it cannot; not at all once `context` is gone.
    static void withKey(Vault* vault, QObject* context, std::function<void(const Error&)> then);

    // Makes `key` the vault's catalog key (a recovery key another computer showed): kept in the
    // credential store, then used at once. The vault's own states are signed again under it at
    // its next publish, and unsigned states are read no more. `then` as for withKey().
    static void importKey(Vault* vault, const CatalogKey& key, QObject* context,
                          std::function<void(const Error&)> then);

    // Registry settings the catalog's trust keeps (SettingsRows::setting()).
    // "1" while this vault still takes in unsigned states, as older versions wrote them: from
    // the key made for a vault that had none, on a store holding such states, until its first
    // sync ends (the adoption of a store older versions wrote); never after an imported key.
    static QString readsUnsignedSetting() { return QStringLiteral("catalog.reads_unsigned"); }

private:
    explicit CatalogKeyLoader(Vault* vault);
    void load();
    void lookForSignedStates();
    void readNewest();
    void makeKey();
    void done(const Error& error);

    struct Waiter
    {
        QPointer<QObject> context;
        std::function<void(const Error&)> then;
    };
    Vault* m_vault;
    ProviderCalls m_calls;
    QList<Waiter> m_waiters;
    bool m_loading = false;
    // The newest state of each other vault, per provider, still to read.
    QList<QPair<CatalogProviders::Entry, QString>> m_newest;
    QByteArray m_foreignKey;    // the key id of a signed state found on the providers
    bool m_sawUnsigned = false; // a state older versions wrote: the store is adopted
};

} // namespace mf
