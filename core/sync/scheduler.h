#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>

namespace mf {

class PowerState;
class Registry;

// The background sync of the desktop app, on the engine thread: it decides *when* periodic
// work runs — the catalog's sync, scrub, repair, drains, and whatever else registers a task
// — and hands each run to the engine's queue as a background transfer, one at a time, so it is
// visible, pausable and persisted like any other transfer. It never runs work itself and never
// waits: a timer looks every tickMs() (and at once when something changed, poke()) and starts
// the first task that is due.
//
// Heavy tasks (those that move many bytes) wait while the network is metered or the computer is
// on battery, unless the user allows it; paused, nothing starts, and a running background
// transfer is stopped (it resumes where it was when sync resumes). When each task last started
// is kept in the vault's settings ("sync.<key>.last"), so intervals hold across restarts.
class Scheduler final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Scheduler)

public:
    struct Task
    {
        QString key;   // unique: "catalog.sync", "drain", "repair", "scrub.check", "scrub.read"
        QString title; // shown in the transfer list
        bool heavy = false;
        // Whether it should run now, given the seconds since it last started (-1: never). The
        // task reads what it needs (its settings, the registry); the scheduler adds pause, power
        // and "one at a time".
        std::function<bool(qint64 secondsSinceLastStart)> due;
    };

    // Starts a transfer for the task; its transfer id, or 0 when there was nothing to start or
    // what started is light work that is not a transfer (the catalog's sync) and holds nothing up.
    using Launcher = std::function<qint64(const Task& task)>;
    // Seconds since the epoch; injectable for tests.
    using Clock = std::function<qint64()>;

    explicit Scheduler(QObject* parent = nullptr);
    ~Scheduler() override;

    // The registry that keeps the last start times (the engine's connection). Null: none kept.
    void setRegistry(Registry* registry) { m_registry = registry; }
    void setLauncher(Launcher launcher) { m_launcher = std::move(launcher); }
    void setPowerState(PowerState* power);
    void setClock(Clock clock) { m_clock = std::move(clock); }
    // The place for periodic work: tasks are looked at in the order they were added.
    void addTask(Task task);
    QStringList taskKeys() const;

    void setTickMs(int ms);
    int tickMs() const { return m_timer.interval(); }
    // Starts looking (after the vault opened); stop() before the vault closes.
    void start();
    void stop();

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    void setAllowMetered(bool allow);
    void setAllowBattery(bool allow);
    // Why heavy work waits now ("metered network", "on battery"); empty when it does not.
    QString deferReason() const;

    // Something changed (a provider came back, a model degraded): look again soon.
    void poke();
    // Runs the task `key` at the next look whether or not it is due ("Check everything now"),
    // still one background transfer at a time and within the pause and power rules.
    void runNow(const QString& key);
    // When the task `key` last started, in seconds since the epoch; -1: never (or no registry).
    qint64 lastStart(const QString& key) const;
    // The engine: the transfer the scheduler started has finished (or was removed).
    void transferFinished(qint64 transferId);
    qint64 runningTransfer() const { return m_running; }
    QString runningTask() const { return m_runningKey; }

Q_SIGNALS:
    // The running background transfer must stop (paused, or heavy work is deferred now); the
    // engine pauses it, and it resumes once allowed.
    void stopRequested(qint64 transferId);
    // A background transfer was started or finished, or the pause or power state changed.
    void statusChanged();

private:
    void tick();
    void recordStart(const QString& key);
    bool heavyAllowed() const;

    Registry* m_registry = nullptr;
    Launcher m_launcher;
    PowerState* m_power = nullptr;
    Clock m_clock;
    QList<Task> m_tasks;
    QTimer m_timer;
    bool m_started = false;
    bool m_paused = false;
    bool m_allowMetered = false;
    bool m_allowBattery = false;
    bool m_tickQueued = false;
    qint64 m_running = 0; // the background transfer started last, while it runs
    QString m_runningKey;
    QStringList m_runNow; // tasks asked to run at once
    bool m_runningHeavy = false;
};

} // namespace mf
