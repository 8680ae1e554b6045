// Hugging Face Hub commands: `import` (a model, or chosen variants of it, floated straight from
// the Hub) and `hub` (login/logout of the token, ls, variants).

#include "command.h"
#include "secretinput.h"

#include "credentials/credentialstore.h"
#include "hub/hubclient.h"
#include "hub/importjob.h"
#include "hub/variants.h"
#include "registry/modelname.h"
#include "requests/modelrequests.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QJsonArray>
#include <QNetworkAccessManager>

namespace mf::cli {

namespace {

// The Hub as a command sees it: the vault's endpoint and offline setting, and the token from
// $HF_TOKEN or the vault's keychain entry (read asynchronously), then a HubClient.
class HubSession final : public QObject
{
public:
    // Reads the token, then calls `ready` (with nullptr and a printed error on failure).
    void open(Vault* vault, Console& console, const QCommandLineParser& p,
              std::function<void(HubClient*)> ready)
    {
        HubSettings settings = HubSettings::forVault(vault->registry());
        if (p.isSet(QStringLiteral("endpoint")))
            settings.endpoint = p.value(QStringLiteral("endpoint"));
        while (settings.endpoint.endsWith(QLatin1Char('/')))
            settings.endpoint.chop(1);
        settings.offline = settings.offline || p.isSet(QStringLiteral("offline"));
        const QString envToken = qEnvironmentVariable("HF_TOKEN");
        if (!envToken.isEmpty() || !vault->credentials()) {
            settings.token = envToken;
            m_client = std::make_unique<HubClient>(&m_network, settings);
            ready(m_client.get());
            return;
        }
        CredentialJob* job = vault->credentials()->read(HubSettings::tokenKey(vault->id()));
        job->setParent(this);
        connect(job, &CredentialJob::finished, this, [this, job, settings, ready, &console] {
            job->deleteLater();
            HubSettings s = settings;
            if (job->error().ok()) {
                s.token = job->secrets().value(QStringLiteral("token")).toString();
            } else if (job->error().kind != Error::Kind::NotFound) {
                // No keychain: go on anonymously, but say so (a gated model will then explain).
                console.warning(QStringLiteral("The Hub token could not be read (%1); going on "
                                               "without it")
                                    .arg(job->error().message));
            }
            m_client = std::make_unique<HubClient>(&m_network, s);
            ready(m_client.get());
        });
        job->start();
    }

