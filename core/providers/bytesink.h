#pragma once

#include <QString>

namespace mf {

// Receives the bytes of a get, in order. An adapter may call it from a worker thread, but never
// from two threads at once and never after its job has finished.
class ByteSink
{
public:
    virtual ~ByteSink() = default;
    // Returns false to stop the transfer; errorString() says why.
    virtual bool write(const char* data, qint64 size) = 0;
    virtual QString errorString() const = 0;
};

} // namespace mf
