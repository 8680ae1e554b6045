// Commands that keep the vault whole: scrub (check the copies, a bit at a time), repair (make
// the copies that are missing), convert (a model from one redundancy scheme to another, through
// the repair's job). `verify` stays the one-shot full check of named models.
#include "command.h"

#include "requests/convertrequest.h"
#include "sync/repairjob.h"
#include "sync/scrubjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QFileInfo>
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
            {QStringLiteral("shards_rebuilt"), r.shardsRebuilt},
            {QStringLiteral("bytes_copied"), r.bytesCopied},
            {QStringLiteral("bad_copies"), r.badCopies},
            {QStringLiteral("still_short"), r.stillShort},
            {QStringLiteral("lost"), r.lost},
            {QStringLiteral("copies_checked"), r.copiesChecked},
            {QStringLiteral("copies_found_bad"), r.copiesFoundBad},
            {QStringLiteral("copies_unchecked"), r.copiesUnchecked},
            {QStringLiteral("bad_copies_forgotten"), r.badCopiesForgotten},
            {QStringLiteral("files_matched"), r.filesMatched},
            {QStringLiteral("chunks_from_files"), r.chunksFromFiles},
            {QStringLiteral("problems"), QJsonArray::fromStringList(r.problems)},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(job.warnings())}};
}

// The exit code of a repair that ran: 4 when a chunk has no good copy left, 7 when chunks keep
// fewer copies than wanted (nowhere to put them now) or copies could not be checked, 0 when
// every chunk has its copies, each one seen on its provider.
int repairExitCode(const RepairJob& job)
{
    if (job.report().lost > 0)
        return IntegrityProblem;
    if (job.report().stillShort > 0 || job.report().copiesUnchecked > 0)
        return UnderReplicated;
    return Success;
}

