#include "command.h"

#include "appstores/appsource.h"
#include "registry/modelname.h"
#include "requests/floatrequest.h"
#include "transfer/floatjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>

#include <algorithm>

namespace mf::cli {

namespace {

class FloatCommand final : public JobCommand<FloatJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("paths"),
                                QStringLiteral("Files or folders to float."),
                                QStringLiteral("PATH..."));
        p.addOption({QStringLiteral("name"),
                     QStringLiteral("Model name (default: the first file or folder's name)."),
                     QStringLiteral("name")});
        p.addOption(
            {QStringLiteral("replicas"),
             QStringLiteral(
                 "Copies of every chunk, on distinct providers (default: the vault's setting)."),
             QStringLiteral("n")});
        addChunkerOptions(p);
        p.addOption({QStringLiteral("provider"),
                     QStringLiteral("Place chunks only on this provider (repeatable)."),
                     QStringLiteral("name")});
        p.addOption({QStringLiteral("from"),
                     QStringLiteral("A model another app keeps, instead of PATH: "
                                    "ollama:NAME[:TAG], hf-cache:ORG/NAME[@REF] or "
                                    "lmstudio:PUBLISHER/REPO[/FILE]. Its bytes are checked "
                                    "against the digest the app named them by as they are read."),
                     QStringLiteral("app:model")});
        p.addOption({QStringLiteral("from-root"),
                     QStringLiteral("With --from: the app's model folder (default: where the app "
                                    "keeps them, from its environment variables or your home)."),
                     QStringLiteral("dir")});
        addDurabilityOptions(p);
        // Files, or --from and no files: the usage line otherwise, as for any other misuse.
        const bool fromApp = std::any_of(args.cbegin(), args.cend(), [](const QString& a) {
            return a == QLatin1String("--from") || a.startsWith(QLatin1String("--from="));
        });
        if (!parse(p, args,
                   QStringLiteral("float PATH... | --from APP:MODEL [--name NAME] [--replicas N] "
                                  "[--chunker cdc|fixed]"),
                   fromApp ? 0 : 1, fromApp ? 0 : -1))
            return;
        std::optional<appstores::AppSource> app;
        if (fromApp) {
            QString why;
            app = appstores::resolveAppSource(
                p.value(QStringLiteral("from")), QProcessEnvironment::systemEnvironment(),
                QDir::homePath(), p.value(QStringLiteral("from-root")), &why);
            if (!app) {
                console().error(why);
                return finish(NotFound);
            }
        }
        if (p.isSet(QStringLiteral("name"))) {
            if (const QString bad = modelname::problem(p.value(QStringLiteral("name")));
                !bad.isEmpty()) {
                console().error(bad);
                return finish(Usage);
            }
        }
        Vault* vault = openVault();
        if (!vault)
            return;

        // The request the app's queue runs, made into the same job inside the same catalog
        // guard (docs/catalog.md).
        FloatRequest request;
        request.paths = p.positionalArguments();
        request.modelName = p.value(QStringLiteral("name"));
        if (app) {
            request.paths = app->paths;
            request.names = app->names;
            request.expectedSha256 = app->expectedSha256;
            request.source = app->source;
            if (request.modelName.isEmpty())
                request.modelName = app->suggestedName;
        }
        FileDistributor::Options placement;
        if (!placementFrom(p, vault, &placement))
            return;
        request.replicas = p.isSet(QStringLiteral("replicas")) ? placement.replication : 0;
        request.providerIds = placement.providerIds;
        request.chunker = placement.chunker.toString();
        JobContext context;
        context.parent = this;
        const MadeJob made = request.makeJob(*vault, context);
        auto* job = qobject_cast<FloatJob*>(made.work);
        TransferJob* guard = made.job;
        connect(guard, &TransferJob::warning, this,
                [this](const QString& w) { console().warning(w); });
        connect(guard, &TransferJob::finished, this, &FloatCommand::onFinished);
        runJob(job, guard);
    }

