// libFuzzer target: ShardCodec::decode on shards a provider or a manifest could get wrong, and
// RedundancyScheme::parse on arbitrary text. A chunk made from the input is encoded, then the
// input edits the shards (drops, duplicates, relabels, flips and cuts bytes, swaps CIDs) before
// they are decoded. Traps when a refusal says nothing, when a decode of shards under their own
// indices and CIDs gives other bytes than the chunk, or when a scheme does not read back as
// itself.
#include "chunking/redundancyscheme.h"
#include "chunking/shardcodec.h"

#include <algorithm>
#include <cstdint>

using namespace mf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 4)
        return 0;
    QString why;
    const QString text = QString::fromLatin1(reinterpret_cast<const char*>(data),
                                             qsizetype(std::min<size_t>(size, 40)));
    if (const auto scheme = RedundancyScheme::parse(text, &why)) {
        if (RedundancyScheme::parse(scheme->toString()) != scheme)
            __builtin_trap();
    } else if (why.isEmpty()) {
        __builtin_trap();
    }

    // K and M from -1 to 32, so out-of-range schemes are tried too.
    const int k = int(data[0] % 34) - 1;
    const int m = int(data[1] % 34) - 1;
    ShardCodec::Error error;
    const auto codec = ShardCodec::make(k, m, &error);
    if (!codec) {
        if (error.message.isEmpty())
            __builtin_trap();
        return 0;
    }
    const qsizetype chunkSize = 1 + qsizetype((data[2] | (data[3] << 8)) % 4096);
    QByteArray chunk(chunkSize, Qt::Uninitialized);
    for (qsizetype i = 0; i < chunkSize; ++i)
        chunk[i] = char(data[size_t(i) % size] ^ quint8(i));
    const auto shards = codec->encode(chunk, &error);
    if (int(shards.size()) != k + m)
        __builtin_trap();

    auto given = shards;
    bool relabelled = false;
    qint64 claimedSize = chunkSize;
    for (size_t i = 4; i + 1 < size && !given.empty(); i += 2) {
        const quint8 arg = data[i + 1];
        auto& shard = given[arg % given.size()];
        switch (data[i] % 7) {
        case 0:
            given.erase(given.begin() + qsizetype(arg % given.size()));
            break;
        case 1:
            shard.index = int(arg) - 128;
            relabelled = true;
            break;
        case 2:
            if (!shard.bytes.isEmpty())
                shard.bytes[arg % shard.bytes.size()] ^= char(1 + (arg >> 4));
            break;
        case 3:
            shard.bytes.chop(1 + arg % 3);
            break;
        case 4:
            given.push_back(shard);
            break;
        case 5:
            // Another shard's CID under this index: with bytes edited to match it, a wrong shard
            // passes its check, which is why the caller checks the chunk's CID after decoding.
            shard.cid = shards[arg % shards.size()].cid;
            relabelled = true;
            break;
        default:
            claimedSize = chunkSize + int(arg) - 128;
            break;
        }
    }
    const auto decoded = codec->decode(given, claimedSize, &error);
    if (!decoded) {
        if (error.message.isEmpty() || error.problem == ShardCodec::Problem::None)
            __builtin_trap();
    } else if (!relabelled && claimedSize == chunkSize && *decoded != chunk) {
        // Shards that match their CIDs under their own indices can only give the chunk back.
        __builtin_trap();
    }
    return 0;
}
