// ISA-L's Reed–Solomon through ShardCodec, on one core: how fast a chunk of the vault's size is
// split into K data + M parity shards (encode) and rebuilt from K of them (decode), for 4+2,
// 6+3 and 10+4. Decode loses the first M data shards, the worst case: every lost data shard is
// computed. Shard CIDs are part of both (a shard is always named and checked by its CID), so
// the figures are given with them, as the engine will pay them, and without them (the coding
// alone: the same run less the time of the shards' SHA-256, measured apart).
//
// Usage: bench_erasurecodec [chunk-size-in-MiB, default 8: the default chunker's average]
//        [rounds, default 48]
// Figures are GB/s (10^9 bytes of chunk per second) of thread CPU time, best of three runs of
// `rounds` chunks each, so a loaded machine shows the codec's cost rather than the scheduler's.

#include "chunking/chunkerparams.h"
#include "chunking/cid.h"
#include "chunking/shardcodec.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QRandomGenerator>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>

using namespace mf;

namespace {

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// The best rate of three runs of `rounds` calls of `work`, in GB of chunk per second.
double bestRate(qint64 chunkBytes, int rounds, const std::function<void()>& work)
{
    double best = 0;
    for (int run = 0; run < 3; ++run) {
        const double start = threadCpuSeconds();
        for (int i = 0; i < rounds; ++i)
            work();
        const double seconds = threadCpuSeconds() - start;
        best = std::max(best, double(chunkBytes) * rounds / seconds / 1e9);
    }
    return best;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const qint64 chunkSize = args.size() > 1 ? args[1].toLongLong() * 1024 * 1024
                                             : qint64(ChunkerParams::defaults().avgSize);
    const int rounds = args.size() > 2 ? args[2].toInt() : 48;
    if (chunkSize < 1 || chunkSize > ChunkerParams::LargestChunkSize || rounds < 1) {
        std::fprintf(stderr, "usage: bench_erasurecodec [chunk MiB, 1 to 64] [rounds]\n");
        return 2;
    }
    QByteArray chunk(chunkSize, Qt::Uninitialized);
    QRandomGenerator random(41);
    random.fillRange(reinterpret_cast<quint32*>(chunk.data()), chunk.size() / 4);

    std::printf("chunk %lld bytes, %d chunks a run, best of 3, one core (thread CPU time)\n",
                static_cast<long long>(chunkSize), rounds);
    std::printf("scheme  encode GB/s  +CIDs   decode GB/s  +CIDs   (decode: first M data shards "
                "lost)\n");
    for (const auto& [k, m] : {std::pair{4, 2}, std::pair{6, 3}, std::pair{10, 4}}) {
        ShardCodec::Error error;
        const auto codec = ShardCodec::make(k, m, &error);
        auto shards = codec->encode(chunk, &error);
        std::vector<ShardCodec::Shard> kept(shards.begin() + m, shards.end());
        // encode() names every shard by its CID and decode() checks the K it uses: measured as
        // the engine will pay them. The coding alone is that time less the CIDs' own, measured
        // apart on the same shards.
        const double encodeWithCids =
            bestRate(chunkSize, rounds, [&] { shards = codec->encode(chunk, &error); });
        const double decodeWithCids = bestRate(chunkSize, rounds, [&] {
            const auto back = codec->decode(kept, chunkSize, &error);
            if (!back || back->size() != chunkSize)
                std::abort();
        });
        // What the CIDs cost: one SHA-256 over every byte the codec writes (encode: K+M shards)
        // or reads (decode: K shards).
        const double cidEncode = bestRate(chunkSize, rounds, [&] {
            for (const auto& shard : shards)
                (void)cid::ofData(shard.bytes);
        });
        const double cidDecode = bestRate(chunkSize, rounds, [&] {
            for (const auto& shard : kept)
                (void)cid::ofData(shard.bytes);
        });
        const auto without = [](double total, double cids) {
            return 1.0 / (1.0 / total - 1.0 / cids);
        };
        std::printf("%2d+%-2d   %8.2f    %6.2f   %8.2f    %6.2f\n", k, m,
                    without(encodeWithCids, cidEncode), encodeWithCids,
                    without(decodeWithCids, cidDecode), decodeWithCids);
    }
    return 0;
}
