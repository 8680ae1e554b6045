// libFuzzer target: the streaming HeaderSniffer fed arbitrary bytes in pieces whose sizes come
// from the input itself; detection by name for both formats.
#include "formats/modelinspector.h"

#include <cstdint>

using namespace mf::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t piece = 1 + data[0] % 61;
    const bool gguf = data[1] & 1;
    const bool sizeKnown = data[1] & 2;
    data += 2;
    size -= 2;
    HeaderSniffer sniffer(gguf ? QStringLiteral("m.gguf") : QStringLiteral("m.safetensors"),
                          sizeKnown ? qint64(size) : -1);
    size_t at = 0;
    while (at < size &&
           sniffer.feed(reinterpret_cast<const char*>(data + at), qint64(qMin(piece, size - at))))
        at += piece;
    sniffer.finish();
    if (!sniffer.isDone())
        __builtin_trap();
    return 0;
}
