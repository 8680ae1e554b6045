// How each kind of transfer starts its job (float, restore, verify, remove, Hugging Face import,
// materialize): the rest of the worker schedules, persists and reports them (engineworker.cpp).
#include "engineworker.h"

#include "credentials/credentialstore.h"
#include "hub/hubclient.h"
#include "hub/hubsettings.h"
#include "hub/importjob.h"
#include "hub/materializejob.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogguard.h"
#include "sync/catalogsyncjob.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"
#include "transfer/transferjob.h"
#include "transfer/verifyjob.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QNetworkAccessManager>

#include <optional>

namespace mf {

namespace {

QString verifySummary(const VerifyJob::Report& r)
{
    QStringList parts;
    if (r.missing)
        parts << QCoreApplication::translate("mf::EngineWorker", "%n replica(s) missing", nullptr,
                                             r.missing);
    if (r.corrupt)
        parts << QCoreApplication::translate("mf::EngineWorker", "%n replica(s) corrupt", nullptr,
                                             r.corrupt);
    if (r.unreachable)
        parts << QCoreApplication::translate(
            "mf::EngineWorker", "%n replica(s) on unreachable providers", nullptr, r.unreachable);
    if (r.lost)
        parts << QCoreApplication::translate(
            "mf::EngineWorker", "%n chunk(s) lost (no good copy left)", nullptr, r.lost);
    return QCoreApplication::translate("mf::EngineWorker", "Verify found problems: %1")
        .arg(parts.join(QStringLiteral(", ")));
}

} // namespace

bool EngineWorker::startFloat(Transfer& t, QString* /*error*/)
{
    const QJsonObject& p = t.payload;
    FloatJob::Request request;
    request.paths = p.value(QStringLiteral("paths")).toVariant().toStringList();
    request.modelName = p.value(QStringLiteral("model")).toString();
    const int replicas = p.value(QStringLiteral("replicas")).toInt();
    request.options.replication = replicas > 0 ? replicas : m_vault->replicationFactor();
    request.options.warnIfCapped = replicas > 0;
    request.topUp = p.value(QStringLiteral("topUp")).toBool();
    const auto chunker = ChunkerParams::fromString(p.value(QStringLiteral("chunker")).toString());
    request.options.chunker = chunker ? *chunker : m_vault->defaultChunker();
    for (const QJsonValue v : p.value(QStringLiteral("providers")).toArray())
        request.options.providerIds.append(v.toInteger());

    // An existing name is the job's to judge: the same files again are "nothing to do".
    auto* job = new FloatJob(m_vault.get(), request, this);
    // Inside the catalog's rules: a lease on the providers while it runs, the catalog published
    // when it ends (docs/catalog.md).
    const QString name =
        request.modelName.isEmpty() ? FloatJob::defaultModelName(request.paths) : request.modelName;
    auto* guard = new CatalogGuard(m_vault.get(), job, QStringLiteral("“%1”").arg(name), this);
    const qint64 id = t.info.id;
    t.job = guard;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    t.retryWait = [job] { return job->progressNow().retryWait; };
    t.describe = [job, retriesBefore = t.info.retries](TransferInfo& info) {
        const TransferProgress now = job->progressNow();
        info.chunksDone = now.chunksDone;
        info.retries = retriesBefore + now.retries;
        if (!now.stage.isEmpty())
            info.stage = now.stage;
    };
    connect(job, &FloatJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(guard, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(guard, &CatalogGuard::innerStarted, this, [this, id, job, name] {
        Transfer* x = find(id);
        if (!x)
            return;
        if (const auto model = m_vault->registry().modelByName(name)) {
            x->info.modelId = model->id;
            x->payload.insert(QStringLiteral("modelId"), model->id);
            Q_EMIT modelChanged(model->id);
        }
        if (job->progressNow().totalBytes > 0) {
            x->info.totalBytes = job->progressNow().totalBytes;
            x->meter.setTotal(x->info.totalBytes);
        }
        x->dirty = true;
    });
    connect(guard, &TransferJob::finished, this, [this, id, job, guard] {
        if (Transfer* x = find(id)) {
            x->info.sentBytes += job->totals().bytesSent;
            x->payload.insert(QStringLiteral("sentBytes"), x->info.sentBytes);
            // Over all its runs, like sentBytes: a resumed run counts what an earlier one
            // stored as found already there.
            x->info.deduplicatedBytes = qMin(
                x->info.totalBytes, x->info.deduplicatedBytes + job->totals().bytesDeduplicated);
            x->payload.insert(QStringLiteral("deduplicatedBytes"), x->info.deduplicatedBytes);
        }
        const qint64 reset =
            job->error().isOutOfBudget() ? job->error().budgetResetMs : job->budgetResetMs();
        onJobFinished(id, guard->error().message,
                      job->failure() == FloatJob::Failure::Cancelled ||
                          guard->error().kind == Error::Kind::Cancelled,
                      reset);
    });
    guard->start();
    return true;
}

bool EngineWorker::startRestore(Transfer& t, QString* error)
{
    const auto model = m_vault->registry().model(t.info.modelId);
    if (!model) {
        *error = tr("The model is no longer in the vault");
        return false;
    }
    RestoreJob::Request request;
    request.modelName = model->name;
    request.destinationDir = t.payload.value(QStringLiteral("destination")).toString();
    // Exactly what was asked, on every run: a retry or a resume never replaces more. Files an
    // earlier run finished are its own, and are simply done.
    request.whenExists = t.payload.value(QStringLiteral("overwrite")).toBool()
                             ? ExistingFile::Replace
                             : ExistingFile::Refuse;
    request.answers =
        existingFileAnswersFromJson(t.payload.value(QStringLiteral("answers")).toObject());
    const QJsonObject restored = t.payload.value(QStringLiteral("restored")).toObject();
    for (auto it = restored.constBegin(); it != restored.constEnd(); ++it)
        request.restoredBefore.insert(it.key(), it.value().toString());
    auto* job = new RestoreJob(m_vault.get(), request, this);
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    // Each file it finishes is recorded at once, so that a run after a pause, a failure or a
    // crash knows the file at that name is its own.
    auto noteRestored = [this, id, job] {
        Transfer* x = find(id);
        if (!x)
            return;
        QJsonObject files = x->payload.value(QStringLiteral("restored")).toObject();
        const qsizetype before = files.size();
        const QHash<QString, QString>& done = job->restoredFiles();
        for (auto it = done.constBegin(); it != done.constEnd(); ++it)
            files.insert(it.key(), it.value());
        if (files.size() == before)
            return;
        x->payload.insert(QStringLiteral("restored"), files);
        persist(*x);
    };
    connect(job, &RestoreJob::progress, this, [this, id, noteRestored] {
        if (Transfer* x = find(id))
            x->dirty = true;
        noteRestored();
    });
    connect(job, &RestoreJob::finished, this,
            [this, id, job, noteRestored, name = request.modelName] {
                noteRestored();
                // Replicas it found bad on the way (and the copy it used instead).
                for (const QString& problem : job->problems())
                    addWarning(id, problem);
                const Error& e = job->error();
                Transfer* x = find(id);
                if (x && job->failure() == RestoreJob::Failure::DestinationExists &&
                    x->payload.value(QStringLiteral("ask")).toBool() && x->stop == Stop::None) {
                    // Nothing was written: it waits, paused, for the user's answer.
                    x->stop = Stop::Pause;
                    const QString destination =
                        x->payload.value(QStringLiteral("destination")).toString();
                    const QStringList files = job->conflicts();
                    onJobFinished(id, QString(), true);
                    Q_EMIT restoreConflict(id, destination, files);
                    return;
                }
                if (job->failure() == RestoreJob::Failure::Integrity)
                    return finishUnlessRemovedElsewhere(id, name, e.message);
                onJobFinished(id, e.message, job->failure() == RestoreJob::Failure::Cancelled,
                              e.isOutOfBudget() ? e.budgetResetMs : -1);
            });
    job->start();
    if (job->progressNow().totalBytes > 0)
        t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

bool EngineWorker::startVerify(Transfer& t, QString* error)
{
    const auto model = m_vault->registry().model(t.info.modelId);
    if (!model) {
        *error = tr("The model is no longer in the vault");
        return false;
    }
    auto* job = new VerifyJob(m_vault.get(), {model->name}, this);
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    connect(job, &VerifyJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &VerifyJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &VerifyJob::finished, this, [this, id, job, name = model->name] {
        const Error& e = job->error();
        if (!e.ok())
            onJobFinished(id, e.message, e.kind == Error::Kind::Cancelled);
        else if (job->report().lost > 0)
            finishUnlessRemovedElsewhere(id, name, verifySummary(job->report()));
        else
            onJobFinished(id, job->report().healthy() ? QString() : verifySummary(job->report()),
                          false);
    });
    job->start();
    if (job->progressNow().totalBytes > 0)
        t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

void EngineWorker::finishUnlessRemovedElsewhere(qint64 id, const QString& modelName,
                                                const QString& otherwise)
{
    // A sync under way (the one at open, the scheduler's) may take the removal in first: its
    // report says so once it ends.
    if (!m_catalogJobs.isEmpty() && m_catalogJobs.last()) {
        connect(
            m_catalogJobs.last(), &TransferJob::finished, this,
            [this, id, modelName, otherwise] {
                finishUnlessRemovedElsewhere(id, modelName, otherwise);
            },
            Qt::QueuedConnection);
        return;
    }
    // A removal taken in counts only while no model of that name is here again (one floated
    // since under the same name is another model).
    const auto removed = [this, modelName] {
        const auto it = m_removalsTaken.constFind(modelName);
        return it != m_removalsTaken.cend() && !m_vault->registry().modelByName(modelName)
                   ? std::optional<CatalogSyncJob::Report::Removal>(*it)
                   : std::nullopt;
    };
    const auto said = [this, id, otherwise, removed] {
        const auto r = removed();
        onJobFinished(id, r ? CatalogSyncJob::describe(*r) : otherwise, false);
    };
    if (removed())
        return said();
    auto* sync = new CatalogSyncJob(m_vault.get(), this);
    runCatalogJob(sync, [this, sync, said] {
        noteRemovalsTaken(sync->report());
        said();
    });
}

void EngineWorker::noteRemovalsTaken(const CatalogSyncJob::Report& report)
{
    for (const CatalogSyncJob::Report::Removal& r : report.removals)
        m_removalsTaken.insert(r.name, r);
    for (const qint64 removed : report.removedModels)
        Q_EMIT modelRemoved(removed);
    if (!report.removedModels.isEmpty())
        emitStats();
}

bool EngineWorker::startRemove(Transfer& t, QString* error)
{
    const auto model = m_vault->registry().model(t.info.modelId);
    // A removal paused after its registry step goes on with the deletions it left.
    const bool resumed = t.payload.value(QStringLiteral("started")).toBool();
    if (!model && !resumed) {
        *error = tr("The model is no longer in the vault");
        return false;
    }
    t.payload.insert(QStringLiteral("started"), true);
    // Across vaults: the removal is published, and nothing another vault's catalog or a float
    // in progress anywhere relies on is deleted (docs/catalog.md).
    auto* job = new CatalogCollectJob(m_vault.get(), model ? model->name : QString(), this);
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [] { return qint64(0); };
    connect(job, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &TransferJob::finished, this, [this, id, job] {
        onJobFinished(id, job->error().message, job->error().kind == Error::Kind::Cancelled);
    });
    job->start();
    return true;
}

bool EngineWorker::startImport(Transfer& t, QString* /*error*/)
{
    // The token comes from $HF_TOKEN or the vault's keychain entry (as for the CLI); reading
    // the keychain is asynchronous, so the import itself starts in runImport.
    const QString envToken = qEnvironmentVariable("HF_TOKEN");
    const qint64 id = t.info.id;
    t.bytesDone = [] { return qint64(0); };
    if (!envToken.isEmpty() || !m_vault->credentials()) {
        t.job = new QObject(this); // replaced by the ImportJob at once, below
        QMetaObject::invokeMethod(
            this, [this, id, envToken] { runImport(id, envToken); }, Qt::QueuedConnection);
        return true;
    }
    CredentialJob* read = m_vault->credentials()->read(HubSettings::tokenKey(m_vault->id()));
    read->setParent(this);
    t.job = read;
    connect(read, &CredentialJob::finished, this, [this, id, read] {
        // No token (or no keychain): go on anonymously; a gated model then says it needs one.
        const QString token = read->error().ok()
                                  ? read->secrets().value(QStringLiteral("token")).toString()
                                  : QString();
        runImport(id, token);
    });
    read->start();
    return true;
}

void EngineWorker::runImport(qint64 id, const QString& token)
{
    Transfer* t = find(id);
    if (!t || !t->job || m_shuttingDown)
        return;
    t->job->deleteLater();
    t->job = nullptr;
    if (t->stop != Stop::None) {
        // Paused or cancelled while the token was read.
        t->job = new QObject(this);
        onJobFinished(id, QString(), true);
        return;
    }
    const QJsonObject& p = t->payload;
    ImportJob::Request request;
    request.repoId = p.value(QStringLiteral("repo")).toString();
    request.revision = p.value(QStringLiteral("commit")).toString();
    request.variants = p.value(QStringLiteral("variants")).toVariant().toStringList();
    request.modelName = p.value(QStringLiteral("model")).toString();
    request.options.replication = m_vault->replicationFactor();
    const auto chunker = ChunkerParams::fromString(p.value(QStringLiteral("chunker")).toString());
    request.options.chunker = chunker ? *chunker : m_vault->defaultChunker();
    request.options.maxPendingChunks = 8; // as the CLI: bounded memory while streaming

    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    HubSettings settings = HubSettings::forVault(m_vault->registry());
    settings.token = token;
    auto* client = new HubClient(m_network, settings);
    auto* job = new ImportJob(m_vault.get(), client, request, this);
    // The client lives as long as its job (a child, deleted after the job's own destructor).
    client->setParent(job);
    // Inside the catalog's rules, as a float.
    auto* guard =
        new CatalogGuard(m_vault.get(), job,
                         QStringLiteral("“%1”").arg(
                             request.modelName.isEmpty() ? request.repoId : request.modelName),
                         this);
    t->job = guard;
    t->bytesDone = [job] { return job->progressNow().bytesDone; };
    connect(job, &ImportJob::progress, this, [this, id, job] {
        Transfer* x = find(id);
        if (!x)
            return;
        x->dirty = true;
        if (job->progressNow().totalBytes > 0 &&
            job->progressNow().totalBytes != x->info.totalBytes) {
            x->info.totalBytes = job->progressNow().totalBytes;
            x->meter.setTotal(x->info.totalBytes);
        }
        if (!x->info.modelId) {
            if (const auto model = m_vault->registry().modelByName(job->modelName())) {
                x->info.modelId = model->id;
                x->payload.insert(QStringLiteral("modelId"), model->id);
                Q_EMIT modelChanged(model->id);
            }
        }
    });
    connect(guard, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(guard, &TransferJob::finished, this, [this, id, job, guard] {
        if (Transfer* x = find(id)) {
            if (job->progressNow().totalBytes > 0)
                x->info.totalBytes = job->progressNow().totalBytes;
            if (const auto model = m_vault->registry().modelByName(job->modelName()))
                x->info.modelId = model->id;
        }
        const Error& e = guard->error();
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
    });
    guard->start();
}

bool EngineWorker::startMaterialize(Transfer& t, QString* error)
{
    const auto model = m_vault->registry().model(t.info.modelId);
    if (!model) {
        *error = tr("The model is no longer in the vault");
        return false;
    }
    MaterializeJob::Request request;
    request.modelName = model->name;
    request.destination = t.payload.value(QStringLiteral("destination")).toString();
    request.layout =
        t.payload.value(QStringLiteral("layout")).toString() == QLatin1String("hf-cache")
            ? MaterializeJob::Layout::HfCache
            : MaterializeJob::Layout::Plain;
    // Resumed after a pause, a plain materialize finds the files its first run wrote.
    request.overwrite = t.payload.value(QStringLiteral("started")).toBool();
    auto* job = new MaterializeJob(m_vault.get(), request, this);
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    connect(job, &MaterializeJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &MaterializeJob::finished, this, [this, id, job] {
        const Error& e = job->error();
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
    });
    job->start();
    if (job->progressNow().totalBytes > 0)
        t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

} // namespace mf
