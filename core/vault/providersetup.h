#pragma once

#include "registry/records.h"
#include "util/error.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include <functional>

namespace mf {

class CredentialJob;
class Vault;

// What a person asks for when adding or changing a provider. `settings` may hold strings as
// typed on a command line or typed JSON from a form (see providerfields.h); `secrets` go to the
// vault's credential store only, never to the registry.
struct ProviderSpec
{
    QString kind; // add only; ignored by update
    QString name;
    QJsonObject settings;
    QJsonObject secrets; // update: empty keeps the stored secrets
    qint64 quotaBytes = -1;
};

// The one way to add, change or remove a provider, used by the command-line tool and the GUI's
// engine: validates the settings against the kind's fields, keeps the registry row and the
// secrets in the credential store consistent, and ends with exactly one finished() (queued,
// never from inside start()). Lives on the vault's thread; never blocks it.
//
//   add:    checks everything, signs in (kinds with a ProviderKind::signIn: the typed secrets
//           are exchanged for the ones to keep, and a refused sign-in adds nothing), inserts the
//           row, writes the secrets; if the secret write fails the row is deleted again, so
//           there is never a provider without its secrets.
//           (A crash between the two steps can leave the row; its adapter then reports that
//           its secret cannot be read, and `provider remove` cleans it up.)
//   update: checks, signs in with new secrets (if any, for kinds that sign in), writes them
//           first, then the row; a failed sign-in or secret write changes nothing. This is
//           also how a provider whose session ended signs in again.
//   remove: refuses a provider that still holds chunks unless `force`; deletes its secrets
//           first (if that fails the provider is kept, unless `force` or its kind's secrets
//           are all optional: then warning() says what was left behind), then the row.
//
// The caller deletes the object after finished() (deleteLater()).
class ProviderSetup final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderSetup)

public:
    enum class Failure {
        None,
        Invalid,     // a setting or secret is missing or malformed (the message names it)
        BadPath,     // a Path field names a file, or a folder that cannot be created
        NameTaken,   // another provider has that name
        NotFound,    // no such provider, or an unknown kind
        HoldsChunks, // remove without force of a provider that still stores chunks
        SignIn,      // the provider refused the sign-in (wrong password, missing 2FA code, ...)
        Failed,      // the registry or the credential store failed (the message says which)
    };

    static ProviderSetup* add(Vault& vault, const ProviderSpec& spec, QObject* parent = nullptr);
    static ProviderSetup* update(Vault& vault, qint64 id, const ProviderSpec& spec,
                                 QObject* parent = nullptr);
    static ProviderSetup* remove(Vault& vault, qint64 id, bool force, QObject* parent = nullptr);
    ~ProviderSetup() override;

    void start();
    const Error& error() const { return m_error; }
    Failure failure() const { return m_failure; }
    qint64 providerId() const { return m_id; }
    // Something the user should be told even on success (the plaintext store's warning, a
    // forced removal that left secrets behind); empty when nothing.
    QString warning() const { return m_warning; }

Q_SIGNALS:
    void finished();

private:
    enum class Action { Add, Update, Remove };
    ProviderSetup(Vault& vault, Action action, QObject* parent);

    void startAdd();
    void addRow();
    void startUpdate();
    void updateRow(const ProviderRecord& existing);
    void startRemove();
    // Validates m_spec for `kindId`; fills m_settings. False after fail().
    bool validate(const QString& kindId, bool secretsRequired);
    bool preparePaths(const QString& kindId);
    // Kinds that sign in: exchanges m_spec.secrets for the ones to store, then `then` (after
    // fail() when the sign-in is refused). Others: `then` at once.
    void signIn(const QString& kindId, std::function<void()> then);
    void writeSecrets(std::function<void(const Error&)> then);
    void removeSecrets(std::function<void(const Error&)> then);
    QString secretsKey() const;
    void fail(Failure failure, const QString& message);
    void succeed();

    Vault& m_vault;
    Action m_action;
    ProviderSpec m_spec;
    QJsonObject m_settings;
    qint64 m_id = 0;
    bool m_force = false;
    bool m_started = false;
    Error m_error;
    Failure m_failure = Failure::None;
    QString m_warning;
    QPointer<CredentialJob> m_job;
    QPointer<CredentialJob> m_signInJob;
};

} // namespace mf