    static void addOptions(QCommandLineParser& p)
    {
        p.addOption({QStringLiteral("endpoint"),
                     QStringLiteral("Hub URL (default: $HF_ENDPOINT, else the vault's "
                                    "hub.endpoint, else https://huggingface.co)."),
                     QStringLiteral("url")});
        p.addOption({QStringLiteral("offline"),
                     QStringLiteral("Never contact the Hub (also $HF_HUB_OFFLINE=1).")});
    }

private:
    QNetworkAccessManager m_network;
    std::unique_ptr<HubClient> m_client;
};

QJsonArray filesJson(const QList<HubFile>& files)
{
    QJsonArray a;
    for (const HubFile& f : files)
        a.append(QJsonObject{{QStringLiteral("path"), f.path},
                             {QStringLiteral("size"), f.size},
                             {QStringLiteral("sha256"), QString::fromLatin1(f.sha256)}});
    return a;
}

class ImportCommand final : public JobCommand<ImportJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        // A model shared by CID is another command's work (cmd_ipfsimport.cpp).
        const bool fromIpfs = std::any_of(args.begin(), args.end(), [](const QString& a) {
            return a.startsWith(QLatin1String("ipfs://")) ||
                   a.startsWith(QLatin1String("--from-ipfs"));
        });
        if (fromIpfs) {
            m_ipfs = makeIpfsImportCommand(m_ctx);
            m_ipfs->setParent(this);
            connect(m_ipfs, &Command::done, this, [this](int code) { finish(code); });
            m_ipfs->run(args);
            return;
        }
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("repo"),
                                QStringLiteral("org/name, hf:org/name@revision or a Hub URL."),
                                QStringLiteral("REPO"));
        p.addOption({QStringLiteral("variant"),
                     QStringLiteral("A quantization or shard set to import, e.g. Q4_K_M "
                                    "(repeatable; see `hub variants`)."),
                     QStringLiteral("name")});
        p.addOption({QStringLiteral("include"),
                     QStringLiteral("Import files matching this glob (repeatable)."),
                     QStringLiteral("glob")});
        p.addOption({QStringLiteral("revision"),
                     QStringLiteral("Branch, tag or commit (default: main)."),
                     QStringLiteral("rev")});
        p.addOption({QStringLiteral("name"), QStringLiteral("Model name (default: the repo id)."),
                     QStringLiteral("name")});
        p.addOption({QStringLiteral("replicas"),
                     QStringLiteral("Copies of every chunk (default: the vault's setting)."),
                     QStringLiteral("n")});
        p.addOption({QStringLiteral("limit-rate"), QStringLiteral("The same as --limit-download."),
                     QStringLiteral("rate")});
        addDurabilityOptions(p);
        HubSession::addOptions(p);
        if (!parse(p, args,
                   QStringLiteral("import REPO [--variant Q4_K_M]... [--include GLOB]... "
                                  "[--revision REV] [--name NAME]"),
                   1, 1))
            return;
        QString revision;
        QString why;
        // The request the app's queue runs, made into the same job inside the same catalog
        // guard (docs/catalog.md); only the Hub client is this command's (--endpoint, ...).
        ImportRequest request;
        request.repoId = hubrepo::parseRepoId(p.positionalArguments().first(), &revision, &why);
        if (request.repoId.isEmpty()) {
            console().error(why);
            return finish(Usage);
        }
        request.commit =
            p.isSet(QStringLiteral("revision")) ? p.value(QStringLiteral("revision")) : revision;
        request.variants = p.values(QStringLiteral("variant"));
        request.patterns = p.values(QStringLiteral("include"));
        request.modelName = p.value(QStringLiteral("name"));
        if (p.isSet(QStringLiteral("name"))) {
            if (const QString bad = modelname::problem(request.modelName); !bad.isEmpty()) {
                console().error(bad);
                return finish(Usage);
            }
        }
        if (p.isSet(QStringLiteral("limit-rate"))) {
            const auto rate = units::parseBytes(p.value(QStringLiteral("limit-rate")));
            if (!rate || *rate <= 0) {
                console().error(QStringLiteral("--limit-rate takes a rate such as 20M (bytes "
                                               "per second)"));
                return finish(Usage);
            }
            m_ctx.setBandwidthLimits(m_ctx.uploadLimit, *rate);
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        const auto replicas = replicasFrom(p, vault->replicationFactor());
        if (!replicas)
            return finish(Usage);
        request.replicas = p.isSet(QStringLiteral("replicas")) ? *replicas : 0;
        TransferInfo shown;
        if (const QString bad = request.validate(*vault, &shown); !bad.isEmpty()) {
            console().error(bad);
            return finish(Usage);
        }
        m_session.open(vault, console(), p, [this, vault, request](HubClient* client) {
            JobContext context;
            context.parent = this;
            context.hubClient = client;
            const MadeJob made = request.makeJob(*vault, context);
            auto* job = qobject_cast<ImportJob*>(made.work);
            TransferJob* guard = made.job;
            connect(guard, &TransferJob::warning, this,
                    [this](const QString& w) { console().warning(w); });
            connect(guard, &TransferJob::finished, this, &ImportCommand::onFinished);
            runJob(job, guard);
        });
    }

private:
    QString progressLabel() const override
    {
        const QString file = m_job->currentFile();
        return m_job->isStalled() ? file + QStringLiteral(" (stalled, retrying)") : file;
    }

    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        const double secs = elapsedSeconds();
        QJsonObject doc{{QStringLiteral("model"), m_job->modelName()},
                        {QStringLiteral("ok"), e.ok()},
                        {QStringLiteral("source"),
                         m_job->repo().commit.isEmpty() ? QString() : m_job->repo().source()},
                        {QStringLiteral("files"), filesJson(m_job->files())},
                        {QStringLiteral("bytes"), m_job->progressNow().totalBytes},
                        {QStringLiteral("bytes_downloaded"), m_job->bytesDownloaded()},
                        {QStringLiteral("bytes_resumed"), m_job->bytesResumed()},
                        {QStringLiteral("files_skipped"), m_job->filesSkipped()},
                        {QStringLiteral("degraded"), m_job->degraded()},
                        {QStringLiteral("seconds"), secs}};
        if (!e.ok())
            doc.insert(QStringLiteral("error"), e.message);
        console().printJson(doc);
        if (!e.ok())
            return finishFailed(e, QStringLiteral("Interrupted. Run the same command again to "
                                                  "resume; placed chunks are not downloaded "
                                                  "again."));
        if (m_job->alreadyComplete()) {
            console().print(QStringLiteral("“%1” is already imported, bit-identical to %2")
                                .arg(m_job->modelName(), m_job->repo().source()));
            return finish(Success);
        }
        console().print(QStringLiteral("Imported “%1”%2 from %3: %4 in %5, SHA-256 verified")
                            .arg(m_job->modelName(),
                                 m_job->degraded() ? QStringLiteral(", DEGRADED") : QString(),
                                 m_job->repo().source(),
                                 units::formatBytes(m_job->progressNow().totalBytes),
                                 units::counted(m_job->files().size(), QStringLiteral("1 file"),
                                                QStringLiteral("%1 files"))));
        console().print(QStringLiteral("  downloaded %1%2, %3 s, %4")
                            .arg(units::formatBytes(m_job->bytesDownloaded()),
                                 m_job->bytesResumed() > 0
                                     ? QStringLiteral(" (%1 resumed, not downloaded again)")
                                           .arg(units::formatBytes(m_job->bytesResumed()))
                                     : QString())
                            .arg(secs, 0, 'f', 1)
                            .arg(units::formatRate(m_job->bytesDownloaded() / secs)));
        finish(Success);
    }

    void interrupt() override
    {
        if (m_ipfs)
            m_ipfs->interrupt();
        else
            JobCommand::interrupt();
    }

    HubSession m_session;
    Command* m_ipfs = nullptr;
};

class HubCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("action"),
                                QStringLiteral("login, logout, ls REPO or variants REPO."),
                                QStringLiteral("ACTION"));
        p.addOption({QStringLiteral("revision"),
                     QStringLiteral("Branch, tag or commit (default: main)."),
                     QStringLiteral("rev")});
        HubSession::addOptions(p);
        if (!parse(p, args,
                   QStringLiteral("hub login | logout | ls REPO | variants REPO  (login reads "
                                  "the token from standard input)"),
                   1, 2))
            return;
        const QStringList pos = p.positionalArguments();
        const QString action = pos.first();
        Vault* vault = openVault();
        if (!vault)
            return;
        if (action == QLatin1String("login"))
            return login(vault);
        if (action == QLatin1String("logout"))
            return logout(vault);
        if ((action == QLatin1String("ls") || action == QLatin1String("variants")) &&
            pos.size() == 2) {
            QString revision;
            QString why;
            const QString repoId = hubrepo::parseRepoId(pos.at(1), &revision, &why);
            if (repoId.isEmpty()) {
                console().error(why);
                return finish(Usage);
            }
            if (p.isSet(QStringLiteral("revision")))
                revision = p.value(QStringLiteral("revision"));
            const bool listVariants = action == QLatin1String("variants");
            m_session.open(vault, console(), p,
                           [this, repoId, revision, listVariants](HubClient* client) {
                               auto* job = new HubInfoJob(client, repoId, revision, this);
                               connect(job, &HubInfoJob::finished, this,
                                       [this, job, listVariants] { show(job, listVariants); });
                               job->start();
                           });
            return;
        }
        console().error(QStringLiteral("hub takes login, logout, ls REPO or variants REPO"));
        finish(Usage);
    }

