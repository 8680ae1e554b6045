#pragma once
// `use MODEL --in APP` as a transfer job, the one way the CLI and the app put a vault model in
// an app's store: the model materialized once into the vault's materialized cache (kept under
// its cap), then that copy registered in the app (appuse.h: a hard link, else a reflink, else
// a copy) and recorded in hub/appuses.h. With `remove`, what an earlier use wrote is taken out.

#include "appstore.h"
#include "hub/appuses.h"
#include "transfer/transferjob.h"

#include <QPointer>

namespace mf {

class MaterializeJob;
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
        qint64 cacheCap = -1; // the materialized cache's cap; -1: the vault's setting
        bool remove = false;  // take it out of the app instead
        // Instead: the app's own copies of the model (files the app names by the SHA-256 of a
        // file of the model: Ollama's "sha256-<hex>", the Hugging Face cache's blob "<hex>")
        // replaced by the one shared copy, which frees them. Refused until the model has every
        // copy the vault wants, each read back and verified.
        QStringList replace;
    };
    // What the job ended with, beyond success.
    enum class Outcome { None, Placed, AlreadyThere, Removed, Replaced };

    AppUseJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~AppUseJob() override;

    TransferProgress progressNow() const override;
    Outcome outcome() const { return m_outcome; }
    // What was written (Placed, AlreadyThere) or taken out (Removed).
    const AppUses::Use& use() const { return m_use; }
    // Disk the app's copy cost beyond the shared one (a copy, not a link); 0 when shared.
    qint64 extraBytes() const { return m_extraBytes; }
    // Models the cache evicted to stay under its cap.
    const QStringList& evicted() const { return m_evicted; }
    // Replaced: the disk that freed, after the shared copy's own.
    qint64 freedBytes() const { return m_freed; }
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
    QString notVerified() const;
    void replaceCopies(const QString& snapshot, qint64 newBytes);

    Vault* m_vault;
    Request m_request;
    AppUses m_uses;
    QPointer<MaterializeJob> m_materialize;
    Outcome m_outcome = Outcome::None;
    AppUses::Use m_use;
    qint64 m_extraBytes = 0;
    qint64 m_freed = 0;
    int m_replaced = 0;
    QStringList m_evicted;
};

} // namespace mf
