#include "nestedsha256.h"

#include "sha256.h"
#include "sha256rounds.h"

#include <QtEndian>

#include <algorithm>
#include <cstring>

namespace mf {

struct NestedSha256::Private
{
    virtual ~Private() = default;
    virtual void addData(const uchar* data, qsizetype size) = 0;
    virtual void restartInner() = 0;
    virtual void reset() = 0;
    virtual QByteArray outerResult() const = 0;
    virtual QByteArray innerResult() const = 0;

    qint64 outerSize = 0;
    qint64 innerStart = 0; // where the inner digest starts, in the outer stream
    // Until the inner digest restarts (innerStart > 0), it is the outer one, not computed apart.
    bool innerIsOuter() const { return innerStart == 0; }
};

// The SHA extensions: two states, one partial block (both states have taken the same whole
// blocks, since the inner one restarts only between blocks).
struct NestedSha256::Accelerated final : NestedSha256::Private
{
    sha256rounds::State outer = sha256rounds::InitialState;
    sha256rounds::State inner = sha256rounds::InitialState;
    uchar pending[64];
    int pendingSize = 0;

    void compressBlocks(const uchar* data, qsizetype blocks)
    {
        if (innerIsOuter())
            sha256rounds::compress(outer, data, blocks);
        else
            sha256rounds::compressTwo(outer, inner, data, blocks);
    }

    void addData(const uchar* data, qsizetype size) override
    {
        outerSize += size;
        if (pendingSize > 0) {
            const int take = int(std::min<qsizetype>(size, 64 - pendingSize));
            std::memcpy(pending + pendingSize, data, size_t(take));
            pendingSize += take;
            data += take;
            size -= take;
            if (pendingSize < 64)
                return;
            compressBlocks(pending, 1);
            pendingSize = 0;
        }
        const qsizetype blocks = size / 64;
        if (blocks > 0)
            compressBlocks(data, blocks);
        pendingSize = int(size - blocks * 64);
        std::memcpy(pending, data + blocks * 64, size_t(pendingSize));
    }

    void restartInner() override
    {
        Q_ASSERT(pendingSize == 0);
        innerStart = outerSize;
        inner = sha256rounds::InitialState;
    }

    void reset() override
    {
        outer = inner = sha256rounds::InitialState;
        pendingSize = 0;
        outerSize = innerStart = 0;
    }

    // FIPS 180-4, 5.1.1: the pending bytes, 0x80, zeros, and the length in bits, big-endian.
    QByteArray finish(sha256rounds::State state, qint64 length) const
    {
        uchar last[128] = {};
        std::memcpy(last, pending, size_t(pendingSize));
        last[pendingSize] = 0x80;
        const int blocks = pendingSize < 56 ? 1 : 2;
        qToBigEndian(quint64(length) * 8, last + blocks * 64 - 8);
        sha256rounds::compress(state, last, blocks);
        QByteArray digest(DigestSize, Qt::Uninitialized);
        for (int i = 0; i < 8; ++i)
            qToBigEndian(state[size_t(i)], digest.data() + 4 * i);
        return digest;
    }

    QByteArray outerResult() const override { return finish(outer, outerSize); }
    QByteArray innerResult() const override
    {
        return innerIsOuter() ? outerResult() : finish(inner, outerSize - innerStart);
    }
};

// Two OpenSSL digests.
struct NestedSha256::Portable final : NestedSha256::Private
{
    Sha256 outer;
    Sha256 inner;

    void addData(const uchar* data, qsizetype size) override
    {
        outerSize += size;
        outer.addData(data, size);
        if (!innerIsOuter())
            inner.addData(data, size);
    }
    void restartInner() override
    {
        innerStart = outerSize;
        inner.reset();
    }
    void reset() override
    {
        outer.reset();
        inner.reset();
        outerSize = innerStart = 0;
    }
    QByteArray outerResult() const override { return outer.clone().result(); }
    QByteArray innerResult() const override
    {
        return innerIsOuter() ? outerResult() : inner.clone().result();
    }
};

NestedSha256::NestedSha256(Engine engine)
{
    if (engine == Engine::Fastest && sha256rounds::available())
        d = std::make_unique<Accelerated>();
    else
        d = std::make_unique<Portable>();
}

NestedSha256::~NestedSha256() = default;

void NestedSha256::addData(const void* data, qsizetype size)
{
    if (size > 0)
        d->addData(static_cast<const uchar*>(data), size);
}

void NestedSha256::restartInner()
{
    Q_ASSERT(d->outerSize % 64 == 0);
    // At the very start the inner digest is the outer one: nothing to restart.
    if (d->outerSize > 0)
        d->restartInner();
}

void NestedSha256::reset()
{
    d->reset();
}

QByteArray NestedSha256::outerResult() const
{
    return d->outerResult();
}

QByteArray NestedSha256::innerResult() const
{
    return d->innerResult();
}

qint64 NestedSha256::outerSize() const
{
    return d->outerSize;
}

qint64 NestedSha256::innerSize() const
{
    return d->outerSize - d->innerStart;
}

bool NestedSha256::isAccelerated() const
{
    return dynamic_cast<const Accelerated*>(d.get()) != nullptr;
}

} // namespace mf
