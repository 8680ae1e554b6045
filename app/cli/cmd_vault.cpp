// Setting up the vault: init, config, provider.
#include "command.h"

#include "providers/providerprobe.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

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
        Vault* vault = m_ctx.openVault();
        if (!vault)
            return finish(Failed);
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
        p.addPositionalArgument(QStringLiteral("key"), QStringLiteral("replication or chunker."),
                                QStringLiteral("[KEY"));
        p.addPositionalArgument(QStringLiteral("value"), QStringLiteral("New value."),
                                QStringLiteral("[VALUE]]"));
        if (!parse(p, args, QStringLiteral("config [replication N | chunker SPEC]"), 0, 2))
            return;
        Vault* vault = m_ctx.openVault();
        if (!vault)
            return finish(Failed);
        const QStringList a = p.positionalArguments();
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
            } else {
                console().error(
                    QStringLiteral("Unknown setting “%1”: use replication or chunker").arg(a[0]));
                return finish(Usage);
            }
        } else if (a.size() == 1) {
            console().error(QStringLiteral("config %1 needs a value").arg(a[0]));
            return finish(Usage);
        }
        console().print(QStringLiteral("vault        %1").arg(vault->directory()));
        console().print(QStringLiteral("replication  %1").arg(vault->replicationFactor()));
        console().print(QStringLiteral("chunker      %1").arg(vault->defaultChunker().toString()));
        console().printJson({{QStringLiteral("vault"), vault->directory()},
                             {QStringLiteral("replication"), vault->replicationFactor()},
                             {QStringLiteral("chunker"), vault->defaultChunker().toString()}});
        finish(Success);
    }
};

class ProviderCommand final : public Command
{
public:
    using Command::Command;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("action"),
                                QStringLiteral("add, list, test or remove."));
        p.addPositionalArgument(QStringLiteral("args"),
                                QStringLiteral("add KIND NAME PATH | test NAME | remove NAME"),
                                QStringLiteral("[ARGS...]"));
        p.addOption({QStringLiteral("quota"),
                     QStringLiteral("add: the most this provider may hold, e.g. 50G."),
                     QStringLiteral("size")});
        p.addOption(
            {QStringLiteral("sync"),
             QStringLiteral("add local: flush every object to disk before it counts as stored.")});
        p.addOption({QStringLiteral("force"),
                     QStringLiteral("remove: forget a provider that still holds chunks.")});
        if (!parse(
                p, args,
                QStringLiteral(
                    "provider add local NAME PATH [--quota SIZE] | list | test NAME | remove NAME"),
                1, 4))
            return;
        Vault* vault = m_ctx.openVault();
        if (!vault)
            return finish(Failed);
        const QStringList a = p.positionalArguments();
        const QString action = a.at(0);
        if (action == QLatin1String("list") && a.size() == 1)
            return list(vault);
        if (action == QLatin1String("add") && a.size() == 4)
            return add(vault, a.at(1), a.at(2), a.at(3), p);
        if (action == QLatin1String("test") && a.size() == 2)
            return test(vault, a.at(1));
        if (action == QLatin1String("remove") && a.size() == 2)
            return remove(vault, a.at(1), p.isSet(QStringLiteral("force")));
        console().error(QStringLiteral(
            "usage: modelfloat-cli provider add local NAME PATH | list | test NAME | remove NAME"));
        finish(Usage);
    }

