#pragma once

#include <QElapsedTimer>
#include <QtGlobal>

namespace mf {

// Progress maths for one transfer: a smoothed rate and an ETA that is only given once it can
// be trusted (enough time and bytes have passed to have a steady rate). Pure arithmetic, driven
// by the caller's clock so it can be tested without waiting.
class ProgressMeter final
{
public:
    void setTotal(qint64 totalBytes) { m_total = totalBytes; }
    // `done` is cumulative; `nowMs` a monotonic time in milliseconds.
    void update(qint64 done, qint64 nowMs);
    // Convenience for callers without their own clock.
    void update(qint64 done);

    qint64 done() const { return m_done; }
    qint64 total() const { return m_total; }
    double bytesPerSecond() const { return m_rate; }
    // Seconds left, or -1 when unknown or not yet trustworthy.
    qint64 etaSeconds() const;
    // 0..1000 per mille; 1000 for an empty total.
    int permille() const;
    // True when no byte moved for `ms` milliseconds (a stalled transfer).
    bool stalledFor(qint64 ms, qint64 nowMs) const { return nowMs - m_lastChangeMs >= ms; }

private:
    QElapsedTimer m_clock;
    qint64 m_total = 0;
    qint64 m_done = 0;
    qint64 m_startMs = -1;
    qint64 m_sampleMs = -1;
    qint64 m_sampleDone = 0;
    qint64 m_lastChangeMs = 0;
    double m_rate = 0.0;
};

} // namespace mf
