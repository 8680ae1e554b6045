// Leaks on purpose. Run under the asan preset with the project's LeakSanitizer suppressions, it
// must still be reported: the suppressions cover third-party libraries, never our code.
#include <cstdio>
#include <cstring>

namespace {
char* volatile g_keep = nullptr;
}

int main()
{
    char* leaked = new char[4096];
    std::memset(leaked, 1, 4096);
    g_keep = leaked;
    g_keep = nullptr; // the only pointer is gone: a direct leak
    std::puts("leaked 4096 bytes");
    return 0;
}
