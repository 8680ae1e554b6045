// `modelfloat-cli vault sync | recover | key show | key import`: the catalog on the providers
// and the key that signs it (docs/catalog.md).
#include "command.h"
#include "secretinput.h"

#include "sync/catalogkeyloader.h"
#include "sync/catalogpublishjob.h"
#include "sync/catalogsyncjob.h"
#include "sync/recoverjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QJsonArray>

namespace mf::cli {

namespace {

const QString Syntax = QStringLiteral(
    "vault sync | vault recover [--provider NAME ...] | vault key show | vault key import | "
    "vault key new");

class VaultCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("action"),
                                QStringLiteral("sync: publish this vault's catalog and take in "
                                               "the other vaults'. recover: rebuild the models "
                                               "from the catalogs on the providers. key show: "
                                               "the recovery key another computer needs. key "
                                               "import: take a recovery key (from standard "
                                               "input). key new: a new key, when the old one "
                                               "is lost everywhere."));
        p.addOption({QStringLiteral("provider"),
                     QStringLiteral("recover: only from this provider (repeatable)."),
                     QStringLiteral("name")});
        if (!parse(p, args, Syntax, 1, 2))
            return;
        const QString action = p.positionalArguments().join(QLatin1Char(' '));
        if (action == QLatin1String("key show") || action == QLatin1String("key import") ||
            action == QLatin1String("key new")) {
            Vault* vault = m_ctx.openVault();
            if (!vault)
                return finish(Failed);
            if (action == QLatin1String("key show"))
                return showKey(vault);
            if (action == QLatin1String("key new"))
                return useKey(vault, CatalogKey::generate());
            return importKey(vault);
        }
        if (action != QLatin1String("sync") && action != QLatin1String("recover")) {
            console().error(QStringLiteral("usage: modelfloat-cli %1").arg(Syntax));
            return finish(Usage);
        }
        Vault* vault = m_ctx.openVault();
        if (!vault)
            return finish(Failed);
        if (action == QLatin1String("sync"))
            return publishThenPull(vault);
        const auto ids = providersFrom(p, vault);
        if (!ids)
            return finish(NotFound);
        recover(vault, *ids);
    }

    void interrupt() override
    {
        if (m_job)
            m_job->abort();
        else
            finish(Interrupted);
    }

