#pragma once

#include <QByteArray>

#include <cstdlib>
#include <memory>

namespace mf {

// Reads a file through O_DIRECT where it can: the bytes go from the device straight into an
// aligned buffer, not through page-cache pages that would then have to be copied (on the virtual
// machines this runs on, that copy costs more than hashing). Reads at unaligned positions, and
// file systems that refuse O_DIRECT, use the ordinary descriptor.
class DirectReader final
{
public:
    static constexpr qint64 Alignment = 4096;
    static constexpr qint64 BlockSize = 1 << 20;

    static int openDirect(const QByteArray& path); // -1 where unsupported

    // Neither descriptor is owned. `directFd` may be -1.
    DirectReader(int bufferedFd, int directFd);
    ~DirectReader();
    Q_DISABLE_COPY_MOVE(DirectReader)

    // Reads up to `size` (<= BlockSize) bytes at `position` into buffer(). Returns the count,
    // 0 at end of file, -1 with errno set on failure.
    qint64 read(qint64 position, qint64 size);
    const char* buffer() const { return m_buffer.get() + m_skew; }

private:
    struct FreeDeleter
    {
        void operator()(char* p) const { std::free(p); }
    };
    int m_bufferedFd;
    int m_directFd;
    std::unique_ptr<char, FreeDeleter> m_buffer;
    qint64 m_skew = 0; // where the last read's first byte sits in m_buffer
};

} // namespace mf
