#include "shardcodec.h"

#include "chunkbytes.h"
#include "chunkerparams.h"
#include "cid.h"

#include <isa-l/erasure_code.h>

#include <QtNumeric>

#include <algorithm>
#include <cstring>

namespace mf {

namespace {

// ISA-L's tables: 32 bytes per coefficient of the rows being computed.
constexpr int TableBytesPerCoefficient = 32;

// What encodeFrom() copies a chunk held whole from.
std::function<void(qint64, char*, qint64)> copierOf(QByteArrayView chunk)
{
    return [chunk](qint64 from, char* to, qint64 n) {
        std::memcpy(to, chunk.data() + from, size_t(n));
    };
}

bool fail(ShardCodec::Error* error, ShardCodec::Problem problem, const QString& message,
          int shardIndex = -1)
{
    if (error)
        *error = {problem, message, shardIndex};
    return false;
}

unsigned char* bytesOf(const QByteArray& bytes)
{
    // ISA-L takes its sources as unsigned char** and only reads them.
    return reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.constData()));
}

} // namespace

std::optional<ShardCodec> ShardCodec::make(int dataShards, int parityShards, Error* error)
{
    if (dataShards < 1 || parityShards < 1 || dataShards > MaxShards - 1 ||
        parityShards > MaxShards - dataShards) {
        fail(error, Problem::BadScheme,
             QStringLiteral("A shard scheme needs at least 1 data shard and 1 parity shard, and "
                            "at most %1 shards in all; %2+%3 is not one.")
                 .arg(MaxShards)
                 .arg(dataShards)
                 .arg(parityShards));
        return std::nullopt;
    }
    return ShardCodec(dataShards, parityShards);
}

ShardCodec::ShardCodec(int dataShards, int parityShards)
    : m_k(dataShards)
    , m_m(parityShards)
    , m_matrix(size_t(dataShards + parityShards) * size_t(dataShards))
    , m_encodeTables(size_t(TableBytesPerCoefficient) * size_t(dataShards) * size_t(parityShards))
{
    // Cauchy rather than Vandermonde (gf_gen_rs_matrix): every K × K submatrix of a Cauchy
    // generator is invertible, so any K shards decode, whatever K and M.
    gf_gen_cauchy1_matrix(m_matrix.data(), m_k + m_m, m_k);
    ec_init_tables(m_k, m_m, m_matrix.data() + size_t(m_k) * size_t(m_k), m_encodeTables.data());
}

std::optional<ShardCodec::Layout> ShardCodec::layout(qint64 chunkSize, Error* error) const
{
    if (chunkSize < 1 || chunkSize > qint64(ChunkerParams::LargestChunkSize)) {
        fail(error, Problem::BadChunkSize,
             QStringLiteral("A chunk to split into shards has 1 to %1 bytes, not %2.")
                 .arg(ChunkerParams::LargestChunkSize)
                 .arg(chunkSize));
        return std::nullopt;
    }
    Layout out;
    out.chunkSize = chunkSize;
    out.shardSize = chunkSize / m_k + (chunkSize % m_k != 0 ? 1 : 0);
    qint64 covered = 0;
    if (qMulOverflow(out.shardSize, qint64(m_k), &covered) || covered < chunkSize) {
        fail(error, Problem::BadChunkSize,
             QStringLiteral("A chunk of %1 bytes does not fit %2 shards.").arg(chunkSize).arg(m_k));
        return std::nullopt;
    }
    out.padding = covered - chunkSize;
    return out;
}

std::vector<ShardCodec::Shard> ShardCodec::encode(QByteArrayView chunk, Error* error) const
{
    return encodeFrom(chunk.size(), copierOf(chunk), error);
}

std::vector<ShardCodec::Shard> ShardCodec::encodeBytes(QByteArrayView chunk, Error* error) const
{
    return encodeFrom(chunk.size(), copierOf(chunk), error, false);
}

std::vector<ShardCodec::Shard> ShardCodec::encode(const ChunkBytes& chunk, Error* error) const
{
    return encodeFrom(
        chunk.size(), [&chunk](qint64 from, char* to, qint64 n) { chunk.copy(from, to, n); },
        error);
}

