#pragma once

#include "apiserverstatus.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>

namespace mf::api {
class ApiServer;
class ApiTokenJob;
class TransferControl;
} // namespace mf::api

namespace mf {

class Vault;

// The local HTTP API (docs/api.md) as the app serves it: started on the engine's thread, beside
// the vault whose jobs it runs, when the setting is on and a vault is open; the transfers it
// starts go to `queue`, the engine's one queue.
class ApiHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiHost)

public:
    ApiHost(api::TransferControl* queue, QObject* parent);
    ~ApiHost() override;

    // The vault is open: the server starts if it is wanted.
    void start(Vault* vault);
    // The vault closes: the server stops (its connections and their reads go before the vault).
    void close();
    // Served on `address`:`port` while `enabled` and a vault is open -> changed.
    void set(bool enabled, quint16 port, bool hubWithoutToken, const QHostAddress& address);
    // A one-time link that signs a browser in to the web page (ApiServer::newSignInLink()), or
    // empty when nothing serves.
    QString newWebSignInLink();
    // Ends every web page session (also those `serve` gave on this vault); false with why.
    bool endWebSessions(QString* error);

Q_SIGNALS:
    void changed(const mf::ApiServerStatus& status);

private:
    void restart();
    void stop();

    api::TransferControl* m_queue;
    Vault* m_vault = nullptr;
    bool m_wanted = false;
    quint16 m_port = 0;
    bool m_hubWithoutToken = false;
    QHostAddress m_address{QHostAddress::LocalHost};
    api::ApiServer* m_server = nullptr;
    QPointer<api::ApiTokenJob> m_token; // reading or making the token
};

} // namespace mf
