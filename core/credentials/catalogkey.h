#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace mf {

// The secret that authenticates a store's catalog (docs/catalog.md, "Who may write"): 32
// random bytes that only the user's computers hold, in each vault's credential store (the OS
// keychain unless the user opted in to the plaintext file). Every state and lease a vault
// writes carries an HMAC-SHA256 under it; an object without a valid one is never acted upon.
// The same key on every computer that shares a store: a new computer gets it from the
// recovery key text another one shows.
class CatalogKey
{
public:
    static constexpr int Size = 32;

    // A new key from the system's random source.
    static CatalogKey generate();
    // The key in a recovery text as recoveryText() writes it: case, spaces and dashes do not
    // matter; a typo is caught by its check digits. nullopt and *error in words a person can
    // act on otherwise.
    static std::optional<CatalogKey> fromRecoveryText(const QString& text, QString* error);
    // The key as the credential store keeps it ({"catalogKey": "<base64>"}); nullopt when the
    // secrets hold none or a malformed one.
    static std::optional<CatalogKey> fromSecrets(const QJsonObject& secrets);
    QJsonObject toSecrets() const;

    // "MFK1-" then the key and two check bytes in base32, in groups of five: what a person
    // copies, prints or reads out to the other computer.
    QString recoveryText() const;
    // 16 lowercase hex digits that name the key without revealing it: written in each signed
    // object, so a reader can tell "signed by another key" from "forged".
    QByteArray id() const { return m_id; }
    // HMAC-SHA256 of `data`, as 64 lowercase hex digits.
    QByteArray mac(const QByteArray& data) const;
    // Whether `macHex` is mac(data), compared in constant time.
    bool verify(const QByteArray& data, const QByteArray& macHex) const;

private:
    explicit CatalogKey(const QByteArray& secret);

    QByteArray m_secret;
    QByteArray m_id;
};

// The credential store's key for a vault's catalog key ("modelfloat/<vault id>/catalog-key").
QString catalogKeyName(const QString& vaultId);

} // namespace mf
