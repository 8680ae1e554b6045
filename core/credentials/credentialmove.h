#pragma once

#include "util/error.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

namespace mf {

class CredentialJob;
class CredentialStore;

// Moves secrets from one credential store to another, for a vault switching between the
// keychain and the plaintext file: every key is copied first (read, write), and only when all
// copies succeeded are the originals removed, so a failure at any point leaves every secret
// readable in the old store (the vault keeps using it). Keys the old store does not have are
// skipped. Ends with exactly one finished(), queued.
class CredentialMove final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialMove)

public:
    CredentialMove(CredentialStore& from, CredentialStore& to, const QStringList& keys,
                   QObject* parent = nullptr);
    ~CredentialMove() override;

    void start();
    const Error& error() const { return m_error; }
    int movedCount() const { return int(m_copied.size()); }
    // True once every secret is in the new store (even if removing an original then failed):
    // from then on the vault must use the new store.
    bool copiedAll() const { return m_copiedAll; }

Q_SIGNALS:
    void finished();

private:
    void copyNext();
    void removeNext();
    void done(const Error& error);

    CredentialStore& m_from;
    CredentialStore& m_to;
    QStringList m_pending;
    QStringList m_copied;
    qsizetype m_removed = 0;
    bool m_copiedAll = false;
    QPointer<CredentialJob> m_job;
    Error m_error;
};

} // namespace mf
