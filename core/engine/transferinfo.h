#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace mf {

// What the GUI shows of one transfer of the Engine's queue: a value copied to the GUI thread in
// queued signals, never shared.
struct TransferInfo
{
    enum class Kind { Float, Restore, Verify, Remove, Import, Materialize, Repair, Drain, Scrub };
    // Degraded: it succeeded but left a model with fewer copies than wanted (a provider could
    // not be reached); the warnings say which. Finished, like Done, never shown as Done.
    enum class State { Queued, Running, Paused, Done, Failed, Cancelled, Degraded };

    qint64 id = 0;
    Kind kind = Kind::Float;
    State state = State::Queued;
    QString title;      // "Float Llama-3-8B (2 files)", "Restore Mistral to ~/models"
    qint64 modelId = 0; // 0 until known
    qint64 doneBytes = 0, totalBytes = 0;
    double bytesPerSecond = 0; // smoothed
    qint64 etaSeconds = -1;    // -1 unknown
    QString error;             // readable, for Failed
    QString destination;       // restore: the folder it writes into
    qint64 sentBytes = 0;      // float: bytes sent to providers (all replicas), over all runs
    // What the user should know even when it succeeded: a provider skipped, fewer copies than
    // wanted, an object a removal left behind, a replica a restore found bad.
    QStringList warnings;
    QDateTime created, finished;
    // Queued, waiting for a paused provider (a daily cap, a transfer quota): the queue starts it
    // again at this time by itself. Invalid when it waits for nothing.
    QDateTime waitingUntil;
    // Running, but a provider's work is being retried after failures: which and why
    // ("“nextcloud”: … refused the connection"), and when the next try is. Empty: none is.
    QString retrying;
    QDateTime nextTry;
    // Started by the scheduler (background sync), not by the user.
    bool background = false;

    // Finished one way or another: nothing more will happen unless it is retried.
    bool isFinished() const
    {
        return state == State::Done || state == State::Failed || state == State::Cancelled ||
               state == State::Degraded;
    }
    static QString stateName(State state);
    static QString kindName(Kind kind);
};

} // namespace mf

Q_DECLARE_METATYPE(mf::TransferInfo)
