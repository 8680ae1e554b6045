#pragma once

#include <QString>

#include <atomic>
#include <memory>

namespace mf {

class BandwidthLimiter;
class CredentialStore;

// What an adapter gets from its vault besides its own settings.
struct ProviderContext
{
    // Where the provider's secrets are; null when the vault has none open (kinds that need a
    // secret then fail with an Authentication error that says so).
    CredentialStore* credentials = nullptr;
    // Stable id of the vault (a UUID): key prefixes on shared stores, keychain entry names.
    QString vaultId;
    // The vault's temporary folder, for adapters that must spool (bounded) data.
    QString tempDirectory;
    // The vault's durability (Vault::flushWrites()), read at each write, so that a change
    // applies to adapters already made; null: flush.
    std::shared_ptr<const std::atomic_bool> flushWrites = nullptr;
    // The vault's upload and download limits, shared by all its providers; null: none. Every
    // byte an adapter sends or receives goes through it (HttpExchange does it for the network
    // kinds).
    std::shared_ptr<BandwidthLimiter> bandwidth = nullptr;
    // Keeps `credentials` for as long as the adapter lives, since an adapter is leased and may
    // outlive the store being the vault's (Vault::setCredentialStore()) or the vault; null when
    // whoever made the adapter keeps the store alive longer itself (a test).
    std::shared_ptr<CredentialStore> credentialsOwner = nullptr;
};

} // namespace mf
