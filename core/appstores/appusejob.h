#pragma once
// `use MODEL --in APP` as a transfer job, the one way the CLI and the app put a vault model in
// an app's store: the model materialized once into the vault's materialized cache (kept under
// its cap), then that copy registered in the app (appuse.h: a hard link, else a reflink, else
// a copy) and recorded in hub/appuses.h. With `remove`, what an earlier use wrote is taken out.
// With `free`, the apps' own copies of the model (appcopies.h) are freed instead (appusefree.cpp).

#include "appcopies.h"
#include "hub/appuses.h"
#include "transfer/transferjob.h"

#include <QPointer>

#include <memory>

namespace mf {

class MaterializeJob;
class ScrubJob;
class Vault;

class AppUseJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AppUseJob)

public:
    struct Request
    {
        QString modelName;
        appstores::App app = appstores::App::Ollama;
        QString root;         // the app's store folder; empty: the one the app reads
        QString ollamaName;   // Ollama's "name:tag"; empty: the model's name, tag latest
        qint64 cacheCap = -1; // the budget of the caches on this disk; -1: the vault's
        bool remove = false;  // take it out of the app instead
        // Instead: the apps' own copies of the model the scan finds (appcopies.h) replaced by
        // the one shared copy (each recorded as a use of its app), or removed outright ("keep
        // it floating only": the apps no longer have it). Refused until the model has every
        // copy the vault wants, each read back and verified, and those not looked at for a day
        // were checked again (ScrubJob::FreshSecs, as offload).
        enum class Free { No, Replace, Remove };
        Free free = Free::No;
        // Free: look in every app's stores; else only in `app`'s (`root`, or where it keeps
        // them).
        bool everyApp = false;
    };
    // What the job ended with, beyond success.
    enum class Outcome { None, Placed, AlreadyThere, Removed, Freed };

    AppUseJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~AppUseJob() override;

    TransferProgress progressNow() const override;
    Outcome outcome() const { return m_outcome; }
    const Request& request() const { return m_request; }
    // What was written (Placed, AlreadyThere) or taken out (Removed).
    const AppUses::Use& use() const { return m_use; }
    // Disk the app's copy cost beyond the shared one (a copy, not a link); 0 when shared.
    qint64 extraBytes() const { return m_extraBytes; }
    // Models the cache evicted to stay under its cap.
    const QStringList& evicted() const { return m_evicted; }
    // Freed: the disk that freed (after the shared copy's own, when replaced), and the copies
    // replaced or removed.
    qint64 freedBytes() const { return m_freed; }
    const QList<appstores::AppCopy>& freedCopies() const { return m_freedCopies; }
    // The result in one sentence ("Ollama now has “x” as x:latest (hard link, 1.2 GiB not
    // copied)"); empty until it succeeded.
    QString summary() const override;
    // "modelfloat/<name>": the repo a model not imported from the Hub is written as.
    static QString localRepoId(const QString& modelName);

private:
    void doStart() override;
    void doAbort() override;
    void takeOut();
    void onMaterialized();
    void materialize();
    // appusefree.cpp
    QString notVerified() const;
    void startFree();
    void onFreshChecked();
    void onCopiesFound(const QList<appstores::AppCopy>& copies, const QStringList& notes);
    void replaceCopies(const QString& snapshot, qint64 newBytes);
    void removeCopies();
    bool recordReplaced(const QList<appstores::AppCopy>& replaced, QString* error);
    QString freedSummary() const;

    Vault* m_vault;
    Request m_request;
    AppUses m_uses;
    QPointer<MaterializeJob> m_materialize;
    Outcome m_outcome = Outcome::None;
    AppUses::Use m_use;
    qint64 m_extraBytes = 0;
    qint64 m_freed = 0;
    QList<appstores::AppCopy> m_copies;      // found, to free
    QList<appstores::AppCopy> m_freedCopies; // freed
    std::unique_ptr<ScrubJob> m_check;
    std::shared_ptr<std::atomic_bool> m_cancelled = std::make_shared<std::atomic_bool>(false);
    QStringList m_evicted;
};

} // namespace mf
