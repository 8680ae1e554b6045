#include "redundancyscheme.h"

#include "shardcodec.h"

namespace mf {

namespace {

const QLatin1String CopiesPrefix("copies ");
const QLatin1String ShardsPrefix("shards ");

// A plain decimal number of 1 to 3 digits (every bound here is below 1000), nullopt otherwise.
std::optional<int> smallNumber(QStringView text)
{
    if (text.isEmpty() || text.size() > 3)
        return std::nullopt;
    int value = 0;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
        value = value * 10 + (c.unicode() - u'0');
    }
    return value;
}

QString factorText(double factor)
{
    return QString::number(factor, 'g', 3) + QStringLiteral("×");
}

} // namespace

std::optional<RedundancyScheme> RedundancyScheme::parse(QStringView text, QString* error)
{
    const auto refuse = [&](const QString& why) -> std::optional<RedundancyScheme> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    const QString forms =
        QStringLiteral(
            "a redundancy is “copies N” (N from 1 to %1) or “shards K+M” (K data and M parity "
            "shards, each at least 1, at most %2 in all), such as “copies 2” or “shards 4+2”")
            .arg(MaxCopies)
            .arg(ShardCodec::MaxShards);
    if (text.startsWith(CopiesPrefix)) {
        const auto n = smallNumber(text.mid(CopiesPrefix.size()));
        if (!n || *n < 1 || *n > MaxCopies)
            return refuse(QStringLiteral("“%1” is not one: ").arg(text) + forms);
        return makeCopies(*n);
    }
    if (text.startsWith(ShardsPrefix)) {
        const QStringView rest = text.mid(ShardsPrefix.size());
        const qsizetype plus = rest.indexOf(u'+');
        const auto k = plus < 0 ? std::nullopt : smallNumber(rest.left(plus));
        const auto m = plus < 0 ? std::nullopt : smallNumber(rest.mid(plus + 1));
        if (!k || !m)
            return refuse(QStringLiteral("“%1” is not one: ").arg(text) + forms);
        ShardCodec::Error codecError;
        if (!ShardCodec::make(*k, *m, &codecError))
            return refuse(codecError.message);
        return makeShards(*k, *m);
    }
    return refuse(QStringLiteral("“%1” is not one: ").arg(text) + forms);
}

QString RedundancyScheme::toString() const
{
    return isShards() ? QStringLiteral("shards %1+%2").arg(dataShards).arg(parityShards)
                      : QStringLiteral("copies %1").arg(copies);
}

int RedundancyScheme::providersNeeded() const
{
    return isShards() ? dataShards + parityShards : copies;
}

int RedundancyScheme::lossesSurvived() const
{
    return isShards() ? parityShards : copies - 1;
}

double RedundancyScheme::storageFactor() const
{
    return isShards() ? double(dataShards + parityShards) / double(dataShards) : double(copies);
}

QString RedundancyScheme::describe(int providers) const
{
    const QString size = QStringLiteral("%1 the model's size").arg(factorText(storageFactor()));
    if (providers < providersNeeded()) {
        return size + QStringLiteral(", but needs %1 providers and the vault has %2")
                          .arg(providersNeeded())
                          .arg(providers);
    }
    const int losses = lossesSurvived();
    if (losses == 0)
        return size + QStringLiteral(", does not survive losing a provider");
    if (losses == 1)
        return size + QStringLiteral(", survives losing any 1 of your %1 providers").arg(providers);
    return size + QStringLiteral(", survives losing any %1 of your %2 providers")
                      .arg(losses)
                      .arg(providers);
}

std::optional<RedundancyScheme> RedundancyScheme::fittingOn(int providers) const
{
    const int data = providers - parityShards;
    if (!isShards() || providers >= providersNeeded() || data < 2)
        return std::nullopt;
    return makeShards(data, parityShards);
}

QString RedundancyScheme::refusal(int providers) const
{
    if (!isShards())
        return {};
    // One data shard is the chunk itself, and every parity shard of it the same bytes again:
    // M+1 copies under another name, whose shards are the chunk's own object.
    if (dataShards == 1)
        return QStringLiteral("%1 keeps every chunk whole %2 times (its one data shard is the "
                              "chunk itself): choose copies %2, or at least 2 data shards.")
            .arg(toString())
            .arg(parityShards + 1);
    if (providers >= providersNeeded())
        return {};
    return QStringLiteral("%1 needs %2 providers that take new copies, one for each shard of a "
                          "chunk, and this vault has %3: add providers or choose fewer shards.")
        .arg(toString())
        .arg(providersNeeded())
        .arg(providers);
}

} // namespace mf
