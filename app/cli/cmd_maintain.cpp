// Commands that check or change what is stored: verify, rm, collect.
#include "command.h"

#include "hub/appuses.h"
#include "sync/catalogcollectjob.h"
#include "transfer/verifyjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QJsonArray>

namespace mf::cli {

namespace {

class VerifyCommand final : public JobCommand<VerifyJob>
{
public:
    using JobCommand::JobCommand;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("Models to verify."),
                                QStringLiteral("[MODEL...]"));
        p.addOption({QStringLiteral("all"), QStringLiteral("Verify every model.")});
        if (!parse(p, args, QStringLiteral("verify MODEL... | --all"), 0, -1))
            return;
        if (p.positionalArguments().isEmpty() == !p.isSet(QStringLiteral("all"))) {
            console().error(QStringLiteral("verify takes model names or --all"));
            return finish(Usage);
        }
        m_vault = openVault();
        if (!m_vault)
            return;
        verify(p.positionalArguments());
    }

private:
    void verify(const QStringList& models)
    {
        m_models = models;
        auto* job = new VerifyJob(m_vault, models, this);
        connect(job, &VerifyJob::finished, this, &VerifyCommand::onFinished);
        runJob(job);
    }

    void onFinished()
    {
        console().stopProgress();
        if (m_job->error().kind == Error::Kind::Cancelled)
            return finish(Interrupted);
        if (!m_job->error().ok()) {
            console().error(m_job->error().message);
            return finish(m_job->error().kind == Error::Kind::NotFound ? NotFound : Failed);
        }
        const VerifyJob::Report& r = m_job->report();
        // Chunks with no copy left: the model may have been removed elsewhere (see
        // checkRemovedElsewhere()). Those removed are said so; the others are verified again.
        if (r.lost > 0 && !m_catalogChecked) {
            m_catalogChecked = true;
            const QStringList names = m_models.isEmpty() ? modelNames() : m_models;
            checkRemovedElsewhere(m_vault, names, [this](const auto& removals) {
                if (removals.isEmpty())
                    return report();
                QStringList rest = m_models;
                for (const auto& removal : removals)
                    rest.removeAll(removal.name);
                if (!m_models.isEmpty() && rest.isEmpty())
                    return finishRemovedElsewhere(removals);
                for (const auto& removal : removals)
                    console().warning(CatalogSyncJob::describe(removal));
                m_job->deleteLater();
                verify(rest);
            });
            return;
        }
        report();
    }

    QStringList modelNames()
    {
        QStringList names;
        for (const ModelRecord& m : m_vault->registry().modelRows().models())
            names.append(m.name);
        return names;
    }

    void report()
    {
        const VerifyJob::Report& r = m_job->report();
        for (const QString& line : r.problems)
            console().print(QStringLiteral("PROBLEM  ") + line);
        // Each chunk is kept as copies, or (docs/erasure.md) as shards, whole with all of them.
        const bool allShards = r.chunks > 0 && r.shardedChunks == r.chunks;
        const QString kept =
            allShards
                ? QStringLiteral("all its shards")
                : (r.shardedChunks > 0 ? QStringLiteral("its %1 wanted copies or all its shards")
                                       : QStringLiteral("its %1 wanted copies"))
                      .arg(r.wanted);
        console().print(QStringLiteral("Checked %1 %2 of %3 chunks: %4 good, %5 missing, %6 "
                                       "corrupt, %7 unreachable")
                            .arg(r.placementsChecked)
                            .arg(r.shardedChunks > 0 ? QStringLiteral("stored objects (copies "
                                                                      "and shards)")
                                                     : QStringLiteral("replicas"))
                            .arg(r.chunks)
                            .arg(r.good)
                            .arg(r.missing)
                            .arg(r.corrupt)
                            .arg(r.unreachable));
        console().print(QStringLiteral("%1 chunks under-replicated (without %2), %3 chunks with no "
                                       "good replica")
                            .arg(r.underReplicated)
                            .arg(kept)
                            .arg(r.lost));
        QString status;
        int code = Success;
        switch (r.verdict()) {
        case VerifyJob::Report::Verdict::Healthy:
            status = QStringLiteral("healthy");
            console().print(
                QStringLiteral("OK: every chunk has %1, each present and intact").arg(kept));
            break;
        case VerifyJob::Report::Verdict::UnderReplicated:
            status = QStringLiteral("under-replicated");
            code = UnderReplicated;
            console().print(QStringLiteral("UNDER-REPLICATED: %1 chunks are without %2. None is "
                                           "lost, but one more failure could lose data.")
                                .arg(r.underReplicated)
                                .arg(kept));
            break;
        case VerifyJob::Report::Verdict::Unknown:
            status = QStringLiteral("unknown");
            code = Failed;
            console().print(QStringLiteral("NOT VERIFIED: %1 replicas could not be read (see the "
                                           "errors above); verify again when the providers "
                                           "answer")
                                .arg(r.unreachable));
            break;
        case VerifyJob::Report::Verdict::Damaged:
            status = QStringLiteral("damaged");
            code = IntegrityProblem;
            console().print(QStringLiteral("PROBLEMS FOUND: missing or corrupt data"));
            break;
        }
        console().printJson({{QStringLiteral("ok"), code == Success},
                             {QStringLiteral("status"), status},
                             {QStringLiteral("chunks"), r.chunks},
                             {QStringLiteral("checked"), r.placementsChecked},
                             {QStringLiteral("good"), r.good},
                             {QStringLiteral("missing"), r.missing},
                             {QStringLiteral("corrupt"), r.corrupt},
                             {QStringLiteral("unreachable"), r.unreachable},
                             {QStringLiteral("wanted_replicas"), r.wanted},
                             {QStringLiteral("under_replicated"), r.underReplicated},
                             {QStringLiteral("lost"), r.lost},
                             {QStringLiteral("problems"), QJsonArray::fromStringList(r.problems)}});
        finish(code);
    }

