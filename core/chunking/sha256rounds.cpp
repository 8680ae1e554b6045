#include "sha256rounds.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define MODELFLOAT_SHA_EXTENSIONS 1
#endif

namespace mf::sha256rounds {

#ifdef MODELFLOAT_SHA_EXTENSIONS

namespace {

// The round constants K0..K63 of FIPS 180-4, 4.2.2.
alignas(16) constexpr quint32 RoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define MODELFLOAT_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// The extensions' rounds instruction works on the state split in two registers, one holding
// A, B, E, F and one C, D, G, H, highest lane first.
struct Registers
{
    __m128i abef;
    __m128i cdgh;
};

// Lanes are named lowest first below.
MODELFLOAT_SHA_TARGET Registers load(const State& s)
{
    const __m128i abcd = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data()));
    const __m128i efgh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + 4));
    const __m128i badc = _mm_shuffle_epi32(abcd, 0xb1);
    const __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b);
    return {_mm_alignr_epi8(badc, hgfe, 8),     // f e b a
            _mm_blend_epi16(hgfe, badc, 0xf0)}; // h g d c
}

MODELFLOAT_SHA_TARGET void store(const Registers& r, State& s)
{
    const __m128i abef = _mm_shuffle_epi32(r.abef, 0x1b);
    const __m128i ghcd = _mm_shuffle_epi32(r.cdgh, 0xb1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(s.data()), _mm_blend_epi16(abef, ghcd, 0xf0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(s.data() + 4), _mm_alignr_epi8(ghcd, abef, 8));
}

// The block's 16 message words, big-endian, four per register.
MODELFLOAT_SHA_TARGET void loadMessage(const uchar* block, __m128i words[4])
{
    const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    for (int i = 0; i < 4; ++i)
        words[i] = _mm_shuffle_epi8(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i)), byteSwap);
}

// Four rounds (4 * group .. 4 * group + 3) of `r` with the message words `words`.
MODELFLOAT_SHA_TARGET inline void fourRounds(Registers& r, __m128i words, int group)
{
    const __m128i wk = _mm_add_epi32(
        words, _mm_load_si128(reinterpret_cast<const __m128i*>(RoundConstants + 4 * group)));
    r.cdgh = _mm_sha256rnds2_epu32(r.cdgh, r.abef, wk);
    r.abef = _mm_sha256rnds2_epu32(r.abef, r.cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

// The next four words of the message schedule, W[t..t+3] from W[t-16..t-1] held in `w` (the
// oldest four in w[t/4 % 4]), written over the oldest.
MODELFLOAT_SHA_TARGET inline void scheduleNext(__m128i w[4], int group)
{
    __m128i& oldest = w[group % 4];
    const __m128i& next = w[(group + 1) % 4];
    const __m128i& older = w[(group + 2) % 4];
    const __m128i& newest = w[(group + 3) % 4];
    const __m128i partial =
        _mm_add_epi32(_mm_sha256msg1_epu32(oldest, next), _mm_alignr_epi8(newest, older, 4));
    oldest = _mm_sha256msg2_epu32(partial, newest);
}

// Runs one block through each of `states` (a compile-time count, so that the rounds of the
// states interleave), sharing the message schedule.
template <int Count>
MODELFLOAT_SHA_TARGET inline void compressBlock(Registers (&states)[Count], const uchar* block)
{
    Registers before[Count];
    for (int s = 0; s < Count; ++s)
        before[s] = states[s];
    __m128i w[4];
    loadMessage(block, w);
#pragma GCC unroll 16
    for (int group = 0; group < 16; ++group) {
        for (int s = 0; s < Count; ++s)
            fourRounds(states[s], w[group % 4], group);
        if (group < 12)
            scheduleNext(w, group);
    }
    for (int s = 0; s < Count; ++s) {
        states[s].abef = _mm_add_epi32(states[s].abef, before[s].abef);
        states[s].cdgh = _mm_add_epi32(states[s].cdgh, before[s].cdgh);
    }
}

bool detect()
{
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return false;
    const bool ssse3 = ecx & (1u << 9);
    const bool sse41 = ecx & (1u << 19);
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return false;
    const bool sha = ebx & (1u << 29);
    return ssse3 && sse41 && sha;
}

} // namespace

bool available()
{
    static const bool hasExtensions = detect();
    return hasExtensions;
}

MODELFLOAT_SHA_TARGET void compress(State& state, const uchar* data, qsizetype blocks)
{
    Registers r[1] = {load(state)};
    for (qsizetype b = 0; b < blocks; ++b, data += 64)
        compressBlock<1>(r, data);
    store(r[0], state);
}

MODELFLOAT_SHA_TARGET void compressTwo(State& first, State& second, const uchar* data,
                                       qsizetype blocks)
{
    Registers r[2] = {load(first), load(second)};
    for (qsizetype b = 0; b < blocks; ++b, data += 64)
        compressBlock<2>(r, data);
    store(r[0], first);
    store(r[1], second);
}

#else // no SHA extensions on this architecture: callers use OpenSSL instead

bool available()
{
    return false;
}

void compress(State&, const uchar*, qsizetype)
{
    Q_UNREACHABLE();
}

void compressTwo(State&, State&, const uchar*, qsizetype)
{
    Q_UNREACHABLE();
}

#endif

} // namespace mf::sha256rounds
