#include "progressmeter.h"

#include <cmath>
#include <limits>

namespace mf {

namespace {
constexpr qint64 SampleIntervalMs = 250; // rate samples are taken at most this often
constexpr double Smoothing = 0.3;        // weight of the newest sample in the moving average
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
        m_startMs = m_sampleMs = m_lastChangeMs = nowMs;
        m_sampleDone = m_done = done;
        return;
    }
    if (done != m_done)
        m_lastChangeMs = nowMs;
    if (done < m_sampleDone) {
        // The count went backwards (a chunk is retried from its start): measure from here, and
        // keep the rate we had instead of blending in a negative speed.
        m_done = m_sampleDone = done;
        m_sampleMs = nowMs;
        return;
    }
    m_done = done;
    const qint64 elapsed = nowMs - m_sampleMs;
    if (elapsed < SampleIntervalMs)
        return;
    const double sample = double(done - m_sampleDone) * 1000.0 / double(elapsed);
    // The first sample seeds the average; later ones are blended in so one slow or fast
    // interval does not make the ETA jump.
    m_rate = (m_sampleMs == m_startMs) ? sample : Smoothing * sample + (1 - Smoothing) * m_rate;
    m_sampleMs = nowMs;
    m_sampleDone = done;
}

qint64 ProgressMeter::etaSeconds() const
{
    if (m_total <= 0 || m_rate <= 1.0 || m_sampleMs - m_startMs < TrustAfterMs)
        return -1;
    return qint64(std::ceil(double(qMax<qint64>(0, m_total - m_done)) / m_rate));
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
