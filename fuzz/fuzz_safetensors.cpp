// libFuzzer target: the safetensors header reader on arbitrary bytes (whole file and prefix).
#include "formats/bytesource.h"
#include "formats/modelinspector.h"
#include "formats/safetensorsreader.h"

#include <cstdint>

using namespace mf::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    BytesSource whole(bytes);
    ParseError error;
    if (const auto h = readSafetensorsHeader(whole, &error))
        summarizeSafetensors(*h);
    else if (error.message.isEmpty())
        __builtin_trap();
    BytesSource prefix(bytes, -1);
    readSafetensorsHeader(prefix, &error);
    return 0;
}
