#pragma once

#include <QByteArray>

#include <memory>

namespace mf {

// Two SHA-256 digests of one stream of bytes, computed together: the outer one of every byte
// since the start (or reset()), the inner one of the bytes since the last restartInner(), which
// may restart only where the outer stream is at a whole number of 64-byte blocks. A chunk and
// its 1 MiB UnixFS leaves are such a pair (docs/cids.md).
//
// Why not two Sha256: both digests run through the same blocks, so with the CPU's SHA
// extensions they share the message schedule and their rounds interleave, each filling the
// other's waits (sha256rounds.h). On the build machine (AMD EPYC, Zen 5) two digests this way
// take 1.27 times as long as one; as two OpenSSL passes, twice. Where the extensions are
// missing, or when asked (Engine::OpenSsl), it is two OpenSSL digests.
// Until the inner digest first restarts it is the outer one, and only one is computed.
class NestedSha256 final
{
public:
    static constexpr int DigestSize = 32;
    enum class Engine {
        Fastest, // the SHA extensions where the CPU has them, OpenSSL otherwise
        OpenSsl,
    };

    explicit NestedSha256(Engine engine = Engine::Fastest);
    ~NestedSha256();
    Q_DISABLE_COPY_MOVE(NestedSha256)

    void addData(const void* data, qsizetype size);
    // The inner digest starts again here. Only where outerSize() is a multiple of 64.
    void restartInner();
    // Both digests start again, from nothing.
    void reset();

    // The digests of the bytes so far; the state is left as it was.
    QByteArray outerResult() const;
    QByteArray innerResult() const;
    qint64 outerSize() const;
    qint64 innerSize() const;

    // Whether this instance uses the SHA extensions.
    bool isAccelerated() const;

private:
    struct Private;
    struct Accelerated;
    struct Portable;
    std::unique_ptr<Private> d;
};

} // namespace mf
