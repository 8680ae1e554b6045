#pragma once

#include "providers/retrypolicy.h"
#include "transferinfo.h"
#include "util/error.h"

#include <QObject>
#include <QString>
#include <QStringList>

namespace mf {

class Registry;

// Where a transfer stands, read at once (the queue polls it; the CLI prints it). A job fills in
// what it knows and leaves the rest at its default.
struct TransferProgress
{
    // Bytes the transfer moves in all, and has moved; 0 where it has no byte count (a removal).
    qint64 totalBytes = 0;
    qint64 bytesDone = 0;
    // Chunks it handles in all (-1: it does not count them ahead), and has handled.
    int chunksTotal = -1;
    int chunksDone = 0;
    // Provider requests tried again in this run.
    int retries = 0;
    // What it is doing now, in words ("Reading, hashing and sending “x.gguf”"); empty: nothing
    // worth saying.
    QString stage;
    // What it waits on while a provider's work is retried; empty when nothing is.
    RetryWait retryWait;
    // A transfer of several files: each one's progress (see TransferInfo::files).
    QList<TransferFileProgress> files;
};

// What every transfer is (float, restore, verify, remove, import, materialize, scrub, repair,
// drain, catalog sync and publish, recovery): started once, abortable at any time (safe twice,
// and before start), reporting progress and warnings, and ending with exactly one finished(),
// always delivered from the event loop (never from inside start() or abort()). The queue, the
// GUI, the CLI and the scheduler drive every kind through this one shape.
//
// The base owns that lifecycle, as ProviderJob does for provider operations; a job kind only
// says what it does. Writing one:
//  - derive from TransferJob and implement doStart() (begin the work; it may end at once by
//    calling finish()) and doAbort() (stop the work in flight; finish() is called when it has
//    stopped, usually with a Cancelled error, from the handler of whatever was running);
//  - call finish(error) when the work ends (Error::none() on success). Only the first call
//    counts; later ones are ignored, so a handler that arrives after the end needs no flag;
//  - release what the job holds when it ends (a lease, a timer, scratch areas) in ending(), which
//    runs once, inside the first finish();
//  - report progress() and fill progressNow() with what the job counts; warnings go through
//    addWarning(). Inner jobs it runs are TransferJobs or ProviderJobs too: their finished()
//    arrives queued, never inside their start() or abort().
// Delete a job only after finished() (deleteLater()), or destroy it whole when the app quits.
class TransferJob : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferJob)

public:
    ~TransferJob() override;

    // Begins the work; a second call is ignored, and so is a call after the job ended (aborted
    // before it started).
    void start();
    // Stops as soon as it can; finished() follows with a Cancelled error (or the job's own end,
    // if it was already ending). Work done so far is kept: running it again resumes. Safe twice;
    // before start() it ends the job at once (Cancelled, delivered queued).
    void abort();

    bool isStarted() const { return m_started; }
    // abort() was called (the job may still be stopping).
    bool isAborting() const { return m_abortRequested; }
    bool isFinished() const { return m_finished; }
    // What it ended with; Kind::None while it runs and once it succeeded.
    const Error& error() const { return m_error; }

    virtual TransferProgress progressNow() const { return {}; }
    // What it did, in one sentence, once it succeeded, where the kind has more to say than
    // "done" (a use in an app: how the app got the model and the disk that saved); empty else.
    virtual QString summary() const { return {}; }
    // What the user should know even when it succeeded (a provider skipped, fewer copies than
    // wanted, an object left behind), in the order they happened.
    const QStringList& warnings() const { return m_warnings; }
    // It succeeded, but left a model with fewer copies than the vault wants (a provider could
    // not be reached): restorable, not healthy. The queue reports it as such, never as "done".
    bool degraded() const { return m_degraded; }

Q_SIGNALS:
    void progress();
    void warning(const QString& message);
    void finished();

protected:
    explicit TransferJob(QObject* parent = nullptr);

    virtual void doStart() = 0;
    // Called once, only while the job runs (started, not finished).
    virtual void doAbort() = 0;
    // Ends the job with `error` (Error::none() on success): stores it, runs ending(), and emits
    // finished() from the event loop. Only the first call counts.
    void finish(Error error);
    // Runs once, inside the first finish(), before finished() is queued: what the job lets go of
    // when it ends. It may replace `error` (a float that lost its model's lease says so).
    virtual void ending(Error& error) { Q_UNUSED(error) }

    // Records a warning (once per text) and emits warning().
    void addWarning(const QString& message);
    // After writing model `modelId`: if the registry marks it degraded, says so (a warning with
    // the number of chunks short of copies) and degraded() becomes true.
    void noteDegraded(Registry& registry, qint64 modelId);
    // It ends leaving chunks short of copies (its warnings say why).
    void markDegraded() { m_degraded = true; }

private:
    QStringList m_warnings;
    Error m_error;
    bool m_degraded = false;
    bool m_started = false;
    bool m_abortRequested = false;
    bool m_finished = false;
};

} // namespace mf
