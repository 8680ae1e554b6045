// serve: the local HTTP API (docs/api.md) on this computer, until Ctrl-C.
#include "command.h"

#include "api/apiserver.h"
#include "api/apitoken.h"
#include "credentials/credentialstore.h"
#include "engine/engineworker.h"
#include "util/qrcode.h"
#include "vault/vault.h"

#include <atomic>

namespace mf::cli {

namespace {

class ServeCommand final : public Command
{
public:
    using Command::Command;
    ~ServeCommand() override
    {
        delete m_server; // its connections read the vault the queue owns
        delete m_queue;
    }

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addOption({QStringLiteral("port"),
                     QStringLiteral("The port on 127.0.0.1 (default 8765; 0 picks a free one)."),
                     QStringLiteral("N"), QStringLiteral("8765")});
        p.addOption({QStringLiteral("address"),
                     QStringLiteral("The address to listen on (default 127.0.0.1: this computer "
                                    "only). Another one lets other computers in, with the "
                                    "token."),
                     QStringLiteral("ADDR"), QStringLiteral("127.0.0.1")});
        p.addOption({QStringLiteral("hub-without-token"),
                     QStringLiteral("Serve the read-only Hugging Face and registry endpoints "
                                    "(what Hugging Face tools and ollama pull read) without the "
                                    "token: any program that reaches the server may then read "
                                    "the models through them.")});
        p.addOption({QStringLiteral("max-connections"),
                     QStringLiteral("Connections served at once; more are answered 503 "
                                    "(default %1).")
                         .arg(api::ApiServer::DefaultMaxConnections),
                     QStringLiteral("N"), QString::number(api::ApiServer::DefaultMaxConnections)});
        p.addOption({QStringLiteral("request-deadline"),
                     QStringLiteral("Seconds a client has to send its whole request, however "
                                    "slowly its bytes come (default 20); 408 after that."),
                     QStringLiteral("S"), QStringLiteral("20")});
        p.addOption({QStringLiteral("no-background-sync"),
                     QStringLiteral("Do not run the vault's background sync (catalog publishing, "
                                    "scrubs, repairs) beside the API, e.g. when the desktop app "
                                    "does it on this computer.")});
        p.addOption({QStringLiteral("print-token"),
                     QStringLiteral("Print the token requests must carry (made on first use), "
                                    "and exit.")});
        p.addOption({QStringLiteral("tls-cert"),
                     QStringLiteral("Serve HTTPS with this PEM certificate (chain); needs "
                                    "--tls-key. For use beyond this computer."),
                     QStringLiteral("FILE")});
        p.addOption({QStringLiteral("tls-key"),
                     QStringLiteral("The PEM private key (RSA or EC, no passphrase) of "
                                    "--tls-cert."),
                     QStringLiteral("FILE")});
        p.addOption({QStringLiteral("logout-all"),
                     QStringLiteral("End every web page session (of this and any running "
                                    "server on the vault), and exit.")});
        if (!parse(p, args,
                   QStringLiteral(
                       "serve [--port N] [--address ADDR] [--hub-without-token] "
                       "[--max-connections N] [--request-deadline S] "
                       "[--no-background-sync] [--tls-cert FILE --tls-key FILE] [--print-token] "
                       "[--logout-all]"),
                   0, 0))
            return;
        bool ok = false;
        const uint port = p.value(QStringLiteral("port")).toUInt(&ok);
        if (!ok || port > 65535) {
            console().error(QStringLiteral("--port takes a number from 0 to 65535, not “%1”")
                                .arg(p.value(QStringLiteral("port"))));
            return finish(Usage);
        }
        m_port = quint16(port);
        if (!m_address.setAddress(p.value(QStringLiteral("address")))) {
            console().error(QStringLiteral("--address takes an IP address such as 127.0.0.1 or "
                                           "0.0.0.0, not “%1”")
                                .arg(p.value(QStringLiteral("address"))));
            return finish(Usage);
        }
        const int maxConnections = p.value(QStringLiteral("max-connections")).toInt(&ok);
        if (!ok || maxConnections < 1) {
            console().error(QStringLiteral("--max-connections takes a number of 1 or more, not "
                                           "“%1”")
                                .arg(p.value(QStringLiteral("max-connections"))));
            return finish(Usage);
        }
        m_maxConnections = maxConnections;
        const double deadline = p.value(QStringLiteral("request-deadline")).toDouble(&ok);
        if (!ok || deadline < 0.1 || deadline > 3600) {
            console().error(QStringLiteral("--request-deadline takes seconds from 0.1 to 3600, "
                                           "not “%1”")
                                .arg(p.value(QStringLiteral("request-deadline"))));
            return finish(Usage);
        }
        m_requestDeadlineMs = int(deadline * 1000);
        m_tlsCert = p.value(QStringLiteral("tls-cert"));
        m_tlsKey = p.value(QStringLiteral("tls-key"));
        if (m_tlsCert.isEmpty() != m_tlsKey.isEmpty()) {
            console().error(QStringLiteral("--tls-cert and --tls-key go together"));
            return finish(Usage);
        }
        m_hubWithoutToken = p.isSet(QStringLiteral("hub-without-token"));
        m_printToken = p.isSet(QStringLiteral("print-token"));
        m_backgroundSync = !p.isSet(QStringLiteral("no-background-sync"));
        Vault* vault = openVault();
        if (!vault)
            return;
        if (p.isSet(QStringLiteral("logout-all"))) {
            QString why;
            if (!api::WebSessions::endAllSessions(vault->directory(), &why)) {
                console().error(why);
                return finish(Failed);
            }
            console().print(QStringLiteral("Every web page session has ended: browsers sign in "
                                           "again with a new link."));
            return finish(Success);
        }
        auto* tokenJob = new api::ApiTokenJob(vault, this);
        connect(tokenJob, &api::ApiTokenJob::finished, this, [this, tokenJob, vault] {
            tokenJob->deleteLater();
            onToken(vault, *tokenJob);
        });
        tokenJob->start();
    }

