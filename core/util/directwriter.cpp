#include "directwriter.h"
#include "util/fileio.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace mf {

int DirectWriter::openDirect(const QByteArray& path)
{
    return ::open(path.constData(), O_WRONLY | O_DIRECT | O_CLOEXEC);
}

namespace {

// Staging buffers are up to a few MiB, and a restore makes one for every chunk it writes: handing
// them back and out again spares the page faults and zeroing of fresh memory on every chunk
// (perf of a cold restore: 5% of its CPU). At most SpareBytes stay allocated while unused.
class StagingPool final
{
public:
    static StagingPool& instance()
    {
        // Never destroyed: a writer may still give its buffer back while the process exits.
        static auto* pool = new StagingPool;
        return *pool;
    }

    char* take(qint64 size)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            for (auto it = m_spare.begin(); it != m_spare.end(); ++it) {
                if (it->size == size) {
                    char* p = it->data;
                    m_spareBytes -= size;
                    m_spare.erase(it);
                    return p;
                }
            }
        }
        void* p = nullptr;
        if (::posix_memalign(&p, size_t(DirectWriter::Alignment), size_t(size)) != 0)
            p = nullptr;
        Q_CHECK_PTR(p);
        return static_cast<char*>(p);
    }

    void give(char* data, qint64 size)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_spareBytes + size <= SpareBytes) {
                m_spare.push_back({data, size});
                m_spareBytes += size;
                return;
            }
        }
        std::free(data);
    }

private:
    static constexpr qint64 SpareBytes = 16 << 20;
    struct Spare
    {
        char* data;
        qint64 size;
    };
    std::mutex m_mutex;
    std::vector<Spare> m_spare;
    qint64 m_spareBytes = 0;
};

} // namespace

DirectWriter::DirectWriter(int bufferedFd, int directFd, qint64 startOffset, qint64 blockSize)
    : m_bufferedFd(bufferedFd)
    , m_directFd(directFd)
    , m_position(startOffset)
    , m_blockSize(blockSize)
{
    Q_ASSERT(blockSize > 0 && blockSize % Alignment == 0);
}

DirectWriter::~DirectWriter()
{
    if (m_buffer)
        StagingPool::instance().give(m_buffer, m_blockSize);
}

char* DirectWriter::buffer()
{
    // Taken when first needed: a writer given aligned memory (write(data, size)) needs none.
    if (!m_buffer)
        m_buffer = StagingPool::instance().take(m_blockSize);
    return m_buffer;
}

bool DirectWriter::write(qint64 size)
{
    return writeFrom(buffer(), size);
}

bool DirectWriter::write(const char* data, qint64 size)
{
    if (reinterpret_cast<quintptr>(data) % Alignment == 0)
        return writeFrom(data, size);
    for (qint64 done = 0; done < size;) {
        const qint64 n = qMin(m_blockSize, size - done);
        std::memcpy(buffer(), data + done, size_t(n));
        if (!writeFrom(m_buffer, n))
            return false;
        done += n;
    }
    return true;
}

bool DirectWriter::writeFrom(const char* data, qint64 size)
{
    qint64 direct = 0;
    if (m_directFd >= 0 && m_position % Alignment == 0)
        direct = size - size % Alignment;
    if (direct > 0 && !pwriteAll(m_directFd, data, direct, m_position)) {
        if (errno != EINVAL)
            return false;
        // Accepted at open, refused for this write: write through the page cache from now on.
        m_directFd = -1;
        direct = 0;
    }
    if (direct < size &&
        !pwriteAll(m_bufferedFd, data + direct, size - direct, m_position + direct))
        return false;
    m_position += size;
    return true;
}

} // namespace mf