private:
    QString progressLabel() const override { return m_job->currentFile(); }

    void onFinished()
    {
        console().stopProgress();
        const auto& t = m_job->totals();
        const double secs = elapsedSeconds();
        QJsonObject doc{{QStringLiteral("model"), m_job->modelName()},
                        {QStringLiteral("ok"), m_job->failure() == FloatJob::Failure::None},
                        {QStringLiteral("resumed"), m_job->resumed()},
                        {QStringLiteral("already_floated"), m_job->alreadyFloated()},
                        {QStringLiteral("bytes"), t.fileSize},
                        {QStringLiteral("chunks"), t.chunks},
                        {QStringLiteral("chunks_sent"), t.chunksSent},
                        {QStringLiteral("chunks_deduplicated"), t.chunksDeduplicated},
                        {QStringLiteral("bytes_sent"), t.bytesSent},
                        {QStringLiteral("bytes_deduplicated"), t.bytesDeduplicated},
                        {QStringLiteral("under_replicated_chunks"), t.underReplicatedChunks},
                        {QStringLiteral("copies_found_gone"), t.copiesFoundGone},
                        {QStringLiteral("chunks_encoded"), t.chunksEncoded},
                        {QStringLiteral("degraded"), m_job->degraded()},
                        {QStringLiteral("files_skipped"), m_job->filesSkipped()},
                        {QStringLiteral("seconds"), secs}};
        if (!m_job->error().ok())
            doc.insert(QStringLiteral("error"), m_job->error().message);
        const qint64 waitUntil =
            m_job->error().isOutOfBudget() ? m_job->error().budgetResetMs : m_job->budgetResetMs();
        if (waitUntil > 0)
            doc.insert(QStringLiteral("waiting_until"),
                       QDateTime::fromMSecsSinceEpoch(waitUntil).toUTC().toString(Qt::ISODate));
        console().printJson(doc);
        if (waitUntil > 0)
            console().warning(
                QStringLiteral("A provider this float wants takes no uploads until %1; the "
                               "chunks waiting for it get their copies when this same float runs "
                               "again after then (the desktop app's queue does that by itself)")
                    .arg(QDateTime::fromMSecsSinceEpoch(waitUntil).toString(
                        QStringLiteral("yyyy-MM-dd HH:mm"))));

        switch (m_job->failure()) {
        case FloatJob::Failure::None:
            break;
        case FloatJob::Failure::Cancelled:
            console().error(QStringLiteral(
                "Interrupted. Run the same command again to resume; finished chunks are kept."));
            return finish(Interrupted);
        case FloatJob::Failure::BadInput:
            console().error(m_job->error().message);
            return finish(BadInput);
        case FloatJob::Failure::BadName:
            // A name given with --name was checked before; this one comes from a path.
            console().error(m_job->error().message + QStringLiteral(" with --name"));
            return finish(Usage);
        case FloatJob::Failure::ModelExists:
            console().error(m_job->error().message);
            return finish(AlreadyExists);
        case FloatJob::Failure::Transfer:
            console().error(m_job->error().message);
            return finish(Failed);
        }
        if (m_job->alreadyFloated()) {
            console().print(QStringLiteral("“%1” already holds these files, byte for byte; "
                                           "nothing to do")
                                .arg(m_job->modelName()));
            return finish(Success);
        }
        // Degraded: restorable, but not every chunk has the copies the vault wants.
        const auto chunks = [](qint64 n) {
            return units::counted(n, QStringLiteral("1 chunk"), QStringLiteral("%1 chunks"));
        };
        console().print(QStringLiteral("Floated “%1”%2%3: %4 in %5")
                            .arg(m_job->modelName(),
                                 m_job->resumed() ? QStringLiteral(" (resumed)") : QString(),
                                 m_job->degraded() ? QStringLiteral(", DEGRADED") : QString(),
                                 units::formatBytes(t.fileSize), chunks(t.chunks)));
        console().print(QStringLiteral("  sent %1 (%2); %3 (%4) were already stored")
                            .arg(units::formatBytes(t.bytesSent), chunks(t.chunksSent),
                                 units::formatBytes(t.bytesDeduplicated),
                                 chunks(t.chunksDeduplicated)));
        if (t.copiesFoundGone > 0)
            console().print(units::counted(t.copiesFoundGone,
                                           QStringLiteral("  1 copy the registry listed was "
                                                          "gone or damaged on its provider "
                                                          "(removed by another computer?) and "
                                                          "was stored again"),
                                           QStringLiteral("  %1 copies the registry listed were "
                                                          "gone or damaged on their provider "
                                                          "(removed by another computer?) and "
                                                          "were stored again")));
        console().print(QStringLiteral("  %1 s, %2")
                            .arg(secs, 0, 'f', 1)
                            .arg(units::formatRate(t.fileSize / secs)));
        finish(Success);
    }
};

} // namespace

Command* makeFloatCommand(Context& c)
{
    return new FloatCommand(c);
}

} // namespace mf::cli
