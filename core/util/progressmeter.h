#pragma once

#include <QElapsedTimer>
#include <QtGlobal>

#include <deque>

namespace mf {

// Progress maths for one transfer: a rate measured over a window of the last seconds and an
// ETA that is only given once it can be trusted (enough time has passed, bytes moved recently,
// and the answer is not absurdly far away). Pure arithmetic, driven by the caller's clock so it
// can be tested without waiting.
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
    // Bytes per second over the window, which starts once bytes first moved; 0 when nothing
    // moved in it (unknown, not "7.8 B/s").
    double bytesPerSecond() const { return m_rate; }
    // Seconds left, or -1 when unknown, not yet trustworthy, or beyond MaxEtaSeconds.
    qint64 etaSeconds() const;
    // 0..1000 per mille; 1000 for an empty total.
    int permille() const;
    // True when no byte moved for `ms` milliseconds (a stalled transfer).
    bool stalledFor(qint64 ms, qint64 nowMs) const { return nowMs - m_lastChangeMs >= ms; }

    // The rate is bytes over this long. Under a bandwidth limit bytes arrive in bursts (a chunk
    // at a time, seconds apart): a window spanning several bursts keeps the ETA steady where a
    // sub-second average swung from minutes to thousands of hours.
    static constexpr qint64 WindowMs = 20'000;
    // An ETA past this says nothing useful ("8572:06:32 left"): none is given.
    static constexpr qint64 MaxEtaSeconds = 7 * 24 * 3600;

private:
    struct Sample
    {
        qint64 ms;
        qint64 done;
    };
    QElapsedTimer m_clock;
    qint64 m_total = 0;
    qint64 m_done = 0;
    qint64 m_startMs = -1;
    qint64 m_lastChangeMs = 0;
    bool m_moved = false; // bytes have moved since the first update
    // Oldest first; the first one is at or before the window's start, so the window is full.
    std::deque<Sample> m_samples;
    double m_rate = 0.0;
};

} // namespace mf
