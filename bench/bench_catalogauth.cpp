// What authenticating the catalog costs a `vault sync` (docs/catalog.md, "Who may write"): a
// vault state of N models (10,000 by default) encoded, then decoded, with and without its
// HMAC-SHA256. A sync reads each newer state of another vault once and a publish writes one,
// so the difference between the two rows is all the MAC adds to a sync of that many models;
// manifests are not signed (their CIDs are checked already).
//
// Usage: bench_catalogauth [models, default 10000]
// Each figure is the best of five runs, in milliseconds of thread CPU time.

#include "chunking/cid.h"
#include "credentials/catalogkey.h"
#include "sync/catalogformat.h"

#include <QByteArray>

#include <cstdio>
#include <ctime>
#include <functional>

using namespace mf;

namespace {

double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double bestOf(int runs, const std::function<void()>& work)
{
    double best = 1e30;
    for (int i = 0; i < runs; ++i) {
        const double start = threadCpuMs();
        work();
        best = qMin(best, threadCpuMs() - start);
    }
    return best;
}

} // namespace

int main(int argc, char** argv)
{
    const int models = argc > 1 ? std::atoi(argv[1]) : 10000;
    catalog::VaultState state;
    state.vault = catalog::newId();
    state.seq = 42;
    state.written = 1764115200;
    for (int i = 0; i < models; ++i)
        state.entries.append({catalog::newId(), catalog::newId(), state.vault,
                              cid::ofData(QByteArray::number(i)), QStringLiteral("model-%1").arg(i),
                              1764115200});
    const CatalogKey key = CatalogKey::generate();
    const QByteArray signedState = catalog::encodeState(state, key);
    // The same body in the unsigned envelope older versions wrote.
    const QByteArray body = signedState.mid(signedState.indexOf('\n') + 1);
    const QByteArray unsignedState = catalog::seal(catalog::ObjectType::State, body);

    QString why;
    const double encodeSigned = bestOf(5, [&] { (void)catalog::encodeState(state, key); });
    const double decodeSigned =
        bestOf(5, [&] { (void)catalog::decodeState(signedState, &key, &why); });
    const double decodeUnsigned =
        bestOf(5, [&] { (void)catalog::decodeState(unsignedState, nullptr, &why); });
    const double macAlone = bestOf(5, [&] { (void)key.mac(body); });
    std::printf("state of %d models: %.1f MB\n", models, double(signedState.size()) / 1e6);
    std::printf("encode (signed)          %8.1f ms\n", encodeSigned);
    std::printf("decode, signed + checked %8.1f ms\n", decodeSigned);
    std::printf("decode, unsigned         %8.1f ms\n", decodeUnsigned);
    std::printf("HMAC-SHA256 of the body  %8.1f ms (what signing the whole body would cost; the "
                "MAC covers the header, whose SHA-256 of the body is computed either way)\n",
                macAlone);
    return 0;
}
