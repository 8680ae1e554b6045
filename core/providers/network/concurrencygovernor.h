#pragma once

#include <QtGlobal>

#include <functional>

namespace mf {

// How many requests a network provider runs at once, found by measuring instead of fixed per
// kind: a home NAS, an S3 bucket across the internet and Drive each do best at their own number,
// which also changes with the link and the server's load (docs/providers.md, "Concurrency").
//
// The limit starts low and is raised by one while each raise brings at least GainToKeep more
// throughput; a raise that brought less is taken back, and the limit holds there for HoldWindows
// measurements before it probes again. A server that says it is overloaded (429, 503, Drive's
// rate limits) halves the limit at once, at most once per QuietMs, and the limit then holds. The
// user's "concurrency" setting is the ceiling, never passed.
//
// Throughput is measured only while the provider is saturated (as many requests running as the
// limit allows): when fewer are asked for, the limit is not what holds it back, and those
// moments say nothing about it. One measurement is WindowMs of saturated time. One instance per
// provider, on the provider's thread.
class ConcurrencyGovernor final
{
    Q_DISABLE_COPY_MOVE(ConcurrencyGovernor)

public:
    static constexpr int Start = 2;
    static constexpr qint64 WindowMs = 1000;
    static constexpr double GainToKeep = 0.10;
    static constexpr int HoldWindows = 30;
    static constexpr qint64 QuietMs = 1000;

    using Clock = std::function<qint64()>; // monotonic milliseconds
    // `ceiling` >= 1; `clock` for tests (by default a monotonic clock).
    explicit ConcurrencyGovernor(int ceiling, Clock clock = {});

    int limit() const { return m_limit; }
    int ceiling() const { return m_ceiling; }

    // `active` requests run from now on.
    void setActive(int active);
    // The running requests moved `bytes` more (sent or received).
    void transferred(qint64 bytes);
    // The server answered that it is overloaded.
    void serverBusy();

private:
    // Brings the saturated time up to now, counting `bytes` moved meanwhile, and ends the
    // measurement when it is WindowMs long.
    void advance(qint64 bytes);
    void measured(double bytesPerSecond);
    void setLimit(int limit);

    Clock m_clock;
    int m_ceiling;
    int m_limit;
    int m_active = 0;
    qint64 m_lastMs = 0;
    qint64 m_windowMs = 0;
    qint64 m_windowBytes = 0;
    double m_baseRate = -1; // the rate at the limit before the raise being tried
    bool m_probing = false; // the limit was just raised and is being measured
    int m_hold = 0;         // measurements left before the next raise is tried
    qint64 m_lastBusyMs = -1;
};

} // namespace mf