void printRepair(Console& console, const RepairJob& job)
{
    const RepairJob::Report& r = job.report();
    for (const QString& line : r.problems)
        console.print(QStringLiteral("PROBLEM  ") + line);
    if (!job.options().fromPaths.isEmpty())
        console.print(QStringLiteral("%1 of the model's %2 files found at hand (same size, same "
                                     "SHA-256); %3 chunks read from them")
                          .arg(r.filesMatched)
                          .arg(r.filesWanted)
                          .arg(r.chunksFromFiles));
    if (r.copiesChecked > 0 || r.copiesUnchecked > 0)
        console.print(QStringLiteral("Looked at %1 stored copies: %2 gone or damaged, %3 could not "
                                     "be checked")
                          .arg(r.copiesChecked)
                          .arg(r.copiesFoundBad)
                          .arg(r.copiesUnchecked));
    console.print(QStringLiteral("%1 chunks had fewer than %2 copies: %3 repaired (%4 copies, %5), "
                                 "%6 still short, %7 with no good copy left")
                      .arg(r.chunksShort)
                      .arg(job.wantedCopies())
                      .arg(r.chunksRepaired)
                      .arg(r.copiesMade)
                      .arg(units::formatBytes(r.bytesCopied))
                      .arg(r.stillShort)
                      .arg(r.lost));
    if (r.shardsRebuilt > 0)
        console.print(QStringLiteral("%1 lost shards rebuilt from the others and put on providers "
                                     "holding no shard of their chunk")
                          .arg(r.shardsRebuilt));
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
        p.addOption({QStringLiteral("trust-registry"),
                     QStringLiteral("Do not ask the providers for every stored copy first; rely "
                                    "on what the registry remembers (a scrub's last findings).")});
        p.addOption({QStringLiteral("from"),
                     QStringLiteral("Files or folders you still have: those that match the "
                                    "model's files (size and name, then SHA-256) give its "
                                    "chunks, even ones no provider has left. Repeatable."),
                     QStringLiteral("PATH")});
        if (!parse(p, args, QStringLiteral("repair [--trust-registry] [--from PATH] [MODEL...]"), 0,
                   -1))
            return;
        RepairJob::Options options;
        options.fromPaths = p.values(QStringLiteral("from"));
        if (!options.fromPaths.isEmpty() && p.positionalArguments().isEmpty()) {
            console().error(QStringLiteral("Name the model to repair from “%1”: modelfloat-cli "
                                           "repair MODEL --from PATH")
                                .arg(options.fromPaths.first()));
            return finish(Usage);
        }
        for (QString& path : options.fromPaths) {
            if (!QFileInfo::exists(path)) {
                console().error(
                    QStringLiteral("There is no file or folder at “%1” to repair from").arg(path));
                return finish(BadInput);
            }
            path = QFileInfo(path).absoluteFilePath();
        }
        Vault* vault = openVault();
        if (!vault)
            return; // openVault() said why and finished
        options.checkFirst = !p.isSet(QStringLiteral("trust-registry"));
        for (const QString& name : p.positionalArguments()) {
            const auto model = vault->registry().modelRows().modelByName(name);
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
            // Files at hand of which none is the model's: the input, not a provider, is at fault.
            const bool nothingAtHand =
                !m_job->options().fromPaths.isEmpty() && m_job->report().filesMatched == 0;
            return finish(nothingAtHand ? BadInput : Failed);
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

// `convert MODEL copies N | shards K+M` (docs/erasure.md): the app's ConvertRequest, whose
// checks need no provider (the scheme's words, the model, a change a conversion makes, and
// whether the providers can hold the scheme), then its job: RepairJob with convertTo.
class ConvertCommand final : public JobCommand<RepairJob>
{
public:
    using JobCommand::JobCommand;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model to convert."));
        p.addPositionalArgument(QStringLiteral("scheme"),
                                QStringLiteral("copies N (whole copies on N providers) or shards "
                                               "K+M (K data and M parity shards, each on a "
                                               "provider of its own)."),
                                QStringLiteral("copies N | shards K+M"));
        if (!parse(p, args, QStringLiteral("convert MODEL copies N | shards K+M"), 2, 3))
            return;
        const QStringList words = p.positionalArguments();
        QString why;
        const auto scheme = RedundancyScheme::parse(words.mid(1).join(QLatin1Char(' ')), &why);
        if (!scheme) {
            console().error(why);
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return; // openVault() said why and finished
        Registry& registry = vault->registry();
        const auto model = registry.modelRows().modelByName(words.first());
        if (!model) {
            console().error(QStringLiteral("There is no model named “%1”").arg(words.first()));
            return finish(NotFound);
        }
        // The request the app's queue runs, refused for the same reasons in the same words.
        const ConvertRequest request{model->id, scheme->toString()};
        const ConvertRequest::Refusal refused = request.refusal(registry);
        if (!refused.why.isEmpty()) {
            console().error(refused.why);
            return finish(refused.usage ? Usage : Failed);
        }
        JobContext context;
        context.parent = this;
        const MadeJob made = request.makeJob(*vault, context);
        auto* job = qobject_cast<RepairJob*>(made.work);
        if (!job) {
            console().error(made.error);
            return finish(Failed);
        }
        connect(job, &RepairJob::warning, this, [this](const QString& w) { console().warning(w); });
        connect(job, &RepairJob::finished, this, &ConvertCommand::onFinished);
        m_name = model->name;
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        if (e.kind == Error::Kind::Cancelled) {
            console().error(QStringLiteral("Interrupted. Run it again to go on; what is done is "
                                           "kept."));
            return finish(Interrupted);
        }
        const RepairJob::Report& r = m_job->report();
        const QString scheme = m_job->options().convertTo->toString();
        console().printJson(
            {{QStringLiteral("ok"), e.ok() && r.complete() && r.schemeChanged},
             {QStringLiteral("model"), m_name},
             {QStringLiteral("scheme"), scheme},
             {QStringLiteral("scheme_changed"), r.schemeChanged},
             {QStringLiteral("chunks_converted"), r.chunksConverted},
             {QStringLiteral("copies_made"), r.copiesMade},
             {QStringLiteral("shards_put"), r.shardsRebuilt},
             {QStringLiteral("bytes_put"), r.bytesCopied},
             {QStringLiteral("objects_retired"), r.retired},
             {QStringLiteral("kept_for_other_models"), r.keptForOthers},
             {QStringLiteral("bad_copies"), r.badCopies},
             {QStringLiteral("still_short"), r.stillShort},
             {QStringLiteral("lost"), r.lost},
             {QStringLiteral("problems"), QJsonArray::fromStringList(r.problems)},
             {QStringLiteral("warnings"), QJsonArray::fromStringList(m_job->warnings())},
             {QStringLiteral("error"), e.ok() ? QString() : e.message}});
        for (const QString& line : r.problems)
            console().print(QStringLiteral("PROBLEM  ") + line);
        if (!e.ok() && e.kind != Error::Kind::Corrupt) {
            console().error(e.message);
            return finish(Failed);
        }
        console().print(QStringLiteral("%1 chunks whole as %2: %3 copies and %4 shards put (%5), "
                                       "%6 objects of the old scheme retired (deleted by the "
                                       "next `collect`)")
                            .arg(r.chunksConverted)
                            .arg(scheme)
                            .arg(r.copiesMade)
                            .arg(r.shardsRebuilt)
                            .arg(units::formatBytes(r.bytesCopied))
                            .arg(r.retired));
        if (r.keptForOthers > 0)
            console().print(QStringLiteral("%1 chunks keep their old objects too: another model "
                                           "uses them under the old scheme")
                                .arg(r.keptForOthers));
        if (!e.ok()) {
            console().error(e.message);
            return finish(IntegrityProblem);
        }
        if (!r.schemeChanged || !r.complete()) {
            console().error(QStringLiteral("“%1” is not converted yet: run the same command "
                                           "again once the providers can take the rest")
                                .arg(m_name));
            return finish(r.lost > 0 ? IntegrityProblem : UnderReplicated);
        }
        console().print(QStringLiteral("OK: “%1” is stored as %2").arg(m_name, scheme));
        finish(Success);
    }

    QString m_name;
};

class ScrubCommand final : public JobCommand<ScrubJob>
{
public:
    using JobCommand::JobCommand;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addOption({QStringLiteral("read"),
                     QStringLiteral("Read every due copy back and hash it (the full pass), instead "
                                    "of asking whether it is there with the right size.")});
        p.addOption({QStringLiteral("all"),
                     QStringLiteral("Every copy, not only those the schedule says are due.")});
        p.addOption({QStringLiteral("limit"),
                     QStringLiteral("Check at most N copies in this run (the next run goes on)."),
                     QStringLiteral("N")});
        p.addOption({QStringLiteral("rate"),
                     QStringLiteral("At most R objects (bytes with --read) per second; 0: no "
                                    "limit. Default: the vault's scrub.check_rate / "
                                    "scrub.read_rate."),
                     QStringLiteral("R")});
        if (!parse(p, args, QStringLiteral("scrub [--read] [--all] [--limit N] [--rate R]"), 0, 0))
            return;
        bool ok = true;
        const int limit =
            p.isSet(QStringLiteral("limit")) ? p.value(QStringLiteral("limit")).toInt(&ok) : -1;
        if (!ok || (p.isSet(QStringLiteral("limit")) && limit < 0)) {
            console().error(QStringLiteral("--limit takes a number of copies (0 or more)"));
            return finish(Usage);
        }
        const double rate =
            p.isSet(QStringLiteral("rate")) ? p.value(QStringLiteral("rate")).toDouble(&ok) : -1;
        if (!ok || (p.isSet(QStringLiteral("rate")) && rate < 0)) {
            console().error(QStringLiteral("--rate takes a number (0: no limit)"));
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return; // openVault() said why and finished
        m_vault = vault;
        ScrubJob::Options options = ScrubJob::scheduled(
            vault->registry(), p.isSet(QStringLiteral("read")) ? ScrubRows::ScrubPass::Read
                                                               : ScrubRows::ScrubPass::Check);
        if (p.isSet(QStringLiteral("all")))
            options.intervalSecs = 0;
        options.limit = limit;
        if (rate >= 0)
            options.rate = rate;
        auto* job = new ScrubJob(vault, options, this);
        connect(job, &ScrubJob::warning, this, [this](const QString& w) { console().warning(w); });
        connect(job, &ScrubJob::finished, this, &ScrubCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        if (e.kind == Error::Kind::Cancelled) {
            console().error(QStringLiteral("Interrupted. Run it again to go on with the copies "
                                           "not checked yet."));
            return finish(Interrupted);
        }
        const ScrubJob::Report& r = m_job->report();
        Registry& registry = m_vault->registry();
        // Still due by the vault's schedule (a run with --all looked at copies not due yet).
        const qint64 interval = ScrubJob::scheduled(registry, m_job->options().pass).intervalSecs;
        const ScrubRows::ScrubDue left = registry.scrubRows().scrubDue(
            m_job->options().pass, QDateTime::currentSecsSinceEpoch() - interval + 1);
        QJsonArray degraded;
        for (qint64 id : registry.healthRows().degradedModels())
            if (const auto m = registry.modelRows().model(id))
                degraded.append(m->name);
        const bool read = m_job->options().pass == ScrubRows::ScrubPass::Read;
        console().printJson(
            {{QStringLiteral("ok"), e.ok() && r.bad() == 0 && r.unreachable == 0},
             {QStringLiteral("pass"), read ? QStringLiteral("read") : QStringLiteral("check")},
             {QStringLiteral("due"), r.due},
             {QStringLiteral("checked"), r.checked},
             {QStringLiteral("good"), r.good},
             {QStringLiteral("missing"), r.missing},
             {QStringLiteral("corrupt"), r.corrupt},
             {QStringLiteral("unreachable"), r.unreachable},
             {QStringLiteral("paused"), r.paused},
             {QStringLiteral("bytes_read"), r.bytesRead},
             {QStringLiteral("remaining"), left.placements + left.paused},
             {QStringLiteral("degraded_models"), degraded},
             {QStringLiteral("problems"), QJsonArray::fromStringList(r.problems)},
             {QStringLiteral("warnings"), QJsonArray::fromStringList(m_job->warnings())}});
        if (!e.ok()) {
            console().error(e.message);
            return finish(Failed);
        }
        for (const QString& line : r.problems)
            console().print(QStringLiteral("PROBLEM  ") + line);
        console().print(
            QStringLiteral("%1 copies checked%2: %3 good, %4 missing, %5 corrupt, %6 "
                           "could not be checked; %7 still due%8")
                .arg(r.checked)
                .arg(read ? QStringLiteral(" (read back, %1)").arg(units::formatBytes(r.bytesRead))
                          : QString())
                .arg(r.good)
                .arg(r.missing)
                .arg(r.corrupt)
                .arg(r.unreachable)
                .arg(left.placements + left.paused)
                .arg(r.paused > 0
                         ? QStringLiteral(" (%1 wait for a provider's downloads)").arg(r.paused)
                         : QString()));
        if (r.bad() > 0) {
            console().print(QStringLiteral("DEGRADED: run `modelfloat-cli repair` to make the "
                                           "lost copies again"));
            return finish(IntegrityProblem);
        }
        finish(r.unreachable > 0 ? Failed : Success);
    }

    Vault* m_vault = nullptr;
};

} // namespace

Command* makeScrubCommand(Context& c)
{
    return new ScrubCommand(c);
}

Command* makeRepairCommand(Context& c)
{
    return new RepairCommand(c);
}

Command* makeConvertCommand(Context& c)
{
    return new ConvertCommand(c);
}

} // namespace mf::cli
