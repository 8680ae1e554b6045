// Setting up the vault: init, config, provider.
#include "command.h"

#include "credentials/credentialmove.h"
#include "credentials/credentialstore.h"
#include "credentials/vaultcredentials.h"
#include "hub/materializedcache.h"
#include "share/ipfsimportjob.h"
#include "sync/catalogcollectjob.h"
#include "util/units.h"
#include "vault/chunkcache.h"
#include "vault/vault.h"

namespace mf::cli {

namespace {

class InitCommand final : public Command
{
public:
    using Command::Command;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        if (!parse(p, args, QStringLiteral("init [--vault DIR]"), 0, 0))
            return;
        // The one command that makes a vault wherever it is told to.
        Vault* vault = m_ctx.openVault(true);
        if (!vault)
            return finish(m_ctx.vaultFailure);
        console().print(QStringLiteral("Vault ready at %1").arg(vault->directory()));
        console().printJson({{QStringLiteral("vault"), vault->directory()}});
        finish(Success);
    }
};

class ConfigCommand final : public Command
{
public:
    using Command::Command;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("key"),
                                QStringLiteral("redundancy, replication, chunker, durability, "
                                               "unreachable-after, import-limit, collect-grace, "
                                               "cache (read-cache is the same) or credentials."),
                                QStringLiteral("[KEY"));
        p.addPositionalArgument(QStringLiteral("value"), QStringLiteral("New value."),
                                QStringLiteral("[VALUE]]"));
        p.addOption({QStringLiteral("i-understand-plaintext"),
                     QStringLiteral("credentials plaintext: confirm that provider secrets may be "
                                    "stored unencrypted in a 0600 file in the vault folder.")});
        p.addOption({QStringLiteral("expert"),
                     QStringLiteral("collect-grace: allow less than two catalog sync intervals "
                                    "(0 for a vault whose stores no other computer uses).")});
        if (!parse(p, args,
                   QStringLiteral("config [redundancy [copies N | shards K+M] | replication N | "
                                  "chunker SPEC | durability flush|fast | "
                                  "unreachable-after HOURS | import-limit SIZE | cache SIZE | "
                                  "collect-grace HOURS [--expert] | "
                                  "credentials keychain|plaintext [--i-understand-plaintext]]"),
                   0, 3))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        const QStringList a = p.positionalArguments();
        if (!a.isEmpty() && a[0] == QLatin1String("redundancy"))
            return redundancy(vault, a.mid(1).join(QLatin1Char(' ')));
        if (a.size() == 3) {
            console().error(QStringLiteral("config %1 takes one value").arg(a[0]));
            return finish(Usage);
        }
        if (a.size() == 2) {
            if (a[0] == QLatin1String("replication")) {
                bool ok = false;
                const int n = a[1].toInt(&ok);
                if (!ok || n < 1 || n > 16) {
                    console().error(QStringLiteral("replication takes a number from 1 to 16"));
                    return finish(Usage);
                }
                vault->setReplicationFactor(n);
            } else if (a[0] == QLatin1String("chunker")) {
                QString why;
                const auto params = ChunkerParams::fromString(a[1], &why);
                if (!params || !params->isValid(&why)) {
                    console().error(why);
                    return finish(Usage);
                }
                vault->setDefaultChunker(*params);
            } else if (a[0] == QLatin1String("durability")) {
                if (a[1] != QLatin1String("flush") && a[1] != QLatin1String("fast")) {
                    console().error(QStringLiteral("durability takes flush or fast"));
                    return finish(Usage);
                }
                if (!vault->setFlushWrites(a[1] == QLatin1String("flush"))) {
                    console().error(vault->registry().lastError());
                    return finish(Failed);
                }
            } else if (a[0] == QLatin1String("unreachable-after")) {
                bool ok = false;
                const double hours = a[1].toDouble(&ok);
                if (!ok || hours < 0 || hours > 24 * 366) {
                    console().error(QStringLiteral("unreachable-after takes a number of hours "
                                                   "(0 to 8784; 24 by default)"));
                    return finish(Usage);
                }
                if (!vault->registry().providerRows().setUnreachableAfterSecs(
                        qint64(hours * 3600))) {
                    console().error(vault->registry().lastError());
                    return finish(Failed);
                }
            } else if (a[0] == QLatin1String("import-limit")) {
                const auto bytes = units::parseBytes(a[1]);
                if (!bytes || *bytes <= 0) {
                    console().error(QStringLiteral("import-limit takes a size such as 2T or 500G "
                                                   "(1T by default)"));
                    return finish(Usage);
                }
                if (!IpfsImportJob::setImportLimit(vault, quint64(*bytes))) {
                    console().error(vault->registry().lastError());
                    return finish(Failed);
                }
            } else if (a[0] == QLatin1String("cache") || a[0] == QLatin1String("read-cache")) {
                // One budget for the materialized cache and the chunk cache (docs/mount.md);
                // "read-cache" named the chunk cache's own before they shared it.
                const auto bytes = units::parseBytes(a[1]);
                if (!bytes || *bytes < 0) {
                    console().error(QStringLiteral("%1 takes a size such as 100G or 500M (0: "
                                                   "keep nothing; 100G by default)")
                                        .arg(a[0]));
                    return finish(Usage);
                }
                if (!vault->setCacheBudgetBytes(*bytes)) {
                    console().error(vault->registry().lastError());
                    return finish(Failed);
                }
            } else if (a[0] == QLatin1String("collect-grace")) {
                if (!setCollectGrace(vault, a[1], p.isSet(QStringLiteral("expert"))))
                    return;
            } else if (a[0] == QLatin1String("credentials")) {
                return setCredentials(vault, a[1],
                                      p.isSet(QStringLiteral("i-understand-plaintext")));
            } else {
                console().error(
                    QStringLiteral("Unknown setting “%1”: use redundancy, replication, chunker, "
                                   "durability, "
                                   "unreachable-after, import-limit, collect-grace, cache, "
                                   "read-cache or credentials")
                        .arg(a[0]));
                return finish(Usage);
            }
        } else if (a.size() == 1) {
            console().error(QStringLiteral("config %1 needs a value").arg(a[0]));
            return finish(Usage);
        }
        show(vault);
        finish(Success);
    }

