#pragma once

#include <QtGlobal>

#include <array>

namespace mf::sha256rounds {

// SHA-256's compression function (FIPS 180-4, 6.2.2) with the x86 SHA extensions, for hashing
// more than one stream of the same bytes at once (NestedSha256). OpenSSL hashes one stream at a
// time, and on a CPU with the extensions one stream waits on each round's latency; two
// independent states fed in turn fill those waits.

// The eight working words, H0..H7, as FIPS 180-4 names them.
using State = std::array<quint32, 8>;

constexpr State InitialState = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// Whether this CPU has the SHA extensions (and the SSSE3 and SSE4.1 they are used with). When
// false, the functions below must not be called.
bool available();

// Runs `blocks` 64-byte blocks at `data` through `state`.
void compress(State& state, const uchar* data, qsizetype blocks);
// The same blocks through two states at once: the message schedule is computed once.
void compressTwo(State& first, State& second, const uchar* data, qsizetype blocks);

} // namespace mf::sha256rounds
