#include "redundancycapacity.h"

#include <QtNumeric>

#include <algorithm>
#include <limits>

namespace mf {

namespace {

constexpr qint64 Most = std::numeric_limits<qint64>::max();

qint64 saturatingAdd(qint64 a, qint64 b)
{
    qint64 sum = 0;
    return qAddOverflow(a, b, &sum) ? Most : sum;
}

} // namespace

qint64 modelBytesThatFit(const std::vector<qint64>& freeBytes, const RedundancyScheme& scheme)
{
    const int needed = scheme.providersNeeded();
    if (needed < 1 || qsizetype(freeBytes.size()) < needed)
        return 0;
    std::vector<qint64> free;
    free.reserve(freeBytes.size());
    for (qint64 f : freeBytes)
        free.push_back(std::max<qint64>(f, 0));
    std::sort(free.begin(), free.end(), std::greater<qint64>());

    // suffix[j]: the free space of all but the j largest providers.
    std::vector<qint64> suffix(free.size() + 1, 0);
    for (size_t i = free.size(); i-- > 0;)
        suffix[i] = saturatingAdd(suffix[i + 1], free[i]);
    qint64 perPiece = Most;
    for (int j = 0; j < needed; ++j)
        perPiece = std::min(perPiece, suffix[size_t(j)] / qint64(needed - j));
    if (!scheme.isShards())
        return perPiece;
    qint64 total = 0;
    return qMulOverflow(perPiece, qint64(scheme.dataShards), &total) ? Most : total;
}

} // namespace mf
