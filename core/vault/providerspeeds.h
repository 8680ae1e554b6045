#pragma once

#include <QHash>
#include <QtGlobal>

#include <functional>

namespace mf {

// How fast each provider delivers right now, measured from the fetches themselves, so that a
// restore asks each chunk of whichever replica will deliver it soonest and spreads its work
// across every provider that holds copies (swarming).
//
// A provider's speed is its link's: the bytes all its fetches delivered per second during which
// it had at least one fetch in flight, sampled every SampleMs of such busy time and smoothed
// (exponentially weighted moving average, so that it follows a link that slows down or speeds
// up within a few samples). A provider that stops delivering is seen before its next sample:
// the open sample's rate counts once it is SampleMs old. Failures make a provider look slower
// until it delivers again. The vault keeps one for fetches and one for puts (Vault::speeds(),
// uploadSpeeds()): a put is "fetched" to the provider, its sent bytes "delivered". Used on the
// vault's thread.
class ProviderSpeeds final
{
    Q_DISABLE_COPY_MOVE(ProviderSpeeds)

public:
    static constexpr qint64 SampleMs = 200;
    static constexpr double Smoothing = 0.5; // weight of a new sample

    using Clock = std::function<qint64()>; // monotonic milliseconds
    // `clock` for tests; by default a monotonic clock.
    explicit ProviderSpeeds(Clock clock = {});

    // A fetch of `bytes` bytes from `provider` is in flight from now on.
    void fetchStarted(qint64 provider, qint64 bytes);
    // In-flight fetches of `provider` delivered `bytes` more.
    void delivered(qint64 provider, qint64 bytes);
    // A fetch of `bytes` that delivered `deliveredBytes` of them ended; `failed`: with an error
    // of the provider (not a cancel).
    void fetchEnded(qint64 provider, qint64 bytes, qint64 deliveredBytes, bool failed);

    // Bytes per second, -1 when not measured yet.
    double rate(qint64 provider) const;
    int inFlight(qint64 provider) const;
    // Milliseconds before a new fetch of `bytes` from `provider` would end, behind the bytes
    // already asked of it. 0 for a provider never measured, idle and not failing: it gets
    // probed first (among equals, the caller's first).
    // Unmeasured but busy providers are assumed as fast as the fastest measured one.
    double expectedMs(qint64 provider, qint64 bytes) const;

private:
    struct Link
    {
        int inFlight = 0;
        qint64 pendingBytes = 0; // asked for and not delivered yet
        double rate = -1;        // smoothed bytes per second
        qint64 sampleBytes = 0;
        qint64 sampleBusyMs = 0;
        qint64 lastMs = 0; // when the busy time was last brought up to date
        int failures = 0;  // in a row
    };
    // Brings the busy time up to `now`, counts the bytes delivered meanwhile, and takes a
    // sample if one is due.
    void advance(Link& link, qint64 now, qint64 deliveredBytes = 0);
    // The rate as of now, counting the open sample once it is old enough.
    double currentRate(const Link& link, qint64 now) const;

    Clock m_clock;
    QHash<qint64, Link> m_links;
};

} // namespace mf
