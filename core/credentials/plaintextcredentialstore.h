#pragma once

#include "credentialstore.h"

namespace mf {

// Secrets in one JSON file (mode 0600) in the vault folder, for machines with no keychain
// service. Not encrypted: anyone who can read the file as this user (or root, or a backup) can
// read the secrets, so a vault uses it only when the user explicitly opted in
// (`modelfloat-cli config credentials plaintext --i-understand-plaintext`), and warning() says so.
//
// The file is {"version": 1, "secrets": {"<key>": {<secrets>}}}. Every change rewrites it
// atomically (a 0600 temporary file in the same folder, fsync, rename), so a crash leaves the
// old or the new file, never a half-written one. A file other users can read is refused.
// Two processes changing it at the same moment may lose one change (no lock); the CLI and the
// GUI rarely change provider secrets at the same time.
class PlaintextCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlaintextCredentialStore)

public:
    explicit PlaintextCredentialStore(const QString& filePath, QObject* parent = nullptr);
    ~PlaintextCredentialStore() override;

    // The file name a vault uses, inside its folder.
    static QString fileName() { return QStringLiteral("credentials.json"); }

    CredentialJob* read(const QString& key) override;
    CredentialJob* write(const QString& key, const QJsonObject& secrets) override;
    CredentialJob* remove(const QString& key) override;
    QString description() const override;
    QString warning() const override;

    QString filePath() const { return m_path; }

private:
    // The whole file's "secrets" object; an absent file is an empty object.
    Error load(QJsonObject* all) const;
    Error save(const QJsonObject& all) const;

    QString m_path;
};

} // namespace mf
