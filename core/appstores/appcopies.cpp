#include "appcopies.h"

#include "chunking/sha256.h"
#include "util/hex.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>

#include <algorithm>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace mf::appstores {

namespace {

// The SHA-256 a file's own name gives it: Ollama's "sha256-<hex>" (once "sha256:<hex>"), the
// Hugging Face cache's blob "<hex>"; empty for any other name.
QByteArray digestInName(const QString& path)
{
    QString name = QFileInfo(path).fileName();
    if (name.startsWith(QLatin1String("sha256-")) || name.startsWith(QLatin1String("sha256:")))
        name = name.mid(7);
    const QByteArray hex = name.toLatin1();
    return isSha256Hex(hex) ? hex : QByteArray();
}

QString reason(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

} // namespace

QList<AppCopy> appCopiesOf(const Census& census, const QList<ModelFile>& files,
                           const QSet<QString>& skip)
{
    QHash<QByteArray, ModelFile> bySha;
    QHash<qint64, QList<ModelFile>> bySize;
    for (const ModelFile& f : files) {
        if (f.sha256.isEmpty())
            continue;
        bySha.insert(f.sha256, f);
        bySize[f.size].append(f);
    }
    QList<AppCopy> copies;
    QHash<QString, qsizetype> byFile; // canonical path -> index: each file once
    for (const CensusModel& m : census.models) {
        for (const Place& place : m.places) {
            const QString file = place.canonicalPath;
            if (file.isEmpty() || skip.contains(file))
                continue;
            // Only a file inside the app's own store is the app's to lose: a link out of it
            // (an LM Studio folder linking to a file elsewhere) names someone else's file.
            const QString root = QFileInfo(place.copy.root).canonicalFilePath();
            if (root.isEmpty() || !file.startsWith(root + QLatin1Char('/')))
                continue;
            if (const auto it = byFile.constFind(file); it != byFile.constEnd()) {
                AppCopy& known = copies[*it];
                if (!known.labels.contains(place.copy.label))
                    known.labels.append(place.copy.label);
                if (!place.copy.entry.isEmpty() && !known.entries.contains(place.copy.entry))
                    known.entries.append(place.copy.entry);
                continue;
            }
            AppCopy copy;
            copy.app = place.copy.app;
            copy.root = place.copy.root;
            copy.labels = {place.copy.label};
            copy.file = file;
            if (!place.copy.entry.isEmpty())
                copy.entries = {place.copy.entry};
            copy.size = place.copy.size;
            const QByteArray named = digestInName(file);
            if (!named.isEmpty()) {
                // Named by a digest: that digest's file, or none of the model's.
                const auto it = bySha.constFind(named);
                if (it == bySha.constEnd() || it->size != copy.size)
                    continue;
                copy.modelFile = *it;
                copy.byDigest = true;
            } else {
                // No digest the app checks: a file of the model's size is read before anything.
                const QList<ModelFile> sameSize = bySize.value(copy.size);
                if (sameSize.isEmpty())
                    continue;
                copy.modelFile = sameSize.first();
                copy.byDigest = false;
            }
            const auto id = identityOf(file);
            if (!id)
                continue;
            copy.identity = *id;
            byFile.insert(file, copies.size());
            copies.append(copy);
        }
    }
    // In the apps' order (Ollama, LM Studio, the Hugging Face cache, llama.cpp), whatever the
    // census's: what is said and done reads the same every time.
    std::stable_sort(copies.begin(), copies.end(),
                     [](const AppCopy& a, const AppCopy& b) { return a.app < b.app; });
    return copies;
}

QList<AppCopy> confirmedCopies(const QList<AppCopy>& copies, const std::atomic_bool* cancelled,
                               QStringList* notes)
{
    QList<AppCopy> kept;
    for (AppCopy copy : copies) {
        if (copy.byDigest) {
            kept.append(copy);
            continue;
        }
        if (cancelled && cancelled->load())
            return {};
        const auto digest = Sha256::hashFile(copy.file, cancelled);
        if (!digest) {
            if (!(cancelled && cancelled->load()))
                notes->append(
                    QStringLiteral("Left “%1”: it could not be read to check it").arg(copy.file));
            continue;
        }
        const QByteArray hex = digest->toHex();
        // Which of the model's files of that size it is, if any.
        if (hex != copy.modelFile.sha256) {
            notes->append(QStringLiteral("Left “%1”: its bytes are not those of “%2” (SHA-256 "
                                         "differs), though it is as large")
                              .arg(copy.file, copy.modelFile.path));
            continue;
        }
        kept.append(copy);
    }
    return kept;
}

QSet<QString> writtenByUse(const AppUses& uses)
{
    QSet<QString> paths;
    for (const AppUses::Use& use : uses.all())
        for (const AppUses::File& f : use.files) {
            const QString canonical = QFileInfo(f.path).canonicalFilePath();
            paths.insert(canonical.isEmpty() ? f.path : canonical);
        }
    return paths;
}

qint64 duplicateBytesOf(const QList<AppCopy>& copies)
{
    QSet<QByteArray> one;
    qint64 bytes = 0;
    for (const AppCopy& c : copies)
        if (one.contains(c.modelFile.sha256))
            bytes += c.size;
        else
            one.insert(c.modelFile.sha256);
    return bytes;
}

qint64 bytesOf(const QList<AppCopy>& copies)
{
    qint64 bytes = 0;
    for (const AppCopy& c : copies)
        bytes += c.size;
    return bytes;
}

QString placesOf(const QList<AppCopy>& copies)
{
    QStringList parts;
    for (const AppCopy& c : copies)
        parts.append(
            QStringLiteral("%1 (%2)").arg(appName(c.app), c.labels.join(QStringLiteral(", "))));
    parts.removeDuplicates();
    return parts.join(QStringLiteral(", "));
}

bool removeCopy(const AppCopy& copy, qint64* freedBytes, QString* error)
{
    *freedBytes = 0;
    const auto now = identityOf(copy.file);
    if (!now || !(*now == copy.identity)) {
        *error = QStringLiteral("Left “%1”: it changed since it was checked").arg(copy.file);
        return false;
    }
    for (const QString& entry : copy.entries) {
        if (entry == copy.file)
            continue;
        if (::unlink(QFile::encodeName(entry).constData()) != 0 && errno != ENOENT) {
            *error = QStringLiteral("Cannot remove “%1”: %2").arg(entry, reason(errno));
            return false;
        }
    }
    struct stat st
    {
    };
    if (::lstat(QFile::encodeName(copy.file).constData(), &st) != 0) {
        *error = QStringLiteral("Left “%1”: %2").arg(copy.file, reason(errno));
        return false;
    }
    if (::unlink(QFile::encodeName(copy.file).constData()) != 0) {
        *error = QStringLiteral("Cannot remove “%1”: %2").arg(copy.file, reason(errno));
        return false;
    }
    *freedBytes = st.st_nlink == 1 ? qint64(st.st_size) : 0;
    // The folder of an entry left empty (an Ollama model with no tag left): rmdir keeps any
    // that still holds something.
    for (const QString& entry : copy.entries)
        ::rmdir(QFile::encodeName(QFileInfo(entry).path()).constData());
    return true;
}

} // namespace mf::appstores
