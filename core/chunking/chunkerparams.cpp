#include "chunkerparams.h"

#include <QStringList>

namespace mf {

namespace {

constexpr quint32 KiB = 1024;
constexpr quint32 MiB = 1024 * KiB;
// Below 64 KiB a 70 GB model becomes over a million objects; above 64 MiB a single chunk is
// more than a provider request should carry (and more than a retry should have to resend).
constexpr quint32 SmallestChunk = 64 * KiB;
constexpr quint32 LargestChunk = ChunkerParams::LargestChunkSize;
static_assert(LargestChunk == 64 * MiB);

const QLatin1String FastCdcPrefix("fastcdc:");
const QLatin1String FixedPrefix("fixed:");

bool isPowerOfTwo(quint32 v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

// A plain decimal number: digits only (no sign, space or suffix), so every stored string has
// exactly one spelling and toString() round-trips.
std::optional<quint32> parseSize(QStringView text)
{
    if (text.isEmpty() || text.size() > 10)
        return std::nullopt;
    quint64 value = 0;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
        value = value * 10 + quint64(c.unicode() - u'0');
    }
    if (value > 0xffffffffULL)
        return std::nullopt;
    return quint32(value);
}

// Parses "k1=v1,k2=v2,..." with exactly these keys in this order.
bool parseFields(QStringView text, const QList<QLatin1String>& keys, QList<quint32>* values)
{
    const QList<QStringView> parts = text.split(u',');
    if (parts.size() != keys.size())
        return false;
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QStringView part = parts.at(i);
        const QLatin1String& key = keys.at(i);
        if (!part.startsWith(key) || part.size() <= key.size() || part.at(key.size()) != u'=')
            return false;
        const std::optional<quint32> value = parseSize(part.mid(key.size() + 1));
        if (!value)
            return false;
        values->append(*value);
    }
    return true;
}

bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

ChunkerParams ChunkerParams::defaults()
{
    // Chosen by bench/bench_chunker.cpp; the figures and the reasoning are in docs/chunking.md.
    // In short: ~7,000 objects for a 70 GB model, ~10 MiB stored again after a small edit, and
    // a 5 MiB minimum so that every chunk but a file's last one can be an S3 multipart part.
    return contentDefined(5 * MiB, 8 * MiB, 32 * MiB);
}

ChunkerParams ChunkerParams::fixed(quint32 size)
{
    ChunkerParams p;
    p.kind = Kind::Fixed;
    p.avgSize = size;
    return p;
}

ChunkerParams ChunkerParams::contentDefined(quint32 minSize, quint32 avgSize, quint32 maxSize)
{
    ChunkerParams p;
    p.kind = Kind::ContentDefined;
    p.minSize = minSize;
    p.avgSize = avgSize;
    p.maxSize = maxSize;
    return p;
}

QString ChunkerParams::toString() const
{
    if (kind == Kind::Fixed)
        return FixedPrefix + QStringLiteral("size=") + QString::number(avgSize);
    return FastCdcPrefix + QStringLiteral("min=") + QString::number(minSize) +
           QStringLiteral(",avg=") + QString::number(avgSize) + QStringLiteral(",max=") +
           QString::number(maxSize);
}

std::optional<ChunkerParams> ChunkerParams::fromString(const QString& text, QString* error)
{
    const auto malformed = [&] {
        fail(error, QStringLiteral("“%1” is not a chunker setting; expected "
                                   "“fastcdc:min=N,avg=N,max=N” or “fixed:size=N” "
                                   "with sizes in bytes")
                        .arg(text));
        return std::nullopt;
    };

    ChunkerParams p;
    QList<quint32> values;
    const QStringView view(text);
    if (view.startsWith(FastCdcPrefix)) {
        if (!parseFields(view.mid(FastCdcPrefix.size()),
                         {QLatin1String("min"), QLatin1String("avg"), QLatin1String("max")},
                         &values))
            return malformed();
        p = contentDefined(values.at(0), values.at(1), values.at(2));
    } else if (view.startsWith(FixedPrefix)) {
        if (!parseFields(view.mid(FixedPrefix.size()), {QLatin1String("size")}, &values))
            return malformed();
        p = fixed(values.at(0));
    } else {
        return malformed();
    }
    if (!p.isValid(error))
        return std::nullopt;
    return p;
}

bool ChunkerParams::isValid(QString* error) const
{
    const QString range = QStringLiteral("between %1 (64 KiB) and %2 (64 MiB) bytes")
                              .arg(SmallestChunk)
                              .arg(LargestChunk);
    if (kind == Kind::Fixed) {
        if (minSize != 0 || maxSize != 0)
            return fail(error, QStringLiteral("Fixed-size chunking takes only a size; the "
                                              "minimum and maximum must be left at 0."));
        if (avgSize < SmallestChunk || avgSize > LargestChunk)
            return fail(
                error,
                QStringLiteral("The fixed chunk size %1 must be %2.").arg(avgSize).arg(range));
        return true;
    }
    if (minSize < SmallestChunk || maxSize > LargestChunk)
        return fail(error, QStringLiteral("Chunk sizes (minimum %1, maximum %2) must be %3.")
                               .arg(minSize)
                               .arg(maxSize)
                               .arg(range));
    if (!(minSize <= avgSize && avgSize < maxSize))
        return fail(error, QStringLiteral("Chunk sizes must satisfy minimum ≤ average < maximum "
                                          "(got %1, %2, %3); a maximum of at least twice the "
                                          "average is recommended.")
                               .arg(minSize)
                               .arg(avgSize)
                               .arg(maxSize));
    if (!isPowerOfTwo(avgSize))
        return fail(error, QStringLiteral("The average chunk size %1 must be a power of two "
                                          "(for example 8388608 for 8 MiB).")
                               .arg(avgSize));
    return true;
}

} // namespace mf