    void interrupt() override
    {
        delete m_server; // stops listening and drops the connections
        m_server = nullptr;
        // Transfers running stay queued in the vault: the next queue that opens it resumes them.
        delete m_queue;
        m_queue = nullptr;
        finish(Success);
    }

private:
    void onToken(Vault* vault, const api::ApiTokenJob& job)
    {
        if (!job.error().ok()) {
            console().error(QStringLiteral("Cannot get the API's token from %1: %2")
                                .arg(vault->credentials() ? vault->credentials()->description()
                                                          : QStringLiteral("the credential store"),
                                     job.error().message));
            return finish(Failed);
        }
        if (m_printToken) {
            console().print(QString::fromLatin1(job.token()));
            console().printJson({{QStringLiteral("token"), QString::fromLatin1(job.token())}});
            return finish(Success);
        }
        // The vault's transfer queue, as the app runs it: floats, restores and uploads asked
        // through the API are its transfers, resumed after a restart like the app's.
        m_queue = new EngineWorker(&m_transferIds, this);
        m_queue->setSyncPaused(!m_backgroundSync);
        m_queue->adopt(std::move(m_ctx.vault));
        m_server = new api::ApiServer(vault, job.token(), this);
        m_server->setTransferControl(m_queue->transferControl());
        m_server->setHubWithoutToken(m_hubWithoutToken);
        m_server->setMaxConnections(m_maxConnections);
        m_server->setRequestDeadlineMs(m_requestDeadlineMs);
        QString why;
        if (!m_tlsCert.isEmpty() && !m_server->useTls(m_tlsCert, m_tlsKey, &why)) {
            console().error(why);
            return finish(Failed);
        }
        if (!m_server->listen(m_address, m_port, &why)) {
            console().error(why);
            return finish(Failed);
        }
        if (m_server->reachableFromOtherComputers())
            console().warning(
                QStringLiteral("Listening on %1, not only on this computer: anyone who can reach "
                               "it and has the token can read every model in the vault (and "
                               "the Hugging Face endpoints without one, if opened).%2")
                    .arg(m_address.toString(),
                         m_server->usesTls()
                             ? QString()
                             : QStringLiteral(" The token travels unencrypted over plain HTTP.")));
        const QString url = m_server->baseUrl() + QStringLiteral("/api/v1/");
        console().print(QStringLiteral("Serving the vault at %1 (Ctrl-C stops)").arg(url));
        console().print(QStringLiteral("Requests need the header “Authorization: Bearer TOKEN”; "
                                       "modelfloat-cli serve --print-token shows the token."));
        // A person's way in: the token is never typed into a browser.
        const QString link = m_server->newSignInLink();
        // For a phone: its camera opens the link. Printed before the link, so that the link's
        // line stays the last thing said (what scripts wait for).
        QString qr = qrcode::halfBlocks(qrcode::encode(link));
        qr.chop(1); // its last line break: print() ends the line
        if (!qr.isEmpty())
            console().print(
                (m_server->reachableFromOtherComputers()
                     ? QStringLiteral("A phone on the same network can scan the sign-in link:\n")
                     : QStringLiteral("The sign-in link for a phone (it opens once serve "
                                      "listens on an address the phone reaches, --address):\n")) +
                qr);
        console().print(QStringLiteral("The web page: open %1 to sign a browser in (once, within "
                                       "%2 minutes).")
                            .arg(link)
                            .arg(api::WebSessions::DefaultCodeLifetimeSeconds / 60));
        if (m_hubWithoutToken)
            console().print(
                QStringLiteral("The Hugging Face and registry endpoints answer without the "
                               "token: HF_ENDPOINT=http://127.0.0.1:%1 needs no "
                               "HF_TOKEN, and ollama pull works.")
                    .arg(m_server->port()));
        console().printJson({{QStringLiteral("url"), url},
                             {QStringLiteral("port"), m_server->port()},
                             {QStringLiteral("signInLink"), link}});
    }

    quint16 m_port = 0;
    QHostAddress m_address;
    int m_maxConnections = api::ApiServer::DefaultMaxConnections;
    int m_requestDeadlineMs = 20'000;
    bool m_hubWithoutToken = false;
    QString m_tlsCert, m_tlsKey; // PEM files: HTTPS
    bool m_printToken = false;
    bool m_backgroundSync = true;
    api::ApiServer* m_server = nullptr;
    EngineWorker* m_queue = nullptr; // owns the vault once serving
    std::atomic<qint64> m_transferIds{0};
};

} // namespace

Command* makeServeCommand(Context& c)
{
    return new ServeCommand(c);
}

} // namespace mf::cli
