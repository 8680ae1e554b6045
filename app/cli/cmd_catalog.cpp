// Read-only views of the vault: list, info, stats.
#include "command.h"
#include "texttable.h"

#include "chunking/redundancycapacity.h"

#include "formats/formatdescription.h"
#include "registry/filedags.h"
#include "registry/modeljson.h"
#include "registry/modelname.h"
#include "registry/modelsummary.h"
#include "util/units.h"
#include "vault/thiscomputer.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QJsonArray>

namespace mf::cli {

namespace {

// Widest a model name is shown in `list` (terminal columns); longer ones are elided.
constexpr int MaxNameColumn = 48;

QString pad(const QString& s, int width)
{
    return s.leftJustified(width);
}

int wantedReplicas(Vault* vault)
{
    return vault->registry().healthRows().wantedCopies();
}

class ListCommand final : public Command
{
public:
    using Command::Command;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        if (!parse(p, args, QStringLiteral("list"), 0, 0))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        const int wanted = wantedReplicas(vault);
        QJsonArray models;
        const auto all = vault->registry().modelRows().models();
        if (all.isEmpty())
            console().print(QStringLiteral(
                "The vault is empty. Float a model with: modelfloat-cli float PATH"));
        // A long name is shortened in the middle, so every row keeps the columns (--json has
        // every name whole).
        TextTable table({QStringLiteral("NAME"), QStringLiteral("FILES"), QStringLiteral("SIZE"),
                         QStringLiteral("REPLICAS"), QStringLiteral("HEALTH"),
                         QStringLiteral("HERE"), QStringLiteral("FREES"), QStringLiteral("ADDED")},
                        {MaxNameColumn});
        for (const ModelSummary& s : summarizeModels(vault->registry(), all, wanted)) {
            const ModelRecord& m = s.model;
            // On this computer's own disk or not, and what `offload` would free there.
            const thiscomputer::LocalState here = thiscomputer::localState(*vault, m.id);
            const QString where =
                here.pinned ? here.whereText() + QStringLiteral(" (kept)") : here.whereText();
            // A model kept as shards has no copies to count: its scheme (HEALTH says whether
            // each chunk has all its shards).
            const RedundancyScheme scheme = m.scheme(wanted);
            const QString replicas =
                scheme.isShards()
                    ? QStringLiteral("%1+%2").arg(scheme.dataShards).arg(scheme.parityShards)
                    : QString::number(s.minReplicas);
            table.addRow({m.name, QString::number(s.files), units::formatBytes(s.bytes), replicas,
                          s.health(wanted), where, units::formatBytes(here.bytesFreeable),
                          m.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"))});
            if (console().json) {
                QJsonObject entry = modelListEntryJson(m, s, wanted);
                entry.insert(QStringLiteral("here"), here.whereText());
                entry.insert(QStringLiteral("pinned"), here.pinned);
                entry.insert(QStringLiteral("bytes_here"), here.bytesHere);
                entry.insert(QStringLiteral("offload_frees_bytes"), here.bytesFreeable);
                models.append(entry);
            }
        }
        if (!all.isEmpty())
            for (const QString& line : table.lines())
                console().print(line);
        // A provider that stopped answering: whose copies the health above still counts, or
        // (past the vault's unreachable-after) counts as lost once checked.
        QJsonArray silent;
        Registry& registry = vault->registry();
        for (const ProviderRecord& provider : registry.providerRows().providers()) {
            if (provider.unreachableSince <= 0 || !provider.enabled)
                continue;
            const bool lost = registry.providerRows().providerLost(provider);
            const QString since = QDateTime::fromSecsSinceEpoch(provider.unreachableSince)
                                      .toString(QStringLiteral("yyyy-MM-dd HH:mm"));
            console().print(
                lost ? QStringLiteral("Provider “%1” unreachable since %2: the copies it holds "
                                      "count as lost (“modelfloat-cli repair” makes them "
                                      "elsewhere)")
                           .arg(provider.name, since)
                     : QStringLiteral("Provider “%1” unreachable since %2: its copies still "
                                      "count; after %3 h of silence they count as lost")
                           .arg(provider.name, since)
                           .arg(double(registry.providerRows().unreachableAfterSecs()) / 3600));
            silent.append(QJsonObject{{QStringLiteral("provider"), provider.name},
                                      {QStringLiteral("since"), provider.unreachableSince},
                                      {QStringLiteral("lost"), lost}});
        }
        console().printJson({{QStringLiteral("models"), models},
                             {QStringLiteral("unreachable_providers"), silent}});
        finish(Success);
    }
};

class InfoCommand final : public Command
{
    // A CID, or what to do without one: a file still floating has none yet, and one floated
    // before the registry kept CIDs has none recorded, but its bytes give it.
    static QString cidOrWhy(const QString& cid)
    {
        return cid.isEmpty() ? QStringLiteral("(not known; `modelfloat-cli cid` computes it "
                                              "from the files)")
                             : cid;
    }

public:
    using Command::Command;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model."));
        if (!parse(p, args, QStringLiteral("info MODEL"), 1, 1))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        Registry& registry = vault->registry();
        const auto model = registry.modelRows().modelByName(p.positionalArguments().at(0));
        if (!model) {
            console().error(
                QStringLiteral("There is no model named “%1”").arg(p.positionalArguments().at(0)));
            return finish(NotFound);
        }
        const int wanted = wantedReplicas(vault);
        const ModelSummary s = summarizeModel(registry, *model, wanted);
        console().print(QStringLiteral("Model:    %1").arg(modelname::escaped(model->name)));
        console().print(QStringLiteral("Source:   %1").arg(model->source));
        console().print(
            QStringLiteral("Added:    %1")
                .arg(model->created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
        console().print(QStringLiteral("State:    %1 (%2)")
                            .arg(model->state == ModelRecord::State::Complete
                                     ? QStringLiteral("complete")
                                     : QStringLiteral("incomplete: float it again to finish"),
                                 s.health(wanted)));
        // How fresh that health is: what a look found an hour ago may be gone now.
        console().print(
            QStringLiteral("Checked:  %1")
                .arg(s.lastChecked.isValid()
                         ? units::formatAge(s.lastChecked, QDateTime::currentDateTimeUtc()) +
                               QStringLiteral(" (every copy last looked at; `modelfloat-cli "
                                              "repair` looks again)")
                         : QStringLiteral("not every copy yet (`modelfloat-cli repair` looks)")));
        console().print(
            QStringLiteral("Size:     %1 in %2")
                .arg(units::formatBytes(s.bytes), units::counted(s.files, QStringLiteral("1 file"),
                                                                 QStringLiteral("%1 files"))));
        const QList<FileRecord> fileRecords = registry.modelRows().files(model->id);
        const QString modelCid = filedags::modelCid(fileRecords);
        console().print(QStringLiteral("CID:      %1").arg(cidOrWhy(modelCid)));
        console().print(QStringLiteral("Chunks:   %1 unique of %2 (%3 unique bytes)")
                            .arg(s.uniqueChunks)
                            .arg(s.chunkRefs)
                            .arg(units::formatBytes(s.uniqueBytes)));
        const qint64 savedWithin = s.bytes - s.uniqueBytes;
        console().print(
            QStringLiteral("Dedup:    %1 saved within the model, %2 shared with other models")
                .arg(units::formatBytes(savedWithin), units::formatBytes(s.sharedBytes)));
        const RedundancyScheme scheme = model->scheme(wanted);
        console().print(
            QStringLiteral("Kept as:  %1 (%2)")
                .arg(scheme.toString(), scheme.describe(vault->providersTakingCopies())));
        if (s.shardedChunks == 0)
            console().print(QStringLiteral("Replicas: at least %1 of every chunk (wanted %2); %3 "
                                           "under-replicated, %4 lost")
                                .arg(s.minReplicas)
                                .arg(wanted)
                                .arg(s.underReplicated)
                                .arg(s.lost));
        else // as health counts them: whole, readable but short of a shard, or lost
            console().print(QStringLiteral("Shards:   %1 of %2 chunks stored as shards; %3 short "
                                           "of a shard (degraded), %4 lost")
                                .arg(s.shardedChunks)
                                .arg(s.uniqueChunks)
                                .arg(s.underReplicated)
                                .arg(s.lost));
        console().print(QStringLiteral("\nPlacements per provider:"));
        for (const ProviderRecord& pr : registry.providerRows().providers()) {
            const int chunks = s.chunksByProvider.value(pr.id);
            const int shards = s.shardsByProvider.value(pr.id);
            QStringList held;
            if (chunks > 0 || shards == 0)
                held.append(
                    units::counted(chunks, QStringLiteral("1 chunk"), QStringLiteral("%1 chunks")));
            if (shards > 0)
                held.append(
                    units::counted(shards, QStringLiteral("1 shard"), QStringLiteral("%1 shards")));
            console().print(QStringLiteral("  %1 %2, %3")
                                .arg(pad(pr.name, 20), held.join(QStringLiteral(" and ")),
                                     units::formatBytes(s.bytesByProvider.value(pr.id))));
        }
        console().print(QStringLiteral("\nFiles:"));
        for (const FileRecord& f : fileRecords) {
            const QList<FileChunk> manifest = registry.modelRows().fileChunks(f.id);
            const int chunks = int(manifest.size());
            console().print(QStringLiteral("  %1  %2  %3 chunks  sha256 %4%5")
                                .arg(pad(f.path, 30), units::formatBytes(f.size).rightJustified(10))
                                .arg(chunks, 5)
                                .arg(f.sha256.isEmpty() ? QStringLiteral("(not yet known)")
                                                        : QString::fromLatin1(f.sha256),
                                     f.state == FileRecord::State::Complete
                                         ? QString()
                                         : QStringLiteral("  INCOMPLETE")));
            console().print(QStringLiteral("      cid %1").arg(cidOrWhy(f.cid)));
            const QString format = formats::describeFormat(f.metadata);
            if (!format.isEmpty())
                console().print(QStringLiteral("      ") + format);
        }
        if (console().json)
            console().printJson(modelInfoJson(registry, *model, wanted, true));
        finish(Success);
    }
};

class StatsCommand final : public Command
{
public:
    using Command::Command;

