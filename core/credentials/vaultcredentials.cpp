#include "vaultcredentials.h"

#include "keychaincredentialstore.h"
#include "plaintextcredentialstore.h"

namespace mf::vaultcredentials {

std::unique_ptr<CredentialStore> make(const QString& setting, const QString& vaultDirectory,
                                      QString* error)
{
    if (setting.isEmpty() || setting == keychain())
        return std::make_unique<KeychainCredentialStore>();
    if (setting == plaintext())
        return std::make_unique<PlaintextCredentialStore>(vaultDirectory + QLatin1Char('/') +
                                                          PlaintextCredentialStore::fileName());
    *error = QStringLiteral("The vault's credential store setting “%1” is unknown (expected "
                            "“%2” or “%3”)")
                 .arg(setting, keychain(), plaintext());
    return nullptr;
}

} // namespace mf::vaultcredentials
