#include "concurrencygovernor.h"

#include "util/monotonicclock.h"

namespace mf {

ConcurrencyGovernor::ConcurrencyGovernor(int ceiling, Clock clock)
    : m_clock(monotonicClockOr(std::move(clock)))
    , m_ceiling(qMax(1, ceiling))
    , m_limit(qMin(Start, m_ceiling))
{
    m_lastMs = m_clock();
}

void ConcurrencyGovernor::setActive(int active)
{
    advance(0);
    m_active = qMax(0, active);
}

void ConcurrencyGovernor::transferred(qint64 bytes)
{
    advance(qMax<qint64>(0, bytes));
}

void ConcurrencyGovernor::serverBusy()
{
    advance(0);
    const qint64 now = m_clock();
    // The requests running when the server got overloaded all hear about it at about the same
    // time: one halving answers them all.
    if (m_lastBusyMs >= 0 && now - m_lastBusyMs < QuietMs)
        return;
    m_lastBusyMs = now;
    m_probing = false;
    m_hold = HoldWindows;
    setLimit(qMax(1, m_limit / 2));
}

void ConcurrencyGovernor::advance(qint64 bytes)
{
    const qint64 now = m_clock();
    if (m_active >= m_limit) {
        m_windowMs += qMax<qint64>(0, now - m_lastMs);
        m_windowBytes += bytes; // they moved during the time just counted
    }
    m_lastMs = now;
    if (m_windowMs < WindowMs)
        return;
    const double rate = double(m_windowBytes) * 1000.0 / double(m_windowMs);
    m_windowMs = 0;
    m_windowBytes = 0;
    measured(rate);
}

void ConcurrencyGovernor::measured(double bytesPerSecond)
{
    if (m_probing) {
        m_probing = false;
        if (bytesPerSecond < m_baseRate * (1 + GainToKeep)) {
            // The last raise did not pay: the link or the server was already full.
            setLimit(m_limit - 1);
            m_hold = HoldWindows;
            return;
        }
    }
    if (m_hold > 0) {
        --m_hold;
        return;
    }
    if (m_limit < m_ceiling) {
        m_baseRate = bytesPerSecond;
        setLimit(m_limit + 1);
        m_probing = true;
    }
}

void ConcurrencyGovernor::setLimit(int limit)
{
    m_limit = qBound(1, limit, m_ceiling);
    // A measurement is of one limit only.
    m_windowMs = 0;
    m_windowBytes = 0;
}

} // namespace mf
