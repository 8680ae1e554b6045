#include "alignedbuffers.h"

#include <cstdlib>
#include <mutex>
#include <vector>

namespace mf::alignedbuffers {

namespace {

struct Spare
{
    char* data;
    qint64 size;
};

class Pool final
{
public:
    static Pool& instance()
    {
        // Never destroyed: a buffer may still be given back while the process exits.
        static auto* pool = new Pool;
        return *pool;
    }

    char* take(qint64 size)
    {
        Q_ASSERT(size > 0 && size % Alignment == 0);
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            // Newest first: the buffer given back last is the likeliest still in the CPU's cache.
            for (auto it = m_spare.rbegin(); it != m_spare.rend(); ++it) {
                if (it->size == size) {
                    char* p = it->data;
                    m_spareBytes -= size;
                    m_spare.erase(std::next(it).base());
                    return p;
                }
            }
        }
        void* p = nullptr;
        if (::posix_memalign(&p, size_t(Alignment), size_t(size)) != 0)
            p = nullptr;
        Q_CHECK_PTR(p);
        return static_cast<char*>(p);
    }

    void give(char* data, qint64 size)
    {
        if (!data)
            return;
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

    qint64 spareBytes()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_spareBytes;
    }

private:
    std::mutex m_mutex;
    std::vector<Spare> m_spare;
    qint64 m_spareBytes = 0;
};

} // namespace

char* take(qint64 size)
{
    return Pool::instance().take(size);
}

void give(char* data, qint64 size)
{
    Pool::instance().give(data, size);
}

Shared takeShared(qint64 size)
{
    return Shared(take(size), [size](char* data) { give(data, size); });
}

qint64 spareBytes()
{
    return Pool::instance().spareBytes();
}

} // namespace mf::alignedbuffers