std::vector<ShardCodec::Shard>
ShardCodec::encodeFrom(qint64 chunkSize, const std::function<void(qint64, char*, qint64)>& copy,
                       Error* error, bool named) const
{
    const auto sizes = layout(chunkSize, error);
    if (!sizes)
        return {};
    const auto shardSize = qsizetype(sizes->shardSize);
    std::vector<Shard> shards(static_cast<size_t>(totalShards()));
    std::vector<unsigned char*> data(static_cast<size_t>(m_k));
    std::vector<unsigned char*> parity(static_cast<size_t>(m_m));
    for (int i = 0; i < totalShards(); ++i) {
        auto& shard = shards[size_t(i)];
        shard.index = i;
        // Every byte is written below (ISA-L fills the parity): not zeroed first.
        shard.bytes = QByteArray(shardSize, Qt::Uninitialized);
        if (i < m_k) {
            const qsizetype from = qsizetype(i) * shardSize;
            const qsizetype count = std::clamp<qsizetype>(chunkSize - from, 0, shardSize);
            if (count > 0)
                copy(from, shard.bytes.data(), count);
            std::memset(shard.bytes.data() + count, 0, size_t(shardSize - count)); // padding
            data[size_t(i)] = reinterpret_cast<unsigned char*>(shard.bytes.data());
        } else {
            parity[size_t(i - m_k)] = reinterpret_cast<unsigned char*>(shard.bytes.data());
        }
    }
    ec_encode_data(int(shardSize), m_k, m_m, const_cast<unsigned char*>(m_encodeTables.data()),
                   data.data(), parity.data());
    for (auto& shard : shards)
        if (named)
            shard.cid = cid::ofData(shard.bytes);
    if (error)
        *error = {};
    return shards;
}

std::vector<const ShardCodec::Shard*> ShardCodec::pickShards(const std::vector<Shard>& shards,
                                                             const Layout& layout, bool checkCids,
                                                             Error* error) const
{
    std::vector<const Shard*> byIndex(size_t(totalShards()), nullptr);
    for (const auto& shard : shards) {
        if (shard.index < 0 || shard.index >= totalShards()) {
            fail(error, Problem::BadShardIndex,
                 QStringLiteral("Shard index %1 is outside 0 to %2 of a %3+%4 scheme.")
                     .arg(shard.index)
                     .arg(totalShards() - 1)
                     .arg(m_k)
                     .arg(m_m),
                 shard.index);
            return {};
        }
        if (byIndex[size_t(shard.index)]) {
            fail(error, Problem::DuplicateShard,
                 QStringLiteral("Shard %1 was given twice.").arg(shard.index), shard.index);
            return {};
        }
        if (shard.bytes.size() != layout.shardSize) {
            fail(error, Problem::BadShardSize,
                 QStringLiteral("Shard %1 has %2 bytes; a chunk of %3 bytes has shards of %4.")
                     .arg(shard.index)
                     .arg(shard.bytes.size())
                     .arg(layout.chunkSize)
                     .arg(layout.shardSize),
                 shard.index);
            return {};
        }
        byIndex[size_t(shard.index)] = &shard;
    }
    std::vector<const Shard*> picked;
    for (const Shard* shard : byIndex) {
        if (shard && int(picked.size()) < m_k)
            picked.push_back(shard);
    }
    if (int(picked.size()) < m_k) {
        fail(error, Problem::TooFewShards,
             QStringLiteral("%1 of the %2 shards needed to rebuild the chunk are at hand "
                            "(any %2 of its %3 do).")
                 .arg(picked.size())
                 .arg(m_k)
                 .arg(totalShards()));
        return {};
    }
    // Only the shards that are used need to be right; each is checked before it is trusted,
    // once: a restore at K+M hashed every shard twice, a third more hashing than it needs.
    for (const Shard* shard : picked) {
        if (checkCids && !shard->checked && cid::ofData(shard->bytes) != shard->cid) {
            fail(error, Problem::ShardCidMismatch,
                 QStringLiteral("Shard %1 does not match its CID %2: it is corrupt.")
                     .arg(shard->index)
                     .arg(shard->cid),
                 shard->index);
            return {};
        }
    }
    return picked;
}

std::optional<QByteArray> ShardCodec::decode(const std::vector<Shard>& shards, qint64 chunkSize,
                                             Error* error) const
{
    return decodeFrom(shards, chunkSize, true, error);
}

std::optional<QByteArray> ShardCodec::decodeUnchecked(const std::vector<Shard>& shards,
                                                      qint64 chunkSize, Error* error) const
{
    return decodeFrom(shards, chunkSize, false, error);
}

