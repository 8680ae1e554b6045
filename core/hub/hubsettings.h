#pragma once

#include "providers/retrypolicy.h"

#include <QString>

namespace mf {

class Registry;

// How the app talks to the Hub: where, as whom, and whether at all.
struct HubSettings
{
    static constexpr const char* DefaultEndpoint = "https://huggingface.co";

    QString endpoint = QString::fromLatin1(DefaultEndpoint); // no trailing '/'
    QString token;        // "hf_…" or empty (anonymous); never logged
    bool offline = false; // true: no request is ever sent; every job fails saying so
    RetryPolicy retry{8, 1000, 60000};
    int stallTimeoutMs = 30000; // no byte for this long: the connection is dropped and retried

    // The endpoint a vault uses, like huggingface_hub: $HF_ENDPOINT, else the vault setting
    // "hub.endpoint", else https://huggingface.co. Offline from $HF_HUB_OFFLINE=1 or the vault
    // setting "hub.offline" = "1". The token is not read here (it lives in the keychain).
    static HubSettings forVault(Registry& registry);
    // Keychain entry of the vault's Hub token: "modelfloat/<vault id>/hf-token", holding
    // {"token": "hf_…"}.
    static QString tokenKey(const QString& vaultId);
    static constexpr const char* EndpointSetting = "hub.endpoint";
    static constexpr const char* OfflineSetting = "hub.offline";
};

} // namespace mf
