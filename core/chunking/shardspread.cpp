#include "shardspread.h"

#include <QHash>

#include <algorithm>

#include <functional>

namespace mf {

std::vector<qint64> keepShardsApart(const std::vector<QSet<qint64>>& holdings,
                                    const QSet<qint64>& without)
{
    // The providers are tried in order, so that the matching does not follow QSet's hashing.
    std::vector<QList<qint64>> sorted;
    sorted.reserve(holdings.size());
    for (const QSet<qint64>& h : holdings) {
        QList<qint64> list(h.cbegin(), h.cend());
        std::sort(list.begin(), list.end());
        sorted.push_back(std::move(list));
    }
    QHash<qint64, int> keptBy; // provider -> the index keeping it
    std::function<bool(int, QSet<qint64>&)> place = [&](int index, QSet<qint64>& seen) {
        for (qint64 p : sorted.at(size_t(index))) {
            if (without.contains(p) || seen.contains(p))
                continue;
            seen.insert(p);
            const auto held = keptBy.constFind(p);
            if (held == keptBy.constEnd() || place(held.value(), seen)) {
                keptBy.insert(p, index);
                return true;
            }
        }
        return false;
    };
    for (int index = 0; index < int(holdings.size()); ++index) {
        QSet<qint64> seen;
        place(index, seen);
    }
    // An index matched once is only ever moved to another provider, never left without.
    std::vector<qint64> kept(holdings.size(), -1);
    for (auto it = keptBy.cbegin(); it != keptBy.cend(); ++it)
        kept[size_t(it.value())] = it.key();
    return kept;
}

int shardsKeptApart(const std::vector<QSet<qint64>>& holdings, const QSet<qint64>& without)
{
    const std::vector<qint64> kept = keepShardsApart(holdings, without);
    return int(std::count_if(kept.cbegin(), kept.cend(), [](qint64 p) { return p >= 0; }));
}

} // namespace mf
