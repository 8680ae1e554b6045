#include "variants.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <map>

namespace mf {

bool HubVariant::isSplit() const
{
    return files.size() > 1;
}

namespace variants {

namespace {

const QRegularExpression& quantPattern()
{
    // (?<![^-_./]) and (?![^-_./]) bound the token by a delimiter or an end.
    static const QRegularExpression re(
        QStringLiteral("(?:^|[-_./])((?:UD-)?(?:IQ[1-4]_(?:XXS|XS|NL|S|M)|I?Q[2-8]_K(?:_(?:XXL|XL|"
                       "S|M|L))?|Q[4-8]_[01]|TQ[12]_0|MXFP4(?:_MOE)?|BF16|FP16|F16|FP32|F32))"
                       "(?=[-_./]|$)"),
        QRegularExpression::CaseInsensitiveOption);
    return re;
}
const QRegularExpression& ggufSplitPattern()
{
    static const QRegularExpression re(QStringLiteral("-(\\d{5})-of-(\\d{5})\\.gguf$"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re;
}
const QRegularExpression& ggufPartPattern()
{
    static const QRegularExpression re(QStringLiteral("\\.gguf\\.part(\\d+)of(\\d+)$"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re;
}
const QRegularExpression& shardPattern()
{
    static const QRegularExpression re(QStringLiteral("^(.*)-(\\d{5})-of-(\\d{5})\\.safetensors$"));
    return re;
}

bool isGguf(const QString& path)
{
    return path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive) ||
           ggufPartPattern().match(path).hasMatch();
}

QString fileName(const QString& path)
{
    return path.mid(path.lastIndexOf(QLatin1Char('/')) + 1);
}

QString ggufVariantName(const QString& path)
{
    QString name = ggufQuantization(path);
    if (name.isEmpty()) {
        // No quantization in the name: the file's stem, without a split suffix.
        QString stem = fileName(path);
        stem.remove(ggufSplitPattern());
        stem.remove(ggufPartPattern());
        if (stem.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive))
            stem.chop(5);
        name = stem;
    }
    const QString base = fileName(path).toLower();
    if (base.startsWith(QLatin1String("mmproj")))
        name = QStringLiteral("mmproj-") + name;
    else if (base.startsWith(QLatin1String("mtp")))
        name = QStringLiteral("mtp-") + name;
    return name;
}

// Split parts sort by their number, whatever the names' other differences.
int partNumber(const QString& path)
{
    auto m = ggufSplitPattern().match(path);
    if (m.hasMatch())
        return m.captured(1).toInt();
    m = ggufPartPattern().match(path);
    if (m.hasMatch())
        return m.captured(1).toInt();
    m = shardPattern().match(path);
    return m.hasMatch() ? m.captured(2).toInt() : 0;
}

QRegularExpression globToRegex(const QString& glob)
{
    QString re = QStringLiteral("^");
    for (qsizetype i = 0; i < glob.size(); ++i) {
        const QChar c = glob.at(i);
        if (c == QLatin1Char('*')) {
            if (i + 1 < glob.size() && glob.at(i + 1) == QLatin1Char('*')) {
                re += QStringLiteral(".*");
                ++i;
            } else {
                re += QStringLiteral("[^/]*");
            }
        } else if (c == QLatin1Char('?')) {
            re += QStringLiteral("[^/]");
        } else {
            re += QRegularExpression::escape(QString(c));
        }
    }
    re += QLatin1Char('$');
    return QRegularExpression(re);
}

} // namespace

QString ggufQuantization(const QString& path)
{
    // The last match wins: "Q4_K_M/Model-Q4_K_M-00001-of-00002.gguf" names it twice, and a
    // model called "f16-tuned-Q8_0" is Q8_0.
    QString found;
    auto it = quantPattern().globalMatch(path);
    while (it.hasNext())
        found = it.next().captured(1);
    found = found.toUpper();
    if (found.endsWith(QLatin1String("FP16")))
        found.replace(QLatin1String("FP16"), QLatin1String("F16"));
    if (found.endsWith(QLatin1String("FP32")))
        found.replace(QLatin1String("FP32"), QLatin1String("F32"));
    return found;
}

bool isWeightFile(const QString& path)
{
    static const QRegularExpression re(
        QStringLiteral("\\.(gguf|safetensors|bin|pt|pth|ckpt|onnx|onnx_data|h5|msgpack|ot|"
                       "tflite|mlmodel|nemo|llamafile)$|\\.gguf\\.part\\d+of\\d+$"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(path).hasMatch();
}

QList<HubVariant> group(const QList<HubFile>& files, const QHash<QString, QByteArray>& indexJson)
{
    QHash<QString, const HubFile*> byPath;
    for (const HubFile& f : files)
        byPath.insert(f.path, &f);
    std::map<QString, HubVariant> groups; // by name; sorted later by size
    QSet<QString> taken;
    QSet<QString> fromIndex; // keys of sets an index defined: names add nothing to them

    // safetensors sets with a readable index: exactly the shards it names.
    for (auto it = indexJson.constBegin(); it != indexJson.constEnd(); ++it) {
        if (!it.key().endsWith(QLatin1String(".safetensors.index.json")) ||
            !byPath.contains(it.key()))
            continue;
        const QJsonObject map = QJsonDocument::fromJson(it.value())
                                    .object()
                                    .value(QStringLiteral("weight_map"))
                                    .toObject();
        const QString dir = it.key().contains(QLatin1Char('/'))
                                ? it.key().left(it.key().lastIndexOf(QLatin1Char('/')) + 1)
                                : QString();
        QStringList shards;
        for (auto v = map.constBegin(); v != map.constEnd(); ++v) {
            const QString shard = dir + v.value().toString();
            if (byPath.contains(shard) && !shards.contains(shard))
                shards.append(shard);
        }
        if (shards.isEmpty())
            continue;
        HubVariant v;
        v.format = HubVariant::Format::Safetensors;
        v.name = it.key().chopped(int(qstrlen(".safetensors.index.json")));
        v.files = QStringList{it.key()} + shards;
        for (const QString& p : std::as_const(v.files))
            taken.insert(p);
        groups[QStringLiteral("s:") + v.name] = v;
        fromIndex.insert(QStringLiteral("s:") + v.name);
    }

    for (const HubFile& f : files) {
        if (taken.contains(f.path))
            continue;
        QString key;
        HubVariant::Format format = HubVariant::Format::Gguf;
        QString name;
        if (isGguf(f.path)) {
            name = ggufVariantName(f.path);
            key = QStringLiteral("g:") + name;
        } else if (f.path.endsWith(QLatin1String(".safetensors"))) {
            format = HubVariant::Format::Safetensors;
            const auto m = shardPattern().match(f.path);
            name = m.hasMatch() ? m.captured(1) : f.path.chopped(12);
            key = QStringLiteral("s:") + name;
        } else if (f.path.endsWith(QLatin1String(".safetensors.index.json"))) {
            format = HubVariant::Format::Safetensors;
            name = f.path.chopped(int(qstrlen(".safetensors.index.json")));
            key = QStringLiteral("s:") + name;
        } else {
            continue;
        }
        if (fromIndex.contains(key))
            continue; // a shard its set's index does not name
        HubVariant& v = groups[key];
        v.format = format;
        v.name = name;
        v.files.append(f.path);
    }

    QList<HubVariant> result;
    for (auto& [key, v] : groups) {
        std::stable_sort(v.files.begin(), v.files.end(), [](const QString& a, const QString& b) {
            const bool ai = a.endsWith(QLatin1String(".json"));
            const bool bi = b.endsWith(QLatin1String(".json"));
            if (ai != bi)
                return ai; // the index first
            const int pa = partNumber(a);
            const int pb = partNumber(b);
            return pa != pb ? pa < pb : a < b;
        });
        v.totalSize = 0;
        for (const QString& p : std::as_const(v.files))
            v.totalSize += byPath.value(p)->size;
        // An index with no shard is not a variant.
        if (v.files.size() == 1 && v.files.first().endsWith(QLatin1String(".json")))
            continue;
        result.append(v);
    }
    std::stable_sort(result.begin(), result.end(), [](const HubVariant& a, const HubVariant& b) {
        return a.totalSize != b.totalSize ? a.totalSize < b.totalSize : a.name < b.name;
    });
    return result;
}

bool select(const HubRepo& repo, const QStringList& variantNames, const QStringList& patterns,
            QList<HubFile>* selected, QString* error)
{
    selected->clear();
    if (variantNames.isEmpty() && patterns.isEmpty()) {
        *selected = repo.files;
        return true;
    }
    QSet<QString> chosen;
    const QList<HubVariant> all = group(repo.files);
    for (const QString& name : variantNames) {
        bool found = false;
        for (const HubVariant& v : all) {
            if (v.name.compare(name, Qt::CaseInsensitive) == 0) {
                for (const QString& p : v.files)
                    chosen.insert(p);
                found = true;
            }
        }
        if (!found) {
            QStringList names;
            for (const HubVariant& v : all)
                names.append(v.name);
            *error = names.isEmpty()
                         ? QStringLiteral("%1 has no GGUF or safetensors variants; choose files "
                                          "with --include PATTERN")
                               .arg(repo.id)
                         : QStringLiteral("%1 has no variant “%2”; it has: %3")
                               .arg(repo.id, name, names.join(QStringLiteral(", ")));
            return false;
        }
    }
    for (const QString& pattern : patterns) {
        const QRegularExpression re = globToRegex(pattern);
        bool found = false;
        for (const HubFile& f : repo.files) {
            if (re.match(f.path).hasMatch()) {
                chosen.insert(f.path);
                found = true;
            }
        }
        if (!found) {
            *error = QStringLiteral("No file of %1 matches “%2”").arg(repo.id, pattern);
            return false;
        }
    }
    for (const HubFile& f : repo.files)
        if (chosen.contains(f.path) || (!variantNames.isEmpty() && !isWeightFile(f.path) &&
                                        !f.path.endsWith(QLatin1String(".index.json"))))
            selected->append(f);
    return true;
}

} // namespace variants
} // namespace mf
