#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace mf {

// One file of a transfer of several (a float of a folder): how far it is.
struct TransferFileProgress
{
    QString path; // in the model
    qint64 doneBytes = 0, totalBytes = 0;
    bool operator==(const TransferFileProgress& o) const
    {
        return path == o.path && doneBytes == o.doneBytes && totalBytes == o.totalBytes;
    }
};

// What the GUI shows of one transfer of the Engine's queue: a value copied to the GUI thread in
// queued signals, never shared.
struct TransferInfo
{
    enum class Kind {
        Float,
        Restore,
        Verify,
        Remove,
        Import,
        Materialize,
        Repair,
        Drain,
        Scrub,
        Offload,  // free this computer of a model (core/offload)
        Pin,      // keep a model on this computer
        UseInApp, // put a model in another app's store, or take it out (core/appstores)
        Convert,  // a model from one redundancy scheme to another (docs/erasure.md)
    };
    // Degraded: it succeeded but left a model with fewer copies than wanted (a provider could
    // not be reached); the warnings say which. Finished, like Done, never shown as Done.
    enum class State { Queued, Running, Paused, Done, Failed, Cancelled, Degraded };

    qint64 id = 0;
    Kind kind = Kind::Float;
    State state = State::Queued;
    QString title;      // "Float Llama-3-8B (2 files)", "Restore Mistral to ~/models"
    QString modelName;  // a float's or an import's model, as named (a question names it)
    qint64 modelId = 0; // 0 until known
    qint64 doneBytes = 0, totalBytes = 0;
    double bytesPerSecond = 0; // smoothed
    qint64 etaSeconds = -1;    // -1 unknown
    QString error;             // readable, for Failed
    QString summary;           // what it did, in words, for Done (TransferJob::summary())
    QString destination;       // restore: the folder it writes into
    qint64 sentBytes = 0;      // float: bytes sent to providers (all replicas), over all runs
    // What the user should know even when it succeeded: a provider skipped, fewer copies than
    // wanted, an object a removal left behind, a replica a restore found bad.
    QStringList warnings;
    QDateTime created, finished;
    // History: when it first ran (invalid: never), how long it ran over all its runs (a pause
    // or a restart does not count), and for a float the bytes it did not send because they were
    // already stored (deduplicated).
    QDateTime started;
    qint64 activeMs = 0;
    qint64 deduplicatedBytes = 0;
    // Details (the Transfers page's panel): the providers it uses, by name (a float: those it
    // may place copies on, then those holding them; the others: those holding the model's
    // copies); chunks done of total (-1: not known, such as a float's total before its files
    // are read); provider requests tried again after failures; what it is doing now, in words
    // (empty when it is not running).
    QStringList providers;
    int chunksDone = -1, chunksTotal = -1;
    int retries = 0;
    QString stage;
    // A float of several files: each file's progress, in the order they are floated (empty:
    // one file, or more than a list can show; the stage names the file at work).
    QList<TransferFileProgress> files;
    // Queued, waiting for a paused provider (a daily cap, a transfer quota): the queue starts it
    // again at this time by itself. Invalid when it waits for nothing.
    QDateTime waitingUntil;
    // Running, but a provider's work is being retried after failures: which and why
    // ("“nextcloud”: … refused the connection"), and when the next try is. Empty: none is.
    QString retrying;
    QDateTime nextTry;
    // Started by the scheduler (background sync), not by the user.
    bool background = false;
    // Finished in an earlier run of the app: read back from the vault's history when it
    // opened (nothing to announce again).
    bool fromHistory = false;

    // Finished one way or another: nothing more will happen unless it is retried.
    bool isFinished() const
    {
        return state == State::Done || state == State::Failed || state == State::Cancelled ||
               state == State::Degraded;
    }
    // Over its running time; 0 when it never ran.
    double averageBytesPerSecond() const
    {
        return activeMs > 0 ? double(doneBytes) * 1000.0 / double(activeMs) : 0.0;
    }
    static QString stateName(State state);
    static QString kindName(Kind kind);
    // What a running transfer of this kind does, when its job says nothing more precise.
    static QString stageName(Kind kind);
};

} // namespace mf

Q_DECLARE_METATYPE(mf::TransferInfo)
