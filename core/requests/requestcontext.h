#pragma once

#include <QString>

class QNetworkAccessManager;
class QObject;

namespace mf {

class HubClient;
class TransferJob;

// What a request's makeJob() needs besides the vault and its own fields: where the job runs,
// and what the queue knows of earlier runs.
struct JobContext
{
    QObject* parent = nullptr;
    // It ran before: a removal past its registry step goes on with the deletions it left; a
    // plain materialize finds the files its first run wrote.
    bool resumed = false;
    // Started by the scheduler (a repair then follows its own scrub instead of checking first).
    bool background = false;
    QNetworkAccessManager* network = nullptr; // Hugging Face imports
    QString hubToken;                         // Hugging Face imports; empty: anonymous
    // Hugging Face imports: a client the caller set up itself (the CLI's --endpoint, --offline,
    // HF_TOKEN), kept by the caller while the job runs; null: one made from the vault's
    // settings, `network` and `hubToken`.
    HubClient* hubClient = nullptr;
};

// What makeJob() made: `job` is what runs and is started (a CatalogGuard around the work for
// kinds that write models, docs/catalog.md); `work` is the work itself (the FloatJob, ...), the
// same as `job` when there is no guard. Both null when it cannot run: `error` says why.
struct MadeJob
{
    TransferJob* job = nullptr;
    TransferJob* work = nullptr;
    QString error;
};

} // namespace mf
