#include "providerspeeds.h"

#include "util/monotonicclock.h"

#include <algorithm>
#include <limits>

namespace mf {

ProviderSpeeds::ProviderSpeeds(Clock clock)
    : m_clock(monotonicClockOr(std::move(clock)))
{}

void ProviderSpeeds::advance(Link& link, qint64 now, qint64 deliveredBytes)
{
    if (link.inFlight > 0)
        link.sampleBusyMs += qMax<qint64>(0, now - link.lastMs);
    link.lastMs = now;
    link.sampleBytes += deliveredBytes; // they arrived during the time just counted
    if (link.sampleBusyMs < SampleMs)
        return;
    const double sample = double(link.sampleBytes) * 1000.0 / double(link.sampleBusyMs);
    link.rate = link.rate < 0 ? sample : Smoothing * sample + (1 - Smoothing) * link.rate;
    link.sampleBytes = 0;
    link.sampleBusyMs = 0;
}

void ProviderSpeeds::fetchStarted(qint64 provider, qint64 bytes)
{
    Link& link = m_links[provider];
    advance(link, m_clock());
    ++link.inFlight;
    link.pendingBytes += qMax<qint64>(0, bytes);
}

void ProviderSpeeds::delivered(qint64 provider, qint64 bytes)
{
    Link& link = m_links[provider];
    advance(link, m_clock(), bytes);
    link.pendingBytes = qMax<qint64>(0, link.pendingBytes - bytes);
}

void ProviderSpeeds::fetchEnded(qint64 provider, qint64 bytes, qint64 deliveredBytes, bool failed)
{
    Link& link = m_links[provider];
    advance(link, m_clock());
    link.inFlight = qMax(0, link.inFlight - 1);
    link.pendingBytes =
        qMax<qint64>(0, link.pendingBytes - qMax<qint64>(0, bytes - deliveredBytes));
    if (link.inFlight == 0)
        link.pendingBytes = 0;
    if (failed) {
        ++link.failures;
    } else if (deliveredBytes > 0) {
        link.failures = 0;
        // A first measure as soon as one fetch ended: a fast link may need many fetches to fill
        // a sample, and until then it would look unmeasured.
        if (link.rate < 0 && link.sampleBusyMs > 0)
            link.rate = double(link.sampleBytes) * 1000.0 / double(link.sampleBusyMs);
    }
}

double ProviderSpeeds::currentRate(const Link& link, qint64 now) const
{
    qint64 busy = link.sampleBusyMs;
    if (link.inFlight > 0)
        busy += qMax<qint64>(0, now - link.lastMs);
    if (busy < SampleMs)
        return link.rate;
    // Busy for a whole sample and not yet sampled (nothing arrived meanwhile): what it delivered
    // in that time bounds its speed, down to nothing for a stalled link.
    const double open = double(link.sampleBytes) * 1000.0 / double(busy);
    return link.rate < 0 ? open : qMin(link.rate, open);
}

double ProviderSpeeds::rate(qint64 provider) const
{
    const auto it = m_links.constFind(provider);
    return it == m_links.cend() ? -1 : currentRate(*it, m_clock());
}

int ProviderSpeeds::inFlight(qint64 provider) const
{
    return m_links.value(provider).inFlight;
}

double ProviderSpeeds::expectedMs(qint64 provider, qint64 bytes) const
{
    const qint64 now = m_clock();
    const Link link = m_links.value(provider);
    double r = currentRate(link, now);
    if (r < 0) {
        if (link.inFlight == 0 && link.failures == 0)
            return 0; // never measured: probe it
        r = 0;
        for (auto it = m_links.cbegin(); it != m_links.cend(); ++it)
            r = qMax(r, currentRate(*it, now));
        if (r <= 0)
            r = 1; // nothing measured anywhere: rank by the bytes asked of each
    }
    if (r <= 0)
        return std::numeric_limits<double>::infinity();
    // Each failure in a row doubles the expected time, up to 32 times.
    const double penalty = double(1 << qMin(link.failures, 5));
    return double(link.pendingBytes + qMax<qint64>(0, bytes)) * 1000.0 / r * penalty;
}

} // namespace mf
