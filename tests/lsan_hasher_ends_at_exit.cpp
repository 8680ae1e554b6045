// A thread that hashed and ends while the process exits (as a thread pool's worker joined by a
// static object's destructor does) must leak nothing. OpenSSL used to free its state in an exit
// handler that ran before such a thread ended, and LeakSanitizer then reported the thread's
// error state (904 bytes from CRYPTO_zalloc; tst_ui_quit failed so). Run under the asan preset,
// where a leak fails the process.
#include "chunking/sha256.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace {

std::mutex g_mutex;
std::condition_variable g_changed;
bool g_hashed = false;
bool g_exiting = false;
std::thread g_hasher;

// Registered before anything hashes, so it runs after any exit handler OpenSSL registers as it
// starts: the hasher ends after that handler, every time.
void endTheHasher()
{
    {
        const std::lock_guard lock(g_mutex);
        g_exiting = true;
    }
    g_changed.notify_all();
    g_hasher.join();
}

} // namespace

int main()
{
    std::atexit(endTheHasher);
    g_hasher = std::thread([] {
        const QByteArray digest = mf::Sha256::hash("modelfloat");
        std::unique_lock lock(g_mutex);
        g_hashed = digest.size() == mf::Sha256::DigestSize;
        g_changed.notify_all();
        g_changed.wait(lock, [] { return g_exiting; });
    });
    std::unique_lock lock(g_mutex);
    g_changed.wait(lock, [] { return g_hashed; });
    std::puts("hashed on a thread that ends as the process exits");
    return 0;
}
