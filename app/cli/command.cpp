#include "command.h"

#include "hub/materializedcache.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonObject>

namespace mf::cli {

Vault* Context::openVault(bool create)
{
    if (vault || vaultFailure != Success)
        return vault.get();
    const QString dir = QDir::cleanPath(
        QDir(vaultDir.isEmpty() ? Vault::defaultDirectory() : vaultDir).absolutePath());
    const bool isDefault = dir == QDir::cleanPath(QDir(Vault::defaultDirectory()).absolutePath());
    QString error;
    Vault::OpenFailure failure = Vault::OpenFailure::None;
    vault = Vault::open(
        dir, create || isDefault ? Vault::OpenMode::CreateIfMissing : Vault::OpenMode::Existing,
        &error, &failure);
    if (vault) {
        if (flushWrites)
            vault->overrideFlushWrites(*flushWrites);
        vault->bandwidth()->setLimits(uploadLimit, downloadLimit);
        MaterializedCache::shareBudget(vault.get());
        return vault.get();
    }
    switch (failure) {
    case Vault::OpenFailure::NoVault:
        vaultFailure = NotFound;
        error += QStringLiteral(". Check the path, or create a vault there with "
                                "“modelfloat-cli init --vault %1”")
                     .arg(dir);
        break;
    case Vault::OpenFailure::Unusable:
        vaultFailure = VaultUnusable;
        break;
    case Vault::OpenFailure::None:
    case Vault::OpenFailure::Other:
        vaultFailure = Failed;
        break;
    }
    console.error(error);
    return nullptr;
}

Vault* Command::openVault()
{
    Vault* vault = m_ctx.openVault();
    if (!vault)
        finish(m_ctx.vaultFailure);
    return vault;
}

void Context::setBandwidthLimits(qint64 upload, qint64 download)
{
    uploadLimit = upload;
    downloadLimit = download;
    if (vault)
        vault->bandwidth()->setLimits(uploadLimit, downloadLimit);
}

void Command::finishFailed(const Error& e, const QString& interrupted)
{
    if (e.kind == Error::Kind::Cancelled) {
        console().error(interrupted);
        return finish(Interrupted);
    }
    console().error(e.message);
    finish(e.kind == Error::Kind::NotFound  ? NotFound
           : e.kind == Error::Kind::Corrupt ? IntegrityProblem
                                            : Failed);
}

void Command::finish(int code)
{
    if (m_done)
        return;
    m_done = true;
    console().stopProgress();
    QMetaObject::invokeMethod(
        this, [this, code] { Q_EMIT done(code); }, Qt::QueuedConnection);
}

bool Command::parse(QCommandLineParser& parser, const QStringList& args, const QString& syntax,
                    int minPositional, int maxPositional)
{
    parser.setApplicationDescription(syntax);
    parser.addHelpOption();
    parser.addOption(
        {QStringLiteral("vault"), QStringLiteral("The vault folder."), QStringLiteral("dir")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print the result as JSON.")});
    parser.addOption({QStringLiteral("quiet"), QStringLiteral("No progress line.")});
    parser.addOption({QStringLiteral("limit-upload"),
                      QStringLiteral("Send at most this many bytes per second to the providers, "
                                     "e.g. 20M."),
                      QStringLiteral("rate")});
    parser.addOption({QStringLiteral("limit-download"),
                      QStringLiteral("Receive at most this many bytes per second from the "
                                     "providers and the Hub, e.g. 20M."),
                      QStringLiteral("rate")});
    if (!parser.parse(args)) {
        console().error(parser.errorText() +
                        QStringLiteral(" (see “%1 --help”)").arg(args.value(0)));
        finish(Usage);
        return false;
    }
    if (parser.isSet(QStringLiteral("help")) || parser.isSet(QStringLiteral("help-all"))) {
        // showHelp() would exit() from inside the event loop; print instead. Its usage line
        // names argv[0] (often a long path) and not the command: say what to type instead.
        QString help = parser.helpText();
        const QString usage = QStringLiteral("Usage: ") + QCoreApplication::arguments().value(0);
        if (help.startsWith(usage))
            help.replace(0, usage.size(), QStringLiteral("Usage: modelfloat-cli ") + args.value(0));
        QTextStream(stdout) << help;
        finish(Success);
        return false;
    }
    if (parser.isSet(QStringLiteral("vault")))
        m_ctx.vaultDir = parser.value(QStringLiteral("vault"));
    if (parser.isSet(QStringLiteral("json")))
        console().json = true;
    if (parser.isSet(QStringLiteral("quiet")))
        console().quiet = true;
    if (m_durabilityOptions) {
        const bool fast = parser.isSet(QStringLiteral("no-sync"));
        if (fast && parser.isSet(QStringLiteral("sync"))) {
            console().error(QStringLiteral("--sync and --no-sync contradict each other"));
            finish(Usage);
            return false;
        }
        if (fast || parser.isSet(QStringLiteral("sync")))
            m_ctx.flushWrites = !fast;
    }
    qint64 limits[2] = {m_ctx.uploadLimit, m_ctx.downloadLimit};
    const QString limitOptions[2] = {QStringLiteral("limit-upload"),
                                     QStringLiteral("limit-download")};
    for (int i = 0; i < 2; ++i) {
        if (!parser.isSet(limitOptions[i]))
            continue;
        const auto rate = units::parseBytes(parser.value(limitOptions[i]));
        if (!rate || *rate <= 0) {
            console().error(QStringLiteral("--%1 takes a rate such as 20M (bytes per second)")
                                .arg(limitOptions[i]));
            finish(Usage);
            return false;
        }
        limits[i] = *rate;
    }
    m_ctx.setBandwidthLimits(limits[0], limits[1]);
    const int n = int(parser.positionalArguments().size());
    if (n < minPositional || (maxPositional >= 0 && n > maxPositional)) {
        console().error(QStringLiteral("usage: modelfloat-cli %1 (see “%2 --help”)")
                            .arg(syntax, args.value(0)));
        finish(Usage);
        return false;
    }
    return true;
}

void Command::addDurabilityOptions(QCommandLineParser& parser)
{
    m_durabilityOptions = true;
    parser.addOption({QStringLiteral("no-sync"),
                      QStringLiteral("Do not flush what is written to disk before reporting it "
                                     "stored or done (fast mode, for this command): quicker with "
                                     "many small files, but a power cut soon after can lose it.")});
    parser.addOption(
        {QStringLiteral("sync"), QStringLiteral("Flush even if the vault is set to fast mode.")});
}

void Command::addChunkerOptions(QCommandLineParser& parser)
{
    parser.addOption({QStringLiteral("chunker"),
                      QStringLiteral("cdc (content-defined, default) or fixed."),
                      QStringLiteral("kind")});
    parser.addOption({QStringLiteral("chunk-size"),
                      QStringLiteral("Average (cdc) or exact (fixed) chunk size, e.g. 8M."),
                      QStringLiteral("size")});
}

std::optional<int> Command::replicasFrom(const QCommandLineParser& p, int fallback)
{
    if (!p.isSet(QStringLiteral("replicas")))
        return fallback;
    bool ok = false;
    const int n = p.value(QStringLiteral("replicas")).toInt(&ok);
    if (!ok || n < 1 || n > 16) {
        console().error(QStringLiteral("--replicas takes a number from 1 to 16"));
        return std::nullopt;
    }
    return n;
}

void Command::finishRemovedElsewhere(const QList<CatalogSyncJob::Report::Removal>& removals)
{
    QJsonArray models;
    QStringList messages;
    for (const auto& r : removals) {
        messages.append(CatalogSyncJob::describe(r));
        console().error(messages.last());
        models.append(QJsonObject{{QStringLiteral("model"), r.name},
                                  {QStringLiteral("by_vault"), r.vault},
                                  {QStringLiteral("state_written"), r.stateWritten}});
    }
    console().printJson({{QStringLiteral("ok"), false},
                         {QStringLiteral("removed_elsewhere"), models},
                         {QStringLiteral("error"), messages.join(QLatin1Char('\n'))}});
    finish(NotFound);
}

bool Command::placementFrom(const QCommandLineParser& p, Vault* vault,
                            FileDistributor::Options* options)
{
    options->warnIfCapped = p.isSet(QStringLiteral("replicas"));
    const auto replicas = replicasFrom(p, vault->replicationFactor());
    const auto chunker = replicas ? chunkerFrom(p, vault->defaultChunker()) : std::nullopt;
    if (!replicas || !chunker) {
        finish(Usage);
        return false;
    }
    options->replication = *replicas;
    options->chunker = *chunker;
    const auto providers = providersFrom(p, vault);
    if (!providers) {
        finish(NotFound);
        return false;
    }
    options->providerIds = *providers;
    return true;
}

std::optional<QList<qint64>> Command::providersFrom(const QCommandLineParser& p, Vault* vault)
{
    QList<qint64> ids;
    for (const QString& name : p.values(QStringLiteral("provider"))) {
        const auto provider = vault->registry().providerRows().providerByName(name);
        if (!provider) {
            console().error(
                QStringLiteral("There is no provider named “%1” (see “modelfloat-cli provider "
                               "list”)")
                    .arg(name));
            return std::nullopt;
        }
        ids.append(provider->id);
    }
    return ids;
}

std::optional<ChunkerParams> Command::chunkerFrom(const QCommandLineParser& p,
                                                  const ChunkerParams& fallback)
{
    ChunkerParams params = fallback;
    const QString kind = p.value(QStringLiteral("chunker"));
    if (!kind.isEmpty() && kind != QLatin1String("cdc") && kind != QLatin1String("fixed")) {
        console().error(QStringLiteral("--chunker takes “cdc” or “fixed”, not “%1”").arg(kind));
        return std::nullopt;
    }
    std::optional<qint64> size;
    if (p.isSet(QStringLiteral("chunk-size"))) {
        size = units::parseBytes(p.value(QStringLiteral("chunk-size")));
        if (!size || *size <= 0 || *size > (qint64(1) << 32)) {
            console().error(QStringLiteral("--chunk-size takes a size such as 8M or 16MiB"));
            return std::nullopt;
        }
    }
    if (kind == QLatin1String("fixed"))
        params = ChunkerParams::fixed(quint32(size.value_or(ChunkerParams::defaults().avgSize)));
    else if (kind == QLatin1String("cdc") || size) {
        const quint32 avg = quint32(size.value_or(ChunkerParams::defaults().avgSize));
        params =
            size ? ChunkerParams::contentDefined(avg / 2, avg, avg * 4) : ChunkerParams::defaults();
    }
    QString why;
    if (!params.isValid(&why)) {
        console().error(why);
        return std::nullopt;
    }
    return params;
}

QList<CommandInfo> allCommands()
{
    return {
        {QStringLiteral("init"),
         QStringLiteral("Create a vault (the default one is made on first use)"), makeInitCommand},
        {QStringLiteral("config"),
         QStringLiteral("Show or change vault settings (redundancy, replication, chunker)"),
         makeConfigCommand},
        {QStringLiteral("provider"), QStringLiteral("Add, list, test or remove storage providers"),
         makeProviderCommand},
        {QStringLiteral("vault"),
         QStringLiteral("Sync the catalog with the providers, or recover models from it"),
         makeVaultCommand},
        {QStringLiteral("float"),
         QStringLiteral("Float files or folders into the vault as a model"), makeFloatCommand},
        {QStringLiteral("list"), QStringLiteral("List the models in the vault"), makeListCommand},
        {QStringLiteral("info"), QStringLiteral("Show a model's files, chunks and placements"),
         makeInfoCommand},
        {QStringLiteral("stats"), QStringLiteral("Show vault totals and provider usage"),
         makeStatsCommand},
        {QStringLiteral("restore"),
         QStringLiteral("Restore a model or one of its files into a folder"), makeRestoreCommand},
        {QStringLiteral("cat"),
         QStringLiteral("Write a file of a model (or a byte range) to stdout"), makeCatCommand},
        {QStringLiteral("serve"),
         QStringLiteral("Serve the vault's models over a local HTTP API until Ctrl-C"),
         makeServeCommand},
        {QStringLiteral("watch"),
         QStringLiteral("Watch folders: their new and changed models float by themselves (add, "
                        "list, remove, run)"),
         makeWatchCommand},
        {QStringLiteral("mount"),
         QStringLiteral("Show the vault's models as a read-only folder, read on demand (FUSE)"),
         makeMountCommand},
        {QStringLiteral("unmount"), QStringLiteral("End a mount made by `mount`"),
         makeUnmountCommand},
        {QStringLiteral("verify"), QStringLiteral("Check every replica of a model's chunks"),
         makeVerifyCommand},
        {QStringLiteral("rm"), QStringLiteral("Remove a model and free chunks nothing else uses"),
         makeRemoveCommand},
        {QStringLiteral("collect"), QStringLiteral("Free chunks that no model uses any more"),
         makeCollectCommand},
        {QStringLiteral("repair"),
         QStringLiteral("Make the copies of chunks that have fewer than the vault wants"),
         makeRepairCommand},
        {QStringLiteral("convert"),
         QStringLiteral("Convert a model between copies N and shards K+M, in place, resumable"),
         makeConvertCommand},
        {QStringLiteral("offload"),
         QStringLiteral("Free this computer of a model whose copies are safe on the providers"),
         makeOffloadCommand},
        {QStringLiteral("pin"),
         QStringLiteral("Keep a model on this computer (bring its copies back here)"),
         makePinCommand},
        {QStringLiteral("scrub"),
         QStringLiteral("Check the copies a bit at a time (existence and size, or --read)"),
         makeScrubCommand},
        {QStringLiteral("cid"),
         QStringLiteral("Compute the IPFS CIDs of local files and their model, without floating"),
         makeCidCommand},
        {QStringLiteral("scan"),
         QStringLiteral("List the models Ollama, LM Studio, the Hugging Face cache and llama.cpp "
                        "keep, and their duplicate copies"),
         makeScanCommand},
        {QStringLiteral("import"),
         QStringLiteral("Import a model from the Hugging Face Hub, or one shared by its IPFS CID"),
         makeImportCommand},
        {QStringLiteral("hub"),
         QStringLiteral("Hugging Face Hub: login/logout (token), ls and variants of a repo"),
         makeHubCommand},
        {QStringLiteral("materialize"),
         QStringLiteral("Write a model to a folder, plain or in the Hugging Face cache layout"),
         makeMaterializeCommand},
        {QStringLiteral("evict"), QStringLiteral("Remove models from the local materialized cache"),
         makeEvictCommand},
        {QStringLiteral("use"),
         QStringLiteral("Put a model in Ollama, LM Studio, the Hugging Face cache or llama.cpp, "
                        "all sharing one copy"),
         makeUseCommand},
        {QStringLiteral("inspect"),
         QStringLiteral("Show what a model file is (GGUF, safetensors) from its header"),
         makeInspectCommand},
    };
}

} // namespace mf::cli