private:
    void login(Vault* vault)
    {
        if (!vault->credentials()) {
            console().error(QStringLiteral("This vault has no credential store"));
            return finish(Failed);
        }
        if (secretinput::stdinIsTerminal())
            console().warning(QStringLiteral("Paste your Hugging Face token (from "
                                             "https://huggingface.co/settings/tokens), then "
                                             "press Enter and Ctrl-D"));
        const QString token = QString::fromUtf8(secretinput::readAllStdin()).trimmed();
        if (!token.startsWith(QLatin1String("hf_")) || token.contains(QLatin1Char(' ')) ||
            token.contains(QLatin1Char('\n')) || token.size() < 8) {
            console().error(QStringLiteral("That is not a Hugging Face token (they start with "
                                           "“hf_”); nothing was stored"));
            return finish(Usage);
        }
        CredentialJob* job = vault->credentials()->write(
            HubSettings::tokenKey(vault->id()), QJsonObject{{QStringLiteral("token"), token}});
        job->setParent(this);
        connect(job, &CredentialJob::finished, this, [this, job, vault] {
            job->deleteLater();
            if (!job->error().ok()) {
                console().error(job->error().message);
                return finish(Failed);
            }
            if (!vault->credentials()->warning().isEmpty())
                console().warning(vault->credentials()->warning());
            console().print(
                QStringLiteral("Token stored in %1").arg(vault->credentials()->description()));
            console().printJson(QJsonObject{{QStringLiteral("ok"), true}});
            finish(Success);
        });
        job->start();
    }

    void logout(Vault* vault)
    {
        if (!vault->credentials()) {
            console().error(QStringLiteral("This vault has no credential store"));
            return finish(Failed);
        }
        CredentialJob* job = vault->credentials()->remove(HubSettings::tokenKey(vault->id()));
        job->setParent(this);
        connect(job, &CredentialJob::finished, this, [this, job] {
            job->deleteLater();
            if (!job->error().ok()) {
                console().error(job->error().message);
                return finish(Failed);
            }
            console().print(QStringLiteral("Token removed"));
            console().printJson(QJsonObject{{QStringLiteral("ok"), true}});
            finish(Success);
        });
        job->start();
    }

    void show(HubInfoJob* job, bool listVariants)
    {
        job->deleteLater();
        if (!job->error().ok()) {
            console().error(job->error().message);
            return finish(job->error().kind == Error::Kind::NotFound ? NotFound : Failed);
        }
        const HubRepo& repo = job->repo();
        QJsonObject doc{{QStringLiteral("repo"), repo.id},
                        {QStringLiteral("commit"), repo.commit},
                        {QStringLiteral("gated"), repo.gated}};
        console().print(QStringLiteral("%1 at commit %2%3")
                            .arg(repo.id, repo.commit,
                                 repo.gated.isEmpty() ? QString() : QStringLiteral(" (gated)")));
        if (listVariants) {
            QJsonArray a;
            for (const HubVariant& v : variants::group(repo.files)) {
                a.append(
                    QJsonObject{{QStringLiteral("name"), v.name},
                                {QStringLiteral("format"), v.format == HubVariant::Format::Gguf
                                                               ? QStringLiteral("gguf")
                                                               : QStringLiteral("safetensors")},
                                {QStringLiteral("files"), QJsonArray::fromStringList(v.files)},
                                {QStringLiteral("size"), v.totalSize}});
                console().print(QStringLiteral("  %1 %2 %3")
                                    .arg(v.name, -14)
                                    .arg(units::formatBytes(v.totalSize), 10)
                                    .arg(v.files.size() > 1
                                             ? QStringLiteral("(%1 files)").arg(v.files.size())
                                             : v.files.first()));
            }
            doc.insert(QStringLiteral("variants"), a);
        } else {
            for (const HubFile& f : repo.files)
                console().print(
                    QStringLiteral("  %1 %2%3")
                        .arg(units::formatBytes(f.size), 10)
                        .arg(f.path, f.isLfs() ? QStringLiteral("  (LFS)") : QString()));
            doc.insert(QStringLiteral("files"), filesJson(repo.files));
        }
        console().printJson(doc);
        finish(Success);
    }

    HubSession m_session;
};

} // namespace

Command* makeImportCommand(Context& c)
{
    return new ImportCommand(c);
}

Command* makeHubCommand(Context& c)
{
    return new HubCommand(c);
}

} // namespace mf::cli
