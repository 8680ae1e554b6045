#include "progressmeter.h"

#include <cmath>
#include <limits>

namespace mf {

namespace {
constexpr qint64 SampleIntervalMs = 250; // samples are kept at most this often
constexpr qint64 TrustAfterMs = 1500;    // no ETA before this much time has passed
} // namespace

void ProgressMeter::update(qint64 done)
{
    if (!m_clock.isValid())
        m_clock.start();
    update(done, m_clock.elapsed());
}

void ProgressMeter::update(qint64 done, qint64 nowMs)
{
    if (m_startMs < 0) {
        m_startMs = m_lastChangeMs = nowMs;
        m_done = done;
        m_samples = {{nowMs, done}};
        return;
    }
    if (!m_moved) {
        // The wait before the first bytes move (connecting, reading, hashing the first chunk)
        // is no speed: measured from the start, a float whose 23-byte config.json was stored
        // first said "7.2 B/s" for as long as its first big chunk took. The window starts
        // where bytes first moved.
        m_moved = done != m_done;
        if (m_moved)
            m_lastChangeMs = nowMs;
        m_done = done;
        m_samples = {{nowMs, done}};
        return;
    }
    if (done != m_done)
        m_lastChangeMs = nowMs;
    m_done = done;
    if (done < m_samples.back().done) {
        // The count went backwards (a chunk is retried from its start): measure from here, and
        // keep the rate we had instead of blending in a negative speed.
        m_samples = {{nowMs, done}};
        return;
    }
    if (nowMs - m_samples.back().ms < SampleIntervalMs)
        return;
    m_samples.push_back({nowMs, done});
    // At most WindowMs / SampleIntervalMs + 2 samples are kept.
    while (m_samples.size() > 2 && m_samples[1].ms <= nowMs - WindowMs)
        m_samples.pop_front();
    // Nothing moved in the whole window: the rate is unknown, and so is the time left.
    if (nowMs - m_lastChangeMs >= WindowMs) {
        m_rate = 0;
        return;
    }
    const Sample& first = m_samples.front();
    m_rate = double(done - first.done) * 1000.0 / double(nowMs - first.ms);
}

qint64 ProgressMeter::etaSeconds() const
{
    if (m_total <= 0 || m_rate <= 1.0 || m_samples.empty() ||
        m_samples.back().ms - m_startMs < TrustAfterMs)
        return -1;
    const double eta = std::ceil(double(qMax<qint64>(0, m_total - m_done)) / m_rate);
    return eta > double(MaxEtaSeconds) ? -1 : qint64(eta);
}

int ProgressMeter::permille() const
{
    if (m_total <= 0 || m_done >= m_total)
        return 1000;
    if (m_done <= 0)
        return 0;
    if (m_done <= std::numeric_limits<qint64>::max() / 1000)
        return int(m_done * 1000 / m_total);
    // Beyond exact integer range; never 1000 while bytes remain.
    return qMin(999, int(double(m_done) * 1000.0 / double(m_total)));
}

} // namespace mf
