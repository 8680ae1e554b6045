// Commands that keep the vault whole: scrub (check the copies, a bit at a time), repair (make
// the copies that are missing). `verify` stays the one-shot full check of named models.
#include "command.h"

#include "sync/repairjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QJsonArray>

namespace mf::cli {

namespace {

QJsonObject repairJson(const RepairJob& job)
{
    const RepairJob::Report& r = job.report();
    return {{QStringLiteral("wanted_copies"), job.wantedCopies()},
            {QStringLiteral("chunks_short"), r.chunksShort},
            {QStringLiteral("chunks_repaired"), r.chunksRepaired},
            {QStringLiteral("copies_made"), r.copiesMade},
            {QStringLiteral("bytes_copied"), r.bytesCopied},
            {QStringLiteral("bad_copies"), r.badCopies},
            {QStringLiteral("still_short"), r.stillShort},
            {QStringLiteral("lost"), r.lost},
            {QStringLiteral("problems"), QJsonArray::fromStringList(r.problems)},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(job.warnings())}};
}

// The exit code of a repair that ran: 4 when a chunk has no good copy left, 7 when chunks keep
// fewer copies than wanted (nowhere to put them now), 0 when every chunk has its copies.
int repairExitCode(const RepairJob& job)
{
    if (job.report().lost > 0)
        return IntegrityProblem;
    if (job.report().stillShort > 0)
        return UnderReplicated;
    return Success;
}

void printRepair(Console& console, const RepairJob& job)
{
    const RepairJob::Report& r = job.report();
    for (const QString& line : r.problems)
        console.print(QStringLiteral("PROBLEM  ") + line);
    console.print(QStringLiteral("%1 chunks had fewer than %2 copies: %3 repaired (%4 copies, %5), "
                                 "%6 still short, %7 with no good copy left")
                      .arg(r.chunksShort)
                      .arg(job.wantedCopies())
                      .arg(r.chunksRepaired)
                      .arg(r.copiesMade)
                      .arg(units::formatBytes(r.bytesCopied))
                      .arg(r.stillShort)
                      .arg(r.lost));
    if (r.badCopies > 0)
        console.print(QStringLiteral("%1 bad copies found on the way (marked, and replaced where "
                                     "repaired)")
                          .arg(r.badCopies));
}

class RepairCommand final : public JobCommand<RepairJob>
{
public:
    using JobCommand::JobCommand;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"),
                                QStringLiteral("Models to repair (default: the whole vault)."),
                                QStringLiteral("[MODEL...]"));
        if (!parse(p, args, QStringLiteral("repair [MODEL...]"), 0, -1))
            return;
        Vault* vault = openVault();
        if (!vault)
            return; // openVault() said why and finished
        RepairJob::Options options;
        for (const QString& name : p.positionalArguments()) {
            const auto model = vault->registry().modelByName(name);
            if (!model) {
                console().error(QStringLiteral("There is no model named “%1”").arg(name));
                return finish(NotFound);
            }
            options.modelIds.append(model->id);
        }
        auto* job = new RepairJob(vault, options, this);
        connect(job, &RepairJob::warning, this, [this](const QString& w) { console().warning(w); });
        connect(job, &RepairJob::finished, this, &RepairCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        if (e.kind == Error::Kind::Cancelled) {
            console().error(QStringLiteral("Interrupted. Run it again to go on; the copies made "
                                           "are kept."));
            return finish(Interrupted);
        }
        QJsonObject doc = repairJson(*m_job);
        doc.insert(QStringLiteral("ok"), e.ok() && m_job->report().complete());
        if (!e.ok())
            doc.insert(QStringLiteral("error"), e.message);
        console().printJson(doc);
        if (!e.ok() && e.kind != Error::Kind::Corrupt) {
            console().error(e.message);
            return finish(Failed);
        }
        printRepair(console(), *m_job);
        if (!e.ok())
            console().error(e.message);
        else if (m_job->report().complete())
            console().print(
                QStringLiteral("OK: every chunk has its %1 copies").arg(m_job->wantedCopies()));
        finish(repairExitCode(*m_job));
    }
};

} // namespace

Command* makeRepairCommand(Context& c)
{
    return new RepairCommand(c);
}

} // namespace mf::cli
