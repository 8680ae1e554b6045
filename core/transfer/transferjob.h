#pragma once

#include "providers/retrypolicy.h"
#include "util/error.h"

#include <QObject>
#include <QStringList>

namespace mf {

class Registry;

// What every transfer is (float, restore, verify, remove, import, materialize): started once,
// abortable at any time (safe twice, and before start), reporting progress and warnings, and
// ending with exactly one finished(), always delivered from the event loop (never from inside
// start() or abort()). The queue, the GUI, the CLI and the scheduler drive every kind through
// this one shape.
class TransferJob : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferJob)

public:
    ~TransferJob() override;

    virtual void start() = 0;
    // Stops as soon as it can; finished() follows with a Cancelled error (or the job's own end,
    // if it was already ending). Work done so far is kept: running it again resumes.
    virtual void abort() = 0;

    // Kind::None once it succeeded.
    virtual const Error& error() const = 0;
    // Bytes the transfer moves in all, and has moved; 0 where it has no byte count (a removal).
    virtual qint64 totalBytes() const { return 0; }
    virtual qint64 bytesDone() const { return 0; }
    // What it waits on while a provider's work is retried; empty when nothing is.
    virtual RetryWait retryWait() const { return {}; }
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

    // Records a warning (once per text) and emits warning().
    void addWarning(const QString& message);
    // Emits finished() from the event loop.
    void finishQueued();
    // After writing model `modelId`: if the registry marks it degraded, says so (a warning with
    // the number of chunks short of copies) and degraded() becomes true.
    void noteDegraded(Registry& registry, qint64 modelId);
    // It ends leaving chunks short of copies (its warnings say why).
    void markDegraded() { m_degraded = true; }

private:
    QStringList m_warnings;
    bool m_degraded = false;
};

} // namespace mf