private:
    void start(TransferJob* job)
    {
        m_job = job;
        connect(job, &TransferJob::warning, this,
                [this](const QString& w) { console().warning(w); });
        job->start();
    }

    bool failed(TransferJob* job)
    {
        if (job->error().ok())
            return false;
        if (job->error().kind == Error::Kind::Cancelled) {
            finish(Interrupted);
            return true;
        }
        console().error(job->error().message);
        finish(job->error().kind == Error::Kind::NotFound ? NotFound : Failed);
        return true;
    }

    void publishThenPull(Vault* vault)
    {
        auto* publish = new CatalogPublishJob(vault, this);
        connect(publish, &TransferJob::finished, this, [this, vault, publish] {
            if (failed(publish))
                return;
            auto* sync = new CatalogSyncJob(vault, this);
            connect(sync, &TransferJob::finished, this, [this, vault, publish, sync] {
                if (failed(sync))
                    return;
                const CatalogSyncJob::Report& r = sync->report();
                console().print(QStringLiteral("Published %1 and %2 to %3")
                                    .arg(units::counted(publish->modelsPublished(),
                                                        QStringLiteral("1 changed model"),
                                                        QStringLiteral("%1 changed models")),
                                         units::counted(publish->removalsPublished(),
                                                        QStringLiteral("1 removal"),
                                                        QStringLiteral("%1 removals")),
                                         units::counted(publish->providersCurrent().size(),
                                                        QStringLiteral("1 provider"),
                                                        QStringLiteral("%1 providers"))));
                console().print(QStringLiteral("Other vaults: %1; models added %2, changed %3, "
                                               "removed %4; %5 placements found")
                                    .arg(r.vaults)
                                    .arg(r.modelsAdded)
                                    .arg(r.modelsChanged)
                                    .arg(r.modelsRemoved)
                                    .arg(r.placementsFound));
                for (const auto& removal : r.removals)
                    console().print(CatalogSyncJob::describe(removal));
                if (r.orphanCopiesForgotten > 0)
                    console().print(units::counted(r.orphanCopiesForgotten,
                                                   QStringLiteral("1 copy of an unused chunk "
                                                                  "was gone (collected by another "
                                                                  "vault) and is forgotten"),
                                                   QStringLiteral("%1 copies of unused chunks "
                                                                  "were gone (collected by "
                                                                  "another vault) and are "
                                                                  "forgotten")));
                // How other computers name this one when they say it removed something.
                console().print(
                    QStringLiteral("This vault is %1 in the catalog").arg(vault->id().left(8)));
                if (!r.withoutCatalog.isEmpty())
                    console().print(QStringLiteral("%1 keeps no catalog: the models it holds are "
                                                   "recorded on the other providers only")
                                        .arg(r.withoutCatalog));
                for (const QString& u : r.unresolved)
                    console().warning(u);
                console().printJson(
                    {{QStringLiteral("vault_id"), vault->id()},
                     {QStringLiteral("published"), publish->modelsPublished()},
                     {QStringLiteral("removals"), publish->removalsPublished()},
                     {QStringLiteral("providers"), int(publish->providersCurrent().size())},
                     {QStringLiteral("vaults"), r.vaults},
                     {QStringLiteral("added"), r.modelsAdded},
                     {QStringLiteral("changed"), r.modelsChanged},
                     {QStringLiteral("removed"), r.modelsRemoved},
                     {QStringLiteral("placements_found"), r.placementsFound},
                     {QStringLiteral("orphan_copies_forgotten"), r.orphanCopiesForgotten},
                     {QStringLiteral("unresolved"), QJsonArray::fromStringList(r.unresolved)}});
                finish(r.unresolved.isEmpty() ? Success : Failed);
            });
            start(sync);
        });
        start(publish);
    }

    void showKey(Vault* vault)
    {
        // The key this vault signs with; a vault that has none yet gets it now (as its next
        // sync would), unless the store is signed by another computer's key.
        CatalogKeyLoader::withKey(vault, this, [this, vault](const Error& error) {
            if (!error.ok()) {
                console().error(error.message);
                return finish(Failed);
            }
            const CatalogKey* key = vault->catalogKey();
            console().print(key->recoveryText());
            console().print(QStringLiteral(
                "This recovery key lets another computer of yours use the models this vault "
                "keeps on its providers, and recover them if this computer is lost. Keep it "
                "where you keep passwords; anyone who has it and can write to your storage can "
                "change what your computers believe is stored there. On the other computer: "
                "modelfloat-cli vault key import"));
            console().printJson({{QStringLiteral("recovery_key"), key->recoveryText()},
                                 {QStringLiteral("key_id"), QString::fromLatin1(key->id())}});
            finish(Success);
        });
    }

    void importKey(Vault* vault)
    {
        // One line is all a recovery key takes: more is not read.
        const QByteArray input = secretinput::readLine(
            QStringLiteral("Recovery key (shown on your other computer by Settings › Recovery "
                           "key, or `modelfloat-cli vault key show`): "),
            4096);
        QString why;
        const auto key = CatalogKey::fromRecoveryText(QString::fromUtf8(input), &why);
        if (!key) {
            console().error(why);
            return finish(Usage);
        }
        useKey(vault, *key);
    }

    void useKey(Vault* vault, const CatalogKey& key)
    {
        CatalogKeyLoader::importKey(vault, key, this, [this, vault](const Error& error) {
            if (!error.ok()) {
                console().error(error.message);
                return finish(Failed);
            }
            const QString id = QString::fromLatin1(vault->catalogKey()->id());
            console().print(QStringLiteral("This vault now signs and checks its catalog with key "
                                           "%1. Run `modelfloat-cli vault sync` (or `vault "
                                           "recover` on a new vault) to take in the models of "
                                           "your other computers.")
                                .arg(id));
            console().printJson({{QStringLiteral("key_id"), id}});
            finish(Success);
        });
    }

    void recover(Vault* vault, const QList<qint64>& ids)
    {
        auto* job = new RecoverJob(vault, ids, this);
        connect(job, &TransferJob::finished, this, [this, job] {
            if (failed(job))
                return;
            const RecoverJob::Report& r = job->report();
            for (const QString& s : r.storesFound)
                console().print(QStringLiteral("Found: ") + s);
            for (const QString& n : r.noCatalog)
                console().print(QStringLiteral("No catalog on provider “%1”").arg(n));
            console().print(QStringLiteral("Catalogs of %1; models added %2, changed %3, "
                                           "removed %4; %5 placements found")
                                .arg(units::counted(r.sync.vaults, QStringLiteral("1 vault"),
                                                    QStringLiteral("%1 vaults")))
                                .arg(r.sync.modelsAdded)
                                .arg(r.sync.modelsChanged)
                                .arg(r.sync.modelsRemoved)
                                .arg(r.sync.placementsFound));
            console().print(QStringLiteral("The vault now holds %1, %2, %3, %4")
                                .arg(units::counted(r.models, QStringLiteral("1 model"),
                                                    QStringLiteral("%1 models")),
                                     units::counted(r.files, QStringLiteral("1 file"),
                                                    QStringLiteral("%1 files")),
                                     units::counted(r.chunks, QStringLiteral("1 chunk"),
                                                    QStringLiteral("%1 chunks")),
                                     units::formatBytes(r.bytes)));
            for (const QString& u : r.sync.unresolved)
                console().print(QStringLiteral("NOT RECOVERED  ") + u);
            if (!r.missingChunks.isEmpty())
                console().print(
                    QStringLiteral("MISSING  %1 on none of the providers; these "
                                   "models cannot be restored whole: %2")
                        .arg(units::counted(r.missingChunks.size(), QStringLiteral("1 chunk is"),
                                            QStringLiteral("%1 chunks are")),
                             r.damagedModels.join(QStringLiteral(", "))));
            if (!r.underReplicatedModels.isEmpty())
                console().print(QStringLiteral("FEWER COPIES  %1 chunks with fewer copies than "
                                               "the vault wants (run “modelfloat-cli repair” to "
                                               "make them): %2")
                                    .arg(units::counted(r.underReplicatedModels.size(),
                                                        QStringLiteral("1 model has"),
                                                        QStringLiteral("%1 models have")),
                                         r.underReplicatedModels.join(QStringLiteral(", "))));
            const bool whole = r.missingChunks.isEmpty() && r.sync.unresolved.isEmpty();
            const bool healthy = whole && r.underReplicatedModels.isEmpty();
            if (healthy)
                console().print(QStringLiteral("OK: every model found is complete, with every "
                                               "copy the vault wants"));
            console().printJson(
                {{QStringLiteral("ok"), whole},
                 {QStringLiteral("vaults"), r.sync.vaults},
                 {QStringLiteral("added"), r.sync.modelsAdded},
                 {QStringLiteral("changed"), r.sync.modelsChanged},
                 {QStringLiteral("removed"), r.sync.modelsRemoved},
                 {QStringLiteral("placements_found"), r.sync.placementsFound},
                 {QStringLiteral("models"), r.models},
                 {QStringLiteral("files"), r.files},
                 {QStringLiteral("chunks"), r.chunks},
                 {QStringLiteral("bytes"), r.bytes},
                 {QStringLiteral("stores_found"), QJsonArray::fromStringList(r.storesFound)},
                 {QStringLiteral("no_catalog"), QJsonArray::fromStringList(r.noCatalog)},
                 {QStringLiteral("missing_chunks"), int(r.missingChunks.size())},
                 {QStringLiteral("damaged_models"), QJsonArray::fromStringList(r.damagedModels)},
                 {QStringLiteral("under_replicated_models"),
                  QJsonArray::fromStringList(r.underReplicatedModels)},
                 {QStringLiteral("damaged_objects"), QJsonArray::fromStringList(r.sync.damaged)},
                 {QStringLiteral("unresolved"), QJsonArray::fromStringList(r.sync.unresolved)}});
            finish(!whole ? IntegrityProblem : healthy ? Success : UnderReplicated);
        });
        start(job);
    }

    TransferJob* m_job = nullptr;
};

} // namespace

Command* makeVaultCommand(Context& c)
{
    return new VaultCommand(c);
}

} // namespace mf::cli