std::optional<QByteArray> ShardCodec::decodeFrom(const std::vector<Shard>& shards, qint64 chunkSize,
                                                 bool checkCids, Error* error) const
{
    const auto sizes = layout(chunkSize, error);
    if (!sizes)
        return std::nullopt;
    const auto picked = pickShards(shards, *sizes, checkCids, error);
    if (picked.empty())
        return std::nullopt;
    const auto shardSize = qsizetype(sizes->shardSize);

    // The data shards that are missing, to be computed from the K picked ones.
    std::vector<int> missing;
    for (int i = 0, next = 0; i < m_k; ++i) {
        if (next < m_k && picked[size_t(next)]->index == i)
            ++next;
        else
            missing.push_back(i);
    }
    std::vector<QByteArray> rebuilt(missing.size());
    if (!missing.empty()) {
        // The rows of the generator for the shards at hand, inverted, map them back to the data
        // shards; the rows of the inverse for the missing ones are the decode matrix.
        std::vector<unsigned char> rows(size_t(m_k) * size_t(m_k));
        for (int r = 0; r < m_k; ++r)
            std::memcpy(rows.data() + size_t(r) * size_t(m_k),
                        m_matrix.data() + size_t(picked[size_t(r)]->index) * size_t(m_k),
                        size_t(m_k));
        std::vector<unsigned char> inverse(rows.size());
        if (gf_invert_matrix(rows.data(), inverse.data(), m_k) != 0) {
            fail(error, Problem::SingularMatrix,
                 QStringLiteral("The shards at hand cannot be decoded (singular matrix)."));
            return std::nullopt;
        }
        std::vector<unsigned char> decodeRows(missing.size() * size_t(m_k));
        for (size_t r = 0; r < missing.size(); ++r)
            std::memcpy(decodeRows.data() + r * size_t(m_k),
                        inverse.data() + size_t(missing[r]) * size_t(m_k), size_t(m_k));
        std::vector<unsigned char> tables(size_t(TableBytesPerCoefficient) * decodeRows.size());
        ec_init_tables(m_k, int(missing.size()), decodeRows.data(), tables.data());
        std::vector<unsigned char*> sources(static_cast<size_t>(m_k));
        for (int r = 0; r < m_k; ++r)
            sources[size_t(r)] = bytesOf(picked[size_t(r)]->bytes);
        std::vector<unsigned char*> outputs(missing.size());
        for (size_t r = 0; r < missing.size(); ++r) {
            rebuilt[r] = QByteArray(shardSize, Qt::Uninitialized);
            outputs[r] = reinterpret_cast<unsigned char*>(rebuilt[r].data());
        }
        ec_encode_data(int(shardSize), m_k, int(missing.size()), tables.data(), sources.data(),
                       outputs.data());
    }

    QByteArray chunk(qsizetype(chunkSize), Qt::Uninitialized);
    size_t nextMissing = 0;
    size_t nextPicked = 0;
    for (int i = 0; i < m_k; ++i) {
        const QByteArray* shard = nullptr;
        if (nextMissing < missing.size() && missing[nextMissing] == i)
            shard = &rebuilt[nextMissing++];
        else
            shard = &picked[nextPicked++]->bytes;
        const qsizetype from = qsizetype(i) * shardSize;
        const qsizetype count = std::clamp<qsizetype>(chunk.size() - from, 0, shardSize);
        if (count > 0)
            std::memcpy(chunk.data() + from, shard->constData(), size_t(count));
        // The padding after the chunk's end (fewer than K bytes) is zero in the shards a chunk
        // makes: unchecked shards that give anything else are not the ones it made.
        const char* tail = shard->constData() + count;
        if (!checkCids &&
            std::any_of(tail, shard->constData() + shardSize, [](char b) { return b != 0; })) {
            fail(error, Problem::BadPadding,
                 QStringLiteral("The shards give a chunk whose padding is not zero: one of them "
                                "is not the chunk's."));
            return std::nullopt;
        }
    }
    if (error)
        *error = {};
    return chunk;
}

std::vector<ShardCodec::Shard> ShardCodec::rebuild(const std::vector<Shard>& shards,
                                                   qint64 chunkSize, const std::vector<int>& wanted,
                                                   Error* error) const
{
    for (int index : wanted) {
        if (index < 0 || index >= totalShards()) {
            fail(error, Problem::BadShardIndex,
                 QStringLiteral("Shard index %1 is outside 0 to %2 of a %3+%4 scheme.")
                     .arg(index)
                     .arg(totalShards() - 1)
                     .arg(m_k)
                     .arg(m_m),
                 index);
            return {};
        }
    }
    // Decoding the chunk and encoding it again costs one full encode, which repair can afford,
    // and keeps one path for the arithmetic.
    const auto chunk = decode(shards, chunkSize, error);
    if (!chunk)
        return {};
    auto all = encode(*chunk, error);
    std::vector<Shard> out;
    out.reserve(wanted.size());
    for (int index : wanted)
        out.push_back(all[size_t(index)]);
    return out;
}

} // namespace mf