    // What the vault's models take and how much more fits in the providers' free space, under
    // the vault's redundancy and the usual alternatives (chunking/redundancycapacity.h). Free
    // space is known for providers with a quota; the others are left out, and said so.
    QJsonArray printSchemes(Vault* vault, const VaultStats& s,
                            const QHash<qint64, qint64>& byProvider)
    {
        std::vector<qint64> free;
        int providers = 0;
        int noQuota = 0;
        for (const ProviderRecord& pr : vault->registry().providerRows().providers()) {
            if (!pr.takesNewCopies())
                continue;
            ++providers;
            if (pr.quotaBytes < 0)
                ++noQuota;
            else
                free.push_back(qMax<qint64>(0, pr.quotaBytes - byProvider.value(pr.id)));
        }
        const RedundancyScheme current = vault->redundancy();
        std::vector<RedundancyScheme> schemes{current};
        for (const auto& other :
             {RedundancyScheme::makeCopies(2), RedundancyScheme::makeCopies(3),
              RedundancyScheme::makeShards(2, 1), RedundancyScheme::makeShards(3, 1),
              RedundancyScheme::makeShards(3, 2), RedundancyScheme::makeShards(4, 1),
              RedundancyScheme::makeShards(4, 2), RedundancyScheme::makeShards(6, 3),
              RedundancyScheme::makeShards(10, 4)}) {
            if (other != current)
                schemes.push_back(other);
        }
        console().print(QStringLiteral("Redundancy:   %1 (%2)")
                            .arg(current.toString(), current.describe(providers)));
        console().print(QStringLiteral("Models take, and more fit in the free space of %1 "
                                       "providers with a quota%2:")
                            .arg(free.size())
                            .arg(noQuota > 0
                                     ? QStringLiteral(" (%1 without one left out)").arg(noQuota)
                                     : QString()));
        QJsonArray out;
        for (const auto& scheme : schemes) {
            const qint64 takes = qint64(double(s.uniqueBytes) * scheme.storageFactor());
            const qint64 fits = modelBytesThatFit(free, scheme);
            console().print(
                QStringLiteral("  %1 %2  takes %3  %4 more fit   %5")
                    .arg(pad(scheme.toString(), 12),
                         scheme == current ? QStringLiteral("(now)") : QStringLiteral("     "),
                         units::formatBytes(takes).rightJustified(10),
                         units::formatBytes(fits).rightJustified(10), scheme.describe(providers)));
            out.append(QJsonObject{{QStringLiteral("scheme"), scheme.toString()},
                                   {QStringLiteral("current"), scheme == current},
                                   {QStringLiteral("stored_bytes"), takes},
                                   {QStringLiteral("fits_bytes"), fits},
                                   {QStringLiteral("description"), scheme.describe(providers)}});
        }
        return out;
    }

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        if (!parse(p, args, QStringLiteral("stats"), 0, 0))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        Registry& registry = vault->registry();
        const VaultStats s = registry.healthRows().stats();
        const auto byProvider = registry.healthRows().storedBytesByProvider();
        console().print(QStringLiteral("Vault:        %1").arg(vault->directory()));
        console().print(QStringLiteral("Models:       %1 (%2 files)").arg(s.models).arg(s.files));
        console().print(QStringLiteral("Model bytes:  %1").arg(units::formatBytes(s.logicalBytes)));
        // A chunk kept as shards is an object of its own and so is each of its shards: both
        // are counted, and said so.
        console().print(QStringLiteral("Unique bytes: %1 in %2 (dedup saves %3)")
                            .arg(units::formatBytes(s.uniqueBytes),
                                 s.shards > 0 ? QStringLiteral("%1 chunks and shards (%2 shards)")
                                                    .arg(s.chunks)
                                                    .arg(s.shards)
                                              : QStringLiteral("%1 chunks").arg(s.chunks),
                                 units::formatBytes(s.dedupSavedBytes())));
        console().print(QStringLiteral("Stored bytes: %1 across all replicas")
                            .arg(units::formatBytes(s.storedBytes)));
        // The copies health is measured against (the setting, capped by the providers that
        // take copies), as `list`, `info` and the app say it; the setting itself beside it. In
        // a vault of shards they are what models floated as copies keep.
        const int wanted = registry.healthRows().wantedCopies();
        const RedundancyScheme scheme = vault->redundancy();
        console().print(
            QStringLiteral("Replication:  %1 wanted%2%3; %4 placements, %5 missing or corrupt")
                .arg(wanted)
                .arg(scheme.isShards()
                         ? QStringLiteral(" for models kept as copies (new models take %1)")
                               .arg(scheme.toString())
                         : QString())
                .arg(wanted < vault->replicationFactor()
                         ? QStringLiteral(" (the vault asks for %1; fewer providers take copies)")
                               .arg(vault->replicationFactor())
                         : QString())
                .arg(s.placements)
                .arg(s.unhealthyPlacements));
        QJsonArray providers;
        for (const ProviderRecord& pr : registry.providerRows().providers()) {
            const qint64 stored = byProvider.value(pr.id);
            console().print(QStringLiteral("  %1 %2 %3%4")
                                .arg(pad(pr.name, 20), pad(pr.kind, 8), units::formatBytes(stored),
                                     pr.quotaBytes >= 0 ? QStringLiteral(" of %1").arg(
                                                              units::formatBytes(pr.quotaBytes))
                                                        : QString()));
            providers.append(QJsonObject{{QStringLiteral("name"), pr.name},
                                         {QStringLiteral("kind"), pr.kind},
                                         {QStringLiteral("stored_bytes"), stored},
                                         {QStringLiteral("quota_bytes"), pr.quotaBytes}});
        }
        const QJsonArray fits = printSchemes(vault, s, byProvider);
        console().printJson({{QStringLiteral("vault"), vault->directory()},
                             {QStringLiteral("redundancy"), vault->redundancy().toString()},
                             {QStringLiteral("schemes"), fits},
                             {QStringLiteral("models"), s.models},
                             {QStringLiteral("files"), s.files},
                             {QStringLiteral("logical_bytes"), s.logicalBytes},
                             {QStringLiteral("unique_bytes"), s.uniqueBytes},
                             {QStringLiteral("dedup_saved_bytes"), s.dedupSavedBytes()},
                             {QStringLiteral("stored_bytes"), s.storedBytes},
                             {QStringLiteral("chunks"), s.chunks},
                             {QStringLiteral("shards"), s.shards},
                             {QStringLiteral("placements"), s.placements},
                             {QStringLiteral("unhealthy_placements"), s.unhealthyPlacements},
                             {QStringLiteral("replication"), vault->replicationFactor()},
                             {QStringLiteral("wanted_copies"), wanted},
                             {QStringLiteral("providers"), providers}});
        finish(Success);
    }
};

} // namespace

Command* makeListCommand(Context& c)
{
    return new ListCommand(c);
}
Command* makeInfoCommand(Context& c)
{
    return new InfoCommand(c);
}
Command* makeStatsCommand(Context& c)
{
    return new StatsCommand(c);
}

} // namespace mf::cli