private:
    // `config redundancy [SCHEME]`: shows the scheme, or sets it when the providers can hold it.
    void redundancy(Vault* vault, const QString& text)
    {
        const int providers = vault->providersTakingCopies();
        if (!text.isEmpty()) {
            QString why;
            const auto scheme = RedundancyScheme::parse(text, &why);
            if (!scheme) {
                console().error(why);
                return finish(Usage);
            }
            if (const QString refused = scheme->refusal(providers); !refused.isEmpty()) {
                console().error(refused);
                return finish(Failed);
            }
            if (!vault->setRedundancy(*scheme)) {
                console().error(vault->registry().lastError());
                return finish(Failed);
            }
        }
        const RedundancyScheme scheme = vault->redundancy();
        console().print(QStringLiteral("redundancy   %1: %2")
                            .arg(scheme.toString(), scheme.describe(providers)));
        if (scheme.isShards())
            console().print(QStringLiteral("New models are floated as shards; a model floated "
                                           "before keeps the scheme it was floated with."));
        console().printJson({{QStringLiteral("redundancy"), scheme.toString()},
                             {QStringLiteral("description"), scheme.describe(providers)},
                             {QStringLiteral("providers"), providers},
                             {QStringLiteral("providers_needed"), scheme.providersNeeded()},
                             {QStringLiteral("storage_factor"), scheme.storageFactor()},
                             {QStringLiteral("losses_survived"), scheme.lossesSurvived()},
                             {QStringLiteral("replication"), vault->replicationFactor()}});
        finish(Success);
    }

    // The collector's grace period (docs/coordination.md, "Collecting across vaults").
    bool setCollectGrace(Vault* vault, const QString& value, bool expert)
    {
        bool ok = false;
        const double hours = value.toDouble(&ok);
        const qint64 floor = CatalogCollectJob::minGraceSecs(vault);
        if (!ok || hours < 0 || hours > 24 * 366) {
            console().error(QStringLiteral("collect-grace takes a number of hours (24 by "
                                           "default)"));
            finish(Usage);
            return false;
        }
        const qint64 secs = qint64(hours * 3600);
        if (secs < floor && !expert) {
            console().error(
                QStringLiteral("collect-grace must be at least %1 h, two catalog sync intervals: "
                               "a shorter one may delete the chunks of a model another computer "
                               "floated and has not published yet. Add --expert if no other "
                               "computer uses these stores.")
                    .arg(double(floor) / 3600));
            finish(Usage);
            return false;
        }
        if (!vault->registry().settings().setSetting(CatalogCollectJob::GraceSetting,
                                                     QString::number(secs))) {
            console().error(vault->registry().lastError());
            finish(Failed);
            return false;
        }
        return true;
    }

    static QString credentialsSetting(Vault* vault)
    {
        const QString v = vault->registry().settings().setting(vaultcredentials::settingKey());
        return v.isEmpty() ? vaultcredentials::keychain() : v;
    }

    // The setting, not this command's --sync/--no-sync.
    static QString durability(Vault* vault)
    {
        return vault->registry().settings().setting(QLatin1String(Vault::DurabilitySetting)) ==
                       QLatin1String("fast")
                   ? QStringLiteral("fast")
                   : QStringLiteral("flush");
    }

    void show(Vault* vault)
    {
        console().print(QStringLiteral("vault        %1").arg(vault->directory()));
        console().print(QStringLiteral("redundancy   %1").arg(vault->redundancy().toString()));
        console().print(QStringLiteral("replication  %1").arg(vault->replicationFactor()));
        console().print(QStringLiteral("chunker      %1").arg(vault->defaultChunker().toString()));
        console().print(QStringLiteral("durability   %1").arg(durability(vault)));
        console().print(QStringLiteral("credentials  %1").arg(credentialsSetting(vault)));
        const qint64 after = vault->registry().providerRows().unreachableAfterSecs();
        console().print(QStringLiteral("unreachable-after %1 h (then a silent provider's copies "
                                       "count as lost)")
                            .arg(double(after) / 3600));
        const quint64 importLimit = IpfsImportJob::importLimit(vault);
        console().print(QStringLiteral("import-limit %1 (the most an import by CID may bring)")
                            .arg(units::formatBytes(qint64(importLimit))));
        const qint64 grace = CatalogCollectJob::graceSecs(vault);
        console().print(QStringLiteral("collect-grace %1 h (an unreferenced chunk is deleted "
                                       "only after this long)")
                            .arg(double(grace) / 3600));
        const qint64 cache = vault->cacheBudgetBytes();
        const MaterializedCache materialized(MaterializedCache::defaultRoot(vault->directory()));
        const qint64 materializedBytes = materialized.totalBytes();
        const qint64 chunkBytes = vault->chunkCache().usedBytes();
        console().print(QStringLiteral("cache        %1 (this disk's cache, also set as "
                                       "read-cache: materialized models, %2 in %3, and chunks "
                                       "read lately, %4 in %5)")
                            .arg(units::formatBytes(cache), units::formatBytes(materializedBytes),
                                 materialized.root(), units::formatBytes(chunkBytes),
                                 vault->chunkCache().directory()));
        console().printJson({{QStringLiteral("vault"), vault->directory()},
                             {QStringLiteral("redundancy"), vault->redundancy().toString()},
                             {QStringLiteral("replication"), vault->replicationFactor()},
                             {QStringLiteral("chunker"), vault->defaultChunker().toString()},
                             {QStringLiteral("durability"), durability(vault)},
                             {QStringLiteral("credentials"), credentialsSetting(vault)},
                             {QStringLiteral("unreachable_after_secs"), after},
                             {QStringLiteral("import_limit_bytes"), qint64(importLimit)},
                             {QStringLiteral("collect_grace_secs"), grace},
                             {QStringLiteral("cache_bytes"), cache},
                             {QStringLiteral("read_cache_bytes"), cache},
                             {QStringLiteral("materialized_bytes"), materializedBytes},
                             {QStringLiteral("chunk_cache_bytes"), chunkBytes}});
    }

    // Switches the vault's credential store, moving the secrets of its providers along, so
    // they stay readable: the setting changes only once every secret is in the new store.
    void setCredentials(Vault* vault, const QString& value, bool confirmed)
    {
        if (value != vaultcredentials::keychain() && value != vaultcredentials::plaintext()) {
            console().error(QStringLiteral("credentials takes keychain or plaintext"));
            return finish(Usage);
        }
        if (value == vaultcredentials::plaintext() && !confirmed) {
            console().error(QStringLiteral("The plaintext store keeps provider secrets "
                                           "UNENCRYPTED in a file in the vault folder. Use it only "
                                           "where no keychain service can run, and confirm with "
                                           "--i-understand-plaintext."));
            return finish(Usage);
        }
        if (value == credentialsSetting(vault)) {
            show(vault);
            return finish(Success);
        }
        QString why;
        std::unique_ptr<CredentialStore> next =
            vaultcredentials::make(value, vault->directory(), &why);
        QStringList keys;
        for (const ProviderRecord& r : vault->registry().providerRows().providers()) {
            const ProviderKind* kind = vault->providerFactory().kind(r.kind);
            if (!kind || kind->hasSecrets())
                keys << CredentialStore::providerKey(vault->id(), r.id);
        }
        auto* move = new CredentialMove(*vault->credentials(), *next, keys, this);
        CredentialStore* store = next.release();
        store->setParent(move); // freed with the move unless the vault takes it
        connect(move, &CredentialMove::finished, this, [this, vault, move, value, store] {
            move->deleteLater();
            if (!move->copiedAll()) {
                console().error(QStringLiteral("The vault keeps its credential store: %1")
                                    .arg(move->error().message));
                return finish(Failed);
            }
            if (!vault->registry().settings().setSetting(vaultcredentials::settingKey(), value)) {
                console().error(vault->registry().lastError());
                return finish(Failed);
            }
            if (move->error())
                console().warning(move->error().message);
            store->setParent(nullptr);
            vault->setCredentialStore(std::unique_ptr<CredentialStore>(store));
            if (!vault->credentials()->warning().isEmpty())
                console().warning(vault->credentials()->warning());
            if (move->movedCount() > 0)
                console().print(
                    QStringLiteral("Moved the secrets of %1 to %2")
                        .arg(units::counted(move->movedCount(), QStringLiteral("1 provider"),
                                            QStringLiteral("%1 providers")),
                             vault->credentials()->description()));
            show(vault);
            finish(Success);
        });
        move->start();
    }
};

} // namespace

Command* makeInitCommand(Context& c)
{
    return new InitCommand(c);
}
Command* makeConfigCommand(Context& c)
{
    return new ConfigCommand(c);
}

} // namespace mf::cli
