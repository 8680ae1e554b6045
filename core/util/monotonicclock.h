#pragma once

#include <QElapsedTimer>

#include <functional>
#include <memory>

namespace mf {

// Milliseconds from a fixed origin, never going back. Classes that measure time take one so
// that their tests can move it by hand; `clock` itself when given, otherwise a real one.
inline std::function<qint64()> monotonicClockOr(std::function<qint64()> clock)
{
    if (clock)
        return clock;
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    return [timer] { return timer->elapsed(); };
}

} // namespace mf
