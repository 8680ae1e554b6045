#pragma once

#include <QString>

#include <memory>

namespace mf {

class CredentialStore;

// Which credential store a vault uses, chosen by its "credentials" setting:
// "keychain" (the default: the OS keychain) or "plaintext" (a 0600 JSON file in the vault
// folder; only ever set by an explicit opt-in, see `modelfloat-cli config credentials`).
namespace vaultcredentials {

inline QString settingKey()
{
    return QStringLiteral("credentials");
}
inline QString keychain()
{
    return QStringLiteral("keychain");
}
inline QString plaintext()
{
    return QStringLiteral("plaintext");
}

// The vault setting ("none") that marks a provider never given a secret (a local folder, an
// IPFS node without authorization, a WebDAV share without a password): its adapter is made
// without a credential store, so it never asks the keychain, which may not run at all.
inline QString noSecretsKey(qint64 providerId)
{
    return QStringLiteral("provider.%1.secrets").arg(providerId);
}

// The store for `setting` (empty means keychain) of the vault in `vaultDirectory`; nullptr and
// *error for an unknown setting.
std::unique_ptr<CredentialStore> make(const QString& setting, const QString& vaultDirectory,
                                      QString* error);

} // namespace vaultcredentials
} // namespace mf
