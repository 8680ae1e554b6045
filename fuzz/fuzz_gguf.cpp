// libFuzzer target: the GGUF header reader on arbitrary bytes, as a whole file and as a stream
// prefix whose total size is larger. Any crash, sanitizer report, leak or allocation over
// -rss_limit_mb / -malloc_limit_mb is a finding.
#include "formats/bytesource.h"
#include "formats/ggufreader.h"
#include "formats/modelinspector.h"

#include <cstdint>

using namespace mf::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    {
        BytesSource whole(bytes);
        ParseError error;
        if (const auto h = readGgufHeader(whole, &error)) {
            summarizeGguf(*h);
            for (const GgufMetadataEntry& e : h->metadata)
                e.value.toJson(16);
        } else if (error.message.isEmpty()) {
            __builtin_trap(); // every failure must say why
        }
    }
    {
        // The same bytes as the start of a larger file (a Hub import inspecting a download).
        BytesSource prefix(bytes, qint64(size) * 2 + 4096);
        ParseError error;
        readGgufHeader(prefix, &error);
        if (error.kind == ParseError::Kind::NeedMore && error.needed <= qint64(size))
            __builtin_trap(); // asked for bytes it already had
    }
    return 0;
}
