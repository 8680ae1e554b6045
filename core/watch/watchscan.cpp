#include "watchscan.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace mf::watchscan {

namespace {

bool hasSuffix(const QString& name, QLatin1String suffix)
{
    return name.endsWith(suffix, Qt::CaseInsensitive);
}

QString signatureLine(const QString& relative, const QFileInfo& f)
{
    return relative + QLatin1Char('\t') + QString::number(f.size()) + QLatin1Char('\t') +
           QString::number(f.lastModified().toMSecsSinceEpoch());
}

// Every file below `dir` (what a float of the folder reads), into `unit`.
void collectFolder(const QDir& top, const QString& dir, Unit* unit, QStringList* lines,
                   Result* result)
{
    const QFileInfoList entries = QDir(dir).entryInfoList(
        QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo& e : entries) {
        if (e.isDir()) {
            if (!e.isSymLink())
                collectFolder(top, e.absoluteFilePath(), unit, lines, result);
            continue;
        }
        ++result->files;
        if (isPartialName(e.fileName()))
            unit->downloading = true;
        unit->bytes += e.size();
        result->watchPaths.append(e.absoluteFilePath());
        lines->append(signatureLine(top.relativeFilePath(e.absoluteFilePath()), e));
    }
}

void scanDir(const QString& dir, const QString& skip, Result* result)
{
    result->watchPaths.append(dir);
    const QFileInfoList entries =
        QDir(dir).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    const bool safetensors = std::any_of(entries.cbegin(), entries.cend(), [](const QFileInfo& e) {
        return !e.isDir() && hasSuffix(e.fileName(), QLatin1String(".safetensors"));
    });
    if (safetensors) {
        Unit unit;
        unit.path = dir;
        unit.isFolder = true;
        QStringList lines;
        collectFolder(QDir(dir), dir, &unit, &lines, result);
        lines.sort();
        unit.signature = lines.join(QLatin1Char('\n'));
        result->units.append(unit);
        return;
    }
    for (const QFileInfo& e : entries) {
        if (e.isDir()) {
            if (!e.isSymLink() && e.absoluteFilePath() != skip)
                scanDir(e.absoluteFilePath(), skip, result);
            continue;
        }
        ++result->files;
        if (!hasSuffix(e.fileName(), QLatin1String(".gguf")))
            continue;
        Unit unit;
        unit.path = e.absoluteFilePath();
        unit.bytes = e.size();
        result->watchPaths.append(unit.path);
        unit.signature = signatureLine(e.fileName(), e);
        result->units.append(unit);
    }
}

} // namespace

bool isPartialName(const QString& fileName)
{
    // Browsers (Firefox .part, Chrome .crdownload, Safari .download), huggingface_hub
    // (.incomplete), curl/wget and most downloaders (.tmp, .partial).
    for (const char* suffix :
         {".part", ".partial", ".incomplete", ".crdownload", ".download", ".tmp"})
        if (hasSuffix(fileName, QLatin1String(suffix)))
            return true;
    return false;
}

Result scan(const QString& root, const QString& skip)
{
    Result result;
    if (QFileInfo(root).isDir())
        scanDir(QDir::cleanPath(root), skip, &result);
    return result;
}

} // namespace mf::watchscan