    Vault* m_vault = nullptr;
    QStringList m_models; // as asked (empty: --all)
    bool m_catalogChecked = false;
};

class RemoveCommand final : public Command
{
public:
    RemoveCommand(Context& c, bool collectOnly)
        : Command(c)
        , m_collectOnly(collectOnly)
    {}
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        if (!m_collectOnly) {
            p.addPositionalArgument(QStringLiteral("model"),
                                    QStringLiteral("The model to remove."));
            p.addOption({QStringLiteral("force"),
                         QStringLiteral("Remove it even though apps use it (`use`): their "
                                        "copies stay, no longer tracked.")});
        }
        const bool ok = m_collectOnly ? parse(p, args, QStringLiteral("collect"), 0, 0)
                                      : parse(p, args, QStringLiteral("rm MODEL [--force]"), 1, 1);
        if (!ok)
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        const QString name = m_collectOnly ? QString() : p.positionalArguments().at(0);
        // An app whose store shares the model's materialized copy would keep a model the vault
        // no longer has: said first, and done only when asked for.
        const QString inUse =
            name.isEmpty() ? QString() : AppUses::ofVault(vault->directory()).removalRefusal(name);
        if (!inUse.isEmpty() && !p.isSet(QStringLiteral("force"))) {
            console().error(inUse + QStringLiteral(", or pass --force to remove it from the vault "
                                                   "anyway"));
            return finish(AlreadyExists);
        }
        // Across vaults: the removal is published, and nothing another vault's catalog or a
        // float in progress anywhere relies on is deleted (docs/catalog.md).
        auto* job = new CatalogCollectJob(vault, name, this);
        connect(job, &TransferJob::finished, this, [this, job, name] {
            if (!job->error().ok()) {
                console().error(job->error().message);
                // As a float of a name another process is floating: a conflict, not a failure.
                return finish(job->modelBusy()                             ? AlreadyExists
                              : job->error().kind == Error::Kind::NotFound ? NotFound
                                                                           : Failed);
            }
            for (const QString& w : job->warnings())
                console().warning(w);
            if (!name.isEmpty())
                console().print(QStringLiteral("Removed “%1”").arg(name));
            console().print(QStringLiteral("Freed %1 chunks (%2 across providers)")
                                .arg(job->chunksFreed())
                                .arg(units::formatBytes(job->bytesFreed())));
            // Said even when nothing was freed: the user who expected space back learns when.
            const QString freeAfter =
                job->freeAfter() > 0
                    ? QDateTime::fromSecsSinceEpoch(job->freeAfter(), Qt::UTC).toString(Qt::ISODate)
                    : QString();
            if (job->chunksWaiting() > 0)
                console().print(QStringLiteral("%1 chunks (%2) become free after %3 (the grace "
                                               "period another computer has to publish them: "
                                               "collect again then)")
                                    .arg(job->chunksWaiting())
                                    .arg(units::formatBytes(job->bytesWaiting()), freeAfter));
            if (job->leftoversRemoved() > 0)
                console().print(QStringLiteral("Removed %1 leftovers of interrupted transfers (%2)")
                                    .arg(job->leftoversRemoved())
                                    .arg(units::formatBytes(job->leftoverBytesRemoved())));
            console().printJson(
                {{QStringLiteral("ok"), true},
                 {QStringLiteral("model"), name},
                 {QStringLiteral("chunks_freed"), job->chunksFreed()},
                 {QStringLiteral("bytes_freed"), job->bytesFreed()},
                 {QStringLiteral("chunks_waiting"), job->chunksWaiting()},
                 {QStringLiteral("bytes_waiting"), job->bytesWaiting()},
                 {QStringLiteral("free_after"), freeAfter},
                 {QStringLiteral("leftovers_removed"), job->leftoversRemoved()},
                 {QStringLiteral("leftover_bytes_removed"), job->leftoverBytesRemoved()},
                 {QStringLiteral("warnings"), QJsonArray::fromStringList(job->warnings())}});
            finish(Success);
        });
        job->start();
    }
    // Removal is short and its registry part is one transaction; let it end on its own.
    void interrupt() override {}

private:
    bool m_collectOnly;
};

} // namespace

Command* makeVerifyCommand(Context& c)
{
    return new VerifyCommand(c);
}
Command* makeRemoveCommand(Context& c)
{
    return new RemoveCommand(c, false);
}
Command* makeCollectCommand(Context& c)
{
    return new RemoveCommand(c, true);
}

} // namespace mf::cli
