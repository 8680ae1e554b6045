#include "scheduler.h"

#include "powerstate.h"
#include "registry/registry.h"

#include <QDateTime>

namespace mf {

namespace {
constexpr int DefaultTickMs = 30000;
QString lastKey(const QString& key)
{
    return QStringLiteral("sync.%1.last").arg(key);
}
} // namespace

Scheduler::Scheduler(QObject* parent)
    : QObject(parent)
    , m_clock([] { return QDateTime::currentSecsSinceEpoch(); })
    , m_timer(this)
{
    m_timer.setInterval(DefaultTickMs);
    connect(&m_timer, &QTimer::timeout, this, &Scheduler::tick);
}

Scheduler::~Scheduler() = default;

void Scheduler::setPowerState(PowerState* power)
{
    if (m_power)
        m_power->disconnect(this);
    m_power = power;
    if (!m_power)
        return;
    connect(m_power, &PowerState::changed, this, [this] {
        // Deferred now: the heavy transfer running stops, and resumes when allowed.
        if (m_running && m_runningHeavy && !heavyAllowed())
            Q_EMIT stopRequested(m_running);
        Q_EMIT statusChanged();
        poke();
    });
}

void Scheduler::addTask(Task task)
{
    m_tasks.append(std::move(task));
    poke();
}

QStringList Scheduler::taskKeys() const
{
    QStringList keys;
    for (const Task& t : m_tasks)
        keys.append(t.key);
    return keys;
}

void Scheduler::setTickMs(int ms)
{
    m_timer.setInterval(qMax(10, ms));
}

void Scheduler::start()
{
    m_started = true;
    m_timer.start();
    poke();
}

void Scheduler::stop()
{
    m_started = false;
    m_timer.stop();
    m_running = 0;
    m_runningKey.clear();
}

void Scheduler::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (paused && m_running)
        Q_EMIT stopRequested(m_running);
    Q_EMIT statusChanged();
    poke();
}

void Scheduler::setAllowMetered(bool allow)
{
    m_allowMetered = allow;
    poke();
}

void Scheduler::setAllowBattery(bool allow)
{
    m_allowBattery = allow;
    poke();
}

QString Scheduler::deferReason() const
{
    if (!m_power)
        return {};
    if (m_power->metered() && !m_allowMetered)
        return tr("metered network");
    if (m_power->onBattery() && !m_allowBattery)
        return tr("on battery");
    return {};
}

bool Scheduler::heavyAllowed() const
{
    return deferReason().isEmpty();
}

void Scheduler::poke()
{
    if (m_tickQueued || !m_started)
        return;
    m_tickQueued = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_tickQueued = false;
            tick();
        },
        Qt::QueuedConnection);
}

void Scheduler::runNow(const QString& key)
{
    if (!m_runNow.contains(key))
        m_runNow.append(key);
    poke();
}

void Scheduler::transferFinished(qint64 transferId)
{
    if (transferId == 0 || transferId != m_running)
        return;
    m_running = 0;
    m_runningKey.clear();
    Q_EMIT statusChanged();
    poke();
}

qint64 Scheduler::lastStart(const QString& key) const
{
    if (!m_registry)
        return -1;
    bool ok = false;
    const qint64 last = m_registry->settings().setting(lastKey(key)).toLongLong(&ok);
    return ok ? last : -1;
}

void Scheduler::recordStart(const QString& key)
{
    if (m_registry)
        m_registry->settings().setSetting(lastKey(key), QString::number(m_clock()));
}

void Scheduler::tick()
{
    if (!m_started || m_paused || m_running || !m_launcher)
        return;
    const qint64 now = m_clock();
    for (const Task& task : std::as_const(m_tasks)) {
        if (task.heavy && !heavyAllowed())
            continue;
        const qint64 last = lastStart(task.key);
        const qint64 since = last < 0 ? -1 : qMax<qint64>(0, now - last);
        const bool asked = m_runNow.contains(task.key);
        if (!asked && task.due && !task.due(since))
            continue;
        m_runNow.removeAll(task.key);
        recordStart(task.key);
        const qint64 id = m_launcher(task);
        if (id == 0)
            continue; // nothing to do after all
        m_running = id;
        m_runningKey = task.key;
        m_runningHeavy = task.heavy;
        Q_EMIT statusChanged();
        return;
    }
}

} // namespace mf
