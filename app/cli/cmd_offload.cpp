// `offload` and `pin`: free this computer of a model whose copies are safe elsewhere, or keep
// one here (core/offload, vault/thiscomputer.h).
#include "command.h"
#include "offload/offloadjob.h"
#include "offload/pinjob.h"
#include "util/units.h"
#include "vault/thiscomputer.h"
#include "vault/vault.h"

#include <QJsonObject>

namespace mf::cli {

namespace {

class OffloadCommand final : public JobCommand<OffloadJob>
{
public:
    using JobCommand::JobCommand;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model."));
        if (!parse(p, args, QStringLiteral("offload MODEL"), 1, 1))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        auto* job = new OffloadJob(vault, p.positionalArguments().at(0), this);
        connect(job, &OffloadJob::warning, this,
                [this](const QString& w) { console().warning(w); });
        connect(job, &OffloadJob::finished, this, &OffloadCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        const OffloadJob::Report& r = m_job->report();
        console().printJson({{QStringLiteral("ok"), e.ok()},
                             {QStringLiteral("error"), e.message},
                             {QStringLiteral("chunks"), r.chunks},
                             {QStringLiteral("chunks_without_other_copy"), r.chunksUnsafe},
                             {QStringLiteral("copies_made"), r.copiesMade},
                             {QStringLiteral("copies_removed"), r.copiesRemoved},
                             {QStringLiteral("chunks_kept_here"), r.chunksKept},
                             {QStringLiteral("bytes_freed"), r.bytesFreed}});
        if (!e.ok())
            return finishFailed(e, QStringLiteral("Interrupted. Run it again to go on; nothing "
                                                  "is lost either way."));
        console().print(QStringLiteral("Freed %1 on this computer: %2 copies removed here, %3 "
                                       "made on other providers first. The model stays "
                                       "available from the providers.")
                            .arg(units::formatBytes(r.bytesFreed))
                            .arg(r.copiesRemoved)
                            .arg(r.copiesMade));
        if (r.chunksKept > 0)
            console().print(
                QStringLiteral("Chunks that stay here: %1 (a model kept on this computer uses "
                               "them, or they could not get their copies elsewhere yet).")
                    .arg(r.chunksKept));
        finish(Success);
    }
};

class PinCommand final : public JobCommand<PinJob>
{
public:
    using JobCommand::JobCommand;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model."));
        p.addOption({QStringLiteral("off"),
                     QStringLiteral("Stop keeping it here (its copies stay until an offload).")});
        if (!parse(p, args, QStringLiteral("pin [--off] MODEL"), 1, 1))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        const QString name = p.positionalArguments().at(0);
        if (p.isSet(QStringLiteral("off"))) {
            if (!vault->registry().modelRows().modelByName(name)) {
                console().error(QStringLiteral("There is no model named “%1”").arg(name));
                return finish(NotFound);
            }
            if (!thiscomputer::setPinned(vault->registry(), name, false)) {
                console().error(vault->registry().lastError());
                return finish(Failed);
            }
            console().print(QStringLiteral("“%1” is no longer kept on this computer; "
                                           "`modelfloat-cli offload %1` frees its space.")
                                .arg(name));
            console().printJson({{QStringLiteral("ok"), true}, {QStringLiteral("pinned"), false}});
            return finish(Success);
        }
        auto* job = new PinJob(vault, name, this);
        connect(job, &PinJob::warning, this, [this](const QString& w) { console().warning(w); });
        connect(job, &PinJob::finished, this, &PinCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        console().printJson({{QStringLiteral("ok"), e.ok()},
                             {QStringLiteral("error"), e.message},
                             {QStringLiteral("pinned"), true},
                             {QStringLiteral("chunks_fetched"), m_job->chunksFetched()},
                             {QStringLiteral("bytes_fetched"), m_job->bytesFetched()}});
        if (!e.ok())
            return finishFailed(e, QStringLiteral("Interrupted. Run it again to bring back the "
                                                  "rest; it stays kept on this computer."));
        console().print(QStringLiteral("Kept on this computer. Chunks brought back: %1 (%2).")
                            .arg(m_job->chunksFetched())
                            .arg(units::formatBytes(m_job->bytesFetched())));
        finish(Success);
    }
};

} // namespace

Command* makeOffloadCommand(Context& c)
{
    return new OffloadCommand(c);
}

Command* makePinCommand(Context& c)
{
    return new PinCommand(c);
}

} // namespace mf::cli
