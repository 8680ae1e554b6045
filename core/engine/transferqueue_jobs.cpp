// How each kind of transfer starts its job (float, restore, verify, remove, Hugging Face import,
// materialize): the rest of the queue schedules, persists and reports them (transferqueue.cpp).
#include "transferqueue.h"

#include "syncservice.h"
#include "util/units.h"

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
    auto tr = [](const char* text) {
        return QCoreApplication::translate("mf::TransferQueue", text);
    };
    QStringList parts;
    if (r.missing)
        parts << units::counted(r.missing, tr("1 replica missing"), tr("%1 replicas missing"));
    if (r.corrupt)
        parts << units::counted(r.corrupt, tr("1 replica corrupt"), tr("%1 replicas corrupt"));
    if (r.unreachable)
        parts << units::counted(r.unreachable, tr("1 replica on unreachable providers"),
                                tr("%1 replicas on unreachable providers"));
    if (r.lost)
        parts << units::counted(r.lost, tr("1 chunk lost (no good copy left)"),
                                tr("%1 chunks lost (no good copy left)"));
    return QCoreApplication::translate("mf::TransferQueue", "Verify found problems: %1")
        .arg(parts.join(QStringLiteral(", ")));
}

} // namespace

bool TransferQueue::startFloat(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* guard = qobject_cast<CatalogGuard*>(made.job);
    auto* job = qobject_cast<FloatJob*>(made.work);
    const FloatRequest& request = std::get<FloatRequest>(t.request);
    const QString name =
        request.modelName.isEmpty() ? FloatJob::defaultModelName(request.paths) : request.modelName;
    const qint64 id = t.info.id;
    t.job = guard;
    t.progress = [job] { return job->progressNow(); };
    t.describe = [retriesBefore = t.info.retries](TransferInfo& info, const TransferProgress& now) {
        info.chunksDone = now.chunksDone;
        info.retries = retriesBefore + now.retries;
        if (!now.stage.isEmpty())
            info.stage = now.stage;
        info.files = now.files;
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
        if (const auto model = m_vault->registry().modelRows().modelByName(name)) {
            x->info.modelId = model->id;
            Q_EMIT modelChanged(model->id);
            // The list shows the new model now; the status bar's count and sizes follow it
            // (they said "2 models" beside three rows until the float ended).
            emitStats();
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
            // Over all its runs, like sentBytes: a resumed run counts what an earlier one
            // stored as found already there.
            x->info.deduplicatedBytes = qMin(
                x->info.totalBytes, x->info.deduplicatedBytes + job->totals().bytesDeduplicated);
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

bool TransferQueue::startRestore(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<RestoreJob*>(made.work);
    // makeJob() found it: it names the model by id.
    const QString modelName = m_vault->registry().modelRows().model(t.info.modelId)->name;
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    // Each file it finishes is recorded at once, so that a run after a pause, a failure or a
    // crash knows the file at that name is its own.
    auto noteRestored = [this, id, job] {
        Transfer* x = find(id);
        auto* restore = x ? std::get_if<RestoreRequest>(&x->request) : nullptr;
        if (!restore)
            return;
        const qsizetype before = restore->restored.size();
        restore->restored.insert(job->restoredFiles());
        if (restore->restored.size() == before)
            return;
        persist(*x);
    };
    connect(job, &RestoreJob::progress, this, [this, id, noteRestored] {
        if (Transfer* x = find(id))
            x->dirty = true;
        noteRestored();
    });
    connect(job, &RestoreJob::finished, this, [this, id, job, noteRestored, name = modelName] {
        noteRestored();
        // Replicas it found bad on the way (and the copy it used instead).
        for (const QString& problem : job->problems())
            addWarning(id, problem);
        const Error& e = job->error();
        Transfer* x = find(id);
        const auto* restore = x ? std::get_if<RestoreRequest>(&x->request) : nullptr;
        if (restore && job->failure() == RestoreJob::Failure::DestinationExists && restore->ask &&
            x->stop == Stop::None) {
            // Nothing was written: it waits, paused, for the user's answer.
            x->stop = Stop::Pause;
            const QString destination = restore->destination;
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

bool TransferQueue::startVerify(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<VerifyJob*>(made.work);
    const QString modelName = m_vault->registry().modelRows().model(t.info.modelId)->name;
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    connect(job, &VerifyJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &VerifyJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &VerifyJob::finished, this, [this, id, job, name = modelName] {
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

void TransferQueue::finishUnlessRemovedElsewhere(qint64 id, const QString& modelName,
                                                 const QString& otherwise)
{
    m_sync->checkRemovedElsewhere(modelName, [this, id, otherwise](const QString& removed) {
        onJobFinished(id, removed.isEmpty() ? otherwise : removed, false);
    });
}

bool TransferQueue::startRemove(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    t.started = true;
    TransferJob* job = made.job;
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [] { return TransferProgress{}; };
    connect(job, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &TransferJob::finished, this, [this, id, job] {
        onJobFinished(id, job->error().message, job->error().kind == Error::Kind::Cancelled);
    });
    job->start();
    return true;
}

bool TransferQueue::startLocalCopies(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    TransferJob* job = made.job;
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    connect(job, &TransferJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &TransferJob::finished, this, [this, id, job] {
        onJobFinished(id, job->error().message, job->error().kind == Error::Kind::Cancelled);
        // The browser shows where each model is; chunks are shared, so others may have moved
        // too: every row is read again.
        Q_EMIT modelsHealthChanged();
    });
    job->start();
    return true;
}

bool TransferQueue::startImport(Transfer& t, QString* /*error*/)
{
    // The token comes from $HF_TOKEN or the vault's keychain entry (as for the CLI); reading
    // the keychain is asynchronous, so the import itself starts in runImport.
    const QString envToken = qEnvironmentVariable("HF_TOKEN");
    const qint64 id = t.info.id;
    t.progress = [] { return TransferProgress{}; };
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

void TransferQueue::runImport(qint64 id, const QString& token)
{
    Transfer* t = find(id);
    if (!t || !t->job || m_closing)
        return;
    t->job->deleteLater();
    t->job = nullptr;
    if (t->stop != Stop::None) {
        // Paused or cancelled while the token was read.
        t->job = new QObject(this);
        onJobFinished(id, QString(), true);
        return;
    }
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    JobContext context = jobContext(*t);
    context.network = m_network;
    context.hubToken = token;
    const MadeJob made = makeJob(t->request, *m_vault, context);
    auto* guard = qobject_cast<CatalogGuard*>(made.job);
    auto* job = qobject_cast<ImportJob*>(made.work);
    t->job = guard;
    t->progress = [job] { return job->progressNow(); };
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
            if (const auto model = m_vault->registry().modelRows().modelByName(job->modelName())) {
                x->info.modelId = model->id;
                Q_EMIT modelChanged(model->id);
                emitStats(); // the count beside the list, as for a float
            }
        }
    });
    connect(guard, &TransferJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(guard, &TransferJob::finished, this, [this, id, job, guard] {
        if (Transfer* x = find(id)) {
            if (job->progressNow().totalBytes > 0)
                x->info.totalBytes = job->progressNow().totalBytes;
            if (const auto model = m_vault->registry().modelRows().modelByName(job->modelName()))
                x->info.modelId = model->id;
        }
        const Error& e = guard->error();
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
    });
    guard->start();
}

bool TransferQueue::startMaterialize(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<MaterializeJob*>(made.work);
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
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