private:
    void list(Vault* vault)
    {
        const auto stored = vault->registry().storedBytesByProvider();
        QJsonArray out;
        for (const ProviderRecord& r : vault->registry().providers()) {
            const QString where = r.settings.value(QStringLiteral("path")).toString();
            console().print(
                QStringLiteral("%1  %2  %3  %4%5")
                    .arg(r.name.leftJustified(16), r.kind.leftJustified(7),
                         units::formatBytes(stored.value(r.id)).rightJustified(10), where,
                         r.quotaBytes >= 0
                             ? QStringLiteral("  (quota %1)").arg(units::formatBytes(r.quotaBytes))
                             : QString()));
            out.append(QJsonObject{{QStringLiteral("name"), r.name},
                                   {QStringLiteral("kind"), r.kind},
                                   {QStringLiteral("settings"), r.settings},
                                   {QStringLiteral("quota_bytes"), r.quotaBytes},
                                   {QStringLiteral("stored_bytes"), stored.value(r.id)},
                                   {QStringLiteral("health"), r.health},
                                   {QStringLiteral("enabled"), r.enabled}});
        }
        console().printJson({{QStringLiteral("providers"), out}});
        finish(Success);
    }

    void add(Vault* vault, const QString& kind, const QString& name, const QString& path,
             const QCommandLineParser& p)
    {
        if (kind != QLatin1String("local")) {
            console().error(
                QStringLiteral("Unknown provider kind “%1”; this version knows: %2")
                    .arg(kind, vault->providerFactory().kinds().join(QStringLiteral(", "))));
            return finish(Usage);
        }
        if (vault->registry().providerByName(name)) {
            console().error(QStringLiteral("A provider named “%1” already exists").arg(name));
            return finish(AlreadyExists);
        }
        ProviderRecord r;
        r.kind = kind;
        r.name = name;
        const QString abs = QDir::cleanPath(QDir(path).absolutePath());
        if (QFileInfo(abs).exists() && !QFileInfo(abs).isDir()) {
            console().error(QStringLiteral("“%1” is a file, not a folder").arg(abs));
            return finish(BadInput);
        }
        if (!QDir().mkpath(abs)) {
            console().error(QStringLiteral("Cannot create the folder “%1”").arg(abs));
            return finish(BadInput);
        }
        r.settings.insert(QStringLiteral("path"), abs);
        if (p.isSet(QStringLiteral("sync")))
            r.settings.insert(QStringLiteral("sync"), true);
        if (p.isSet(QStringLiteral("quota"))) {
            const auto quota = units::parseBytes(p.value(QStringLiteral("quota")));
            if (!quota) {
                console().error(QStringLiteral("--quota takes a size such as 50G"));
                return finish(Usage);
            }
            r.quotaBytes = *quota;
        }
        r.health = QStringLiteral("ok");
        if (!vault->registry().addProvider(r)) {
            console().error(vault->registry().lastError());
            return finish(Failed);
        }
        console().print(QStringLiteral("Added provider “%1” (%2) at %3").arg(name, kind, abs));
        console().printJson({{QStringLiteral("ok"), true},
                             {QStringLiteral("name"), name},
                             {QStringLiteral("kind"), kind}});
        finish(Success);
    }

    void test(Vault* vault, const QString& name)
    {
        const auto record = vault->registry().providerByName(name);
        if (!record) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        QString why;
        Provider* provider = vault->provider(record->id, &why);
        if (!provider) {
            console().error(why);
            return finish(Failed);
        }
        auto* probe = new ProviderProbe(provider, this);
        connect(probe, &ProviderProbe::finished, this, [this, probe, name, vault, id = record->id] {
            const bool ok = probe->error().ok();
            vault->registry().setProviderHealth(id, ok ? QStringLiteral("ok")
                                                       : QStringLiteral("error"));
            if (!ok) {
                console().error(
                    QStringLiteral("Provider “%1”: %2").arg(name, probe->error().message));
            } else {
                console().print(QStringLiteral("Provider “%1” works: write, read back, remove in "
                                               "%2 ms; %3 used, %4 available")
                                    .arg(name)
                                    .arg(probe->roundTripMs())
                                    .arg(units::formatBytes(probe->usedBytes()),
                                         units::formatBytes(probe->availableBytes())));
            }
            console().printJson({{QStringLiteral("ok"), ok},
                                 {QStringLiteral("name"), name},
                                 {QStringLiteral("error"), probe->error().message},
                                 {QStringLiteral("used_bytes"), probe->usedBytes()},
                                 {QStringLiteral("available_bytes"), probe->availableBytes()}});
            finish(ok ? Success : Failed);
        });
        probe->start();
    }

    void remove(Vault* vault, const QString& name, bool force)
    {
        const auto record = vault->registry().providerByName(name);
        if (!record) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        const qint64 stored = vault->registry().storedBytesByProvider().value(record->id);
        if (stored > 0 && !force) {
            console().error(
                QStringLiteral(
                    "Provider “%1” still holds %2 of chunks; chunks with no other replica would be "
                    "lost. Use --force to forget it anyway (its files are left in place)")
                    .arg(name, units::formatBytes(stored)));
            return finish(Failed);
        }
        vault->dropProvider(record->id);
        if (!vault->registry().removeProvider(record->id)) {
            console().error(vault->registry().lastError());
            return finish(Failed);
        }
        console().print(QStringLiteral("Removed provider “%1”").arg(name));
        console().printJson({{QStringLiteral("ok"), true}, {QStringLiteral("name"), name}});
        finish(Success);
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
Command* makeProviderCommand(Context& c)
{
    return new ProviderCommand(c);
}

} // namespace mf::cli
