#pragma once

#include <QByteArray>

#include <atomic>
#include <optional>

namespace mf::mega {

// MEGA's anti-abuse proof of work: a command answered with HTTP 402 and
// "X-Hashcash: 1:<easiness>:<time>:<token>" is sent again with "X-Hashcash: 1:<token>:<prefix>",
// where SHA-256 of prefix(4 bytes) || token repeated 262144 times (48-byte slots) starts with a
// big-endian 32-bit number at most the easiness's threshold. CPU work (each try hashes 12 MiB):
// run it off the thread that owns the network.
struct HashcashChallenge
{
    int easiness = 0;
    QByteArray token;      // as sent (base64url), echoed in the answer
    QByteArray tokenBytes; // decoded, 48 bytes

    static std::optional<HashcashChallenge> parse(const QByteArray& header);
    quint32 threshold() const;
};

// The answer header value, or nullopt when cancelled (or after 2^32 tries, which never happens
// for any easiness a server sends).
std::optional<QByteArray> solveHashcash(const HashcashChallenge& challenge,
                                        const std::atomic_bool* cancel = nullptr);

} // namespace mf::mega
