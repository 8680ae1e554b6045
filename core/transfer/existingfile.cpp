#include "existingfile.h"

#include <QFileInfo>

namespace mf {

namespace {
QString key(ExistingFile answer)
{
    switch (answer) {
    case ExistingFile::Replace:
        return QStringLiteral("replace");
    case ExistingFile::KeepBoth:
        return QStringLiteral("keep-both");
    case ExistingFile::Skip:
        return QStringLiteral("skip");
    case ExistingFile::Refuse:
        break;
    }
    return QStringLiteral("refuse");
}
} // namespace

QString keepBothName(const QString& path)
{
    const QFileInfo info(path);
    const QString folder = info.path();
    const QString name = info.fileName();
    // "model.Q4_K_M.gguf" -> "model.Q4_K_M (2).gguf": the number goes before the last suffix
    // only, so the file keeps the type its name says. A leading dot is part of the base name.
    const qsizetype dot = name.lastIndexOf(QLatin1Char('.'));
    const QString base = dot > 0 ? name.left(dot) : name;
    const QString suffix = dot > 0 ? name.mid(dot) : QString();
    for (int n = 2;; ++n) {
        const QString candidate =
            folder + QLatin1Char('/') + base + QStringLiteral(" (%1)").arg(n) + suffix;
        if (!QFileInfo::exists(candidate) && !QFileInfo(candidate).isSymLink())
            return candidate;
    }
}

QJsonObject existingFileAnswersToJson(const ExistingFileAnswers& answers)
{
    QJsonObject json;
    for (auto it = answers.constBegin(); it != answers.constEnd(); ++it)
        json.insert(it.key(), key(it.value()));
    return json;
}

ExistingFileAnswers existingFileAnswersFromJson(const QJsonObject& json)
{
    ExistingFileAnswers answers;
    for (auto it = json.constBegin(); it != json.constEnd(); ++it) {
        for (ExistingFile answer :
             {ExistingFile::Replace, ExistingFile::KeepBoth, ExistingFile::Skip})
            if (it.value().toString() == key(answer))
                answers.insert(it.key(), answer);
    }
    return answers;
}

} // namespace mf
