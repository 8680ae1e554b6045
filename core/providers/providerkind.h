#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

class QObject;

namespace mf {

class CredentialJob;

// One setting a provider kind needs, described once so the command-line tool and the GUI's
// add/edit form are both generated from it: a new kind needs no change to either.
struct ProviderField
{
    enum class Type {
        Text,   // free text
        Url,    // an http(s) URL
        Path,   // a local folder
        Secret, // goes to the credential store, never to settings, argv or logs
        Number, // an integer
        Size,   // bytes, typed as "50G", "512M"
        Bool,   // a switch
        Choice, // one of `choices`
    };

    QString key;   // settings (or secret) key, e.g. "endpoint", "secretAccessKey"
    QString label; // "Endpoint URL"
    Type type = Type::Text;
    bool required = false;
    QString placeholder; // an example value, e.g. "https://s3.eu-central-1.amazonaws.com"
    QString help;        // one sentence
    QJsonValue defaultValue;
    QStringList choices; // for Choice

    bool isSecret() const { return type == Type::Secret; }
};

// What a provider kind is, for people and for forms.
struct ProviderKind
{
    QString id;          // "local", "s3", "webdav", "ipfs", ...
    QString displayName; // "S3-compatible storage"
    QString description; // one sentence shown under the kind's name
    QList<ProviderField> fields;
    // For kinds whose typed secrets are exchanged before anything is stored (MEGA: a password
    // for a session, so the password is never kept): returns an unstarted job that signs in
    // with `settings` (normalized) and `typedSecrets`; its secrets() are what the credential
    // store keeps. Empty for kinds that store what was typed.
    std::function<CredentialJob*(const QJsonObject& settings, const QJsonObject& typedSecrets,
                                 QObject* parent)>
        signIn;

    const ProviderField* field(const QString& key) const
    {
        for (const ProviderField& f : fields)
            if (f.key == key)
                return &f;
        return nullptr;
    }
    bool hasSecrets() const
    {
        for (const ProviderField& f : fields)
            if (f.isSecret())
                return true;
        return false;
    }
};

} // namespace mf
