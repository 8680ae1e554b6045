#pragma once

#include <QString>
#include <QStringView>

#include <optional>

namespace mf {

// How a vault keeps each chunk safe (docs/erasure.md): whole copies on N distinct providers, or
// K data + M parity shards (ShardCodec), each on a provider of its own, any K of which rebuild the
// chunk. Written and read as "copies 2" or "shards 4+2"; one spelling for each value.
struct RedundancyScheme
{
    enum class Kind { Copies, Shards };

    // The same bounds as `config replication`.
    static constexpr int MaxCopies = 16;

    Kind kind = Kind::Copies;
    int copies = 2;       // Copies only
    int dataShards = 0;   // Shards only: K
    int parityShards = 0; // Shards only: M

    static RedundancyScheme makeCopies(int n) { return {Kind::Copies, n, 0, 0}; }
    static RedundancyScheme makeShards(int k, int m) { return {Kind::Shards, 0, k, m}; }

    // "copies N" (1 ≤ N ≤ 16) or "shards K+M" (ShardCodec's bounds): lower-case, one space,
    // plain decimal numbers. Anything else is nullopt with *error naming the accepted forms.
    static std::optional<RedundancyScheme> parse(QStringView text, QString* error = nullptr);
    QString toString() const;

    bool isShards() const { return kind == Kind::Shards; }
    // Distinct providers a chunk needs: N for copies, K+M for shards.
    int providersNeeded() const;
    // Providers that can be lost, any of them, with every chunk still readable: N−1, or M.
    int lossesSurvived() const;
    // Bytes stored per byte of model: N, or (K+M)/K.
    double storageFactor() const;

    // In plain words, for the float dialog, Settings and the CLI: "1.5× the model's size,
    // survives losing any 2 of your 6 providers". `providers`: those that take new copies; when
    // fewer than the scheme needs, the sentence says so instead.
    QString describe(int providers) const;
    // Why the vault cannot take this scheme with `providers` that take new copies (empty: it
    // can). Two shards of one chunk never share a provider, so shards need K+M of them; copies
    // are capped by the providers at each float, as they always were. One data shard is
    // refused whatever the providers: its shards are the chunk itself (copies under another
    // name, that a conversion would retire with the shards).
    QString refusal(int providers) const;
    // Shards on fewer `providers` than they need (one of six going at 4+2): the scheme with as
    // many parity shards and fewer data shards that fits them (3+2), which survives the same
    // losses. nullopt for copies, when this scheme fits already, or when fewer than 2 data
    // shards would be left (refusal()).
    std::optional<RedundancyScheme> fittingOn(int providers) const;

    friend bool operator==(const RedundancyScheme& a, const RedundancyScheme& b)
    {
        return a.kind == b.kind && a.copies == b.copies && a.dataShards == b.dataShards &&
               a.parityShards == b.parityShards;
    }
    friend bool operator!=(const RedundancyScheme& a, const RedundancyScheme& b)
    {
        return !(a == b);
    }
};

} // namespace mf
