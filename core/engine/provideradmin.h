#pragma once

#include "registry/records.h"
#include "requests/transferrequest.h"

#include <QJsonObject>
#include <QObject>

#include <functional>

namespace mf {

class ProviderSetup;
class Vault;

// The providers of the open vault as the app administers them: add, edit and remove (through
// ProviderSetup), test, and ask what they hold. Settings go to the registry; secrets only ever
// to the vault's credential store. Lives on the engine thread; reports by signal.
class ProviderAdmin final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderAdmin)

public:
    // `queue`: queues a transfer (removing a provider that holds chunks drains it first);
    // `transfersRunning`: whether any transfer runs now.
    ProviderAdmin(std::function<void(TransferRequest)> queue,
                  std::function<bool()> transfersRunning, QObject* parent);
    ~ProviderAdmin() override;

    void start(Vault* vault) { m_vault = vault; }
    // Before the vault closes: the tests and measures still asking go first (their leases).
    void close();

    void addProvider(const ProviderRecord& record, const QJsonObject& secrets);
    void updateProvider(const ProviderRecord& record, const QJsonObject& secrets);
    // Drains it first when it holds chunks (unless `force`), then removes it.
    void removeProvider(qint64 id, bool force);
    void testProvider(qint64 id);
    void testProviderSettings(const ProviderRecord& record, const QJsonObject& secrets);
    // Asks every enabled provider what it holds and how much more it takes -> providerSpace.
    void measureProviders();

Q_SIGNALS:
    void providersChanged();
    // A provider was added, changed or removed: the copies every chunk wants may have changed.
    void setupApplied();
    void providerError(const QString& message);
    void providerWarning(const QString& message);
    void providerTested(qint64 id, const QString& error, qint64 roundTripMs, qint64 usedBytes,
                        qint64 availableBytes);
    void providerSpace(qint64 id, qint64 usedBytes, qint64 availableBytes);

private:
    void runSetup(ProviderSetup* setup);

    std::function<void(TransferRequest)> m_queue;
    std::function<bool()> m_transfersRunning;
    Vault* m_vault = nullptr;
};

} // namespace mf
