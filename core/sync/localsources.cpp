#include "localsources.h"

#include "chunking/cid.h"
#include "chunking/sha256.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QMultiHash>

#include <algorithm>

namespace mf::localsources {

namespace {

// Every regular file under `root` (or `root` itself when it is a file).
void listFiles(const QString& root, QStringList* out, QStringList* problems)
{
    const QFileInfo info(root);
    if (!info.exists()) {
        problems->append(QStringLiteral("There is no file or folder at “%1”").arg(root));
        return;
    }
    if (info.isFile()) {
        out->append(info.absoluteFilePath());
        return;
    }
    QDirIterator it(info.absoluteFilePath(), QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        out->append(it.next());
}

} // namespace

Matches match(const QList<WantedFile>& wanted, const QStringList& roots,
              const std::atomic_bool* cancelled)
{
    Matches m;
    QStringList files;
    for (const QString& root : roots)
        listFiles(root, &files, &m.problems);
    files.removeDuplicates();
    m.filesSeen = int(files.size());
    QMultiHash<qint64, QString> bySize;
    for (const QString& f : std::as_const(files))
        bySize.insert(QFileInfo(f).size(), f);

    QHash<QString, QByteArray> digests; // local file -> hex SHA-256 (empty: unreadable)
    for (const WantedFile& w : wanted) {
        if (cancelled && cancelled->load())
            break;
        if (w.sha256.isEmpty())
            continue; // a file never completed has no hash to compare with
        QStringList candidates = bySize.values(w.size);
        const QString name = QFileInfo(w.path).fileName();
        // The same name first, and of those the one whose path ends like the model's.
        auto rank = [&](const QString& c) {
            return c.endsWith(QLatin1Char('/') + w.path) ? 0
                   : QFileInfo(c).fileName() == name     ? 1
                                                         : 2;
        };
        std::stable_sort(candidates.begin(), candidates.end(),
                         [&](const QString& a, const QString& b) { return rank(a) < rank(b); });
        for (const QString& c : std::as_const(candidates)) {
            if (cancelled && cancelled->load())
                break;
            auto d = digests.constFind(c);
            if (d == digests.constEnd()) {
                const auto digest = Sha256::hashFile(c, cancelled);
                if (!digest && !(cancelled && cancelled->load()))
                    m.problems.append(QStringLiteral("“%1” could not be read").arg(c));
                m.hashed += digest ? 1 : 0;
                d = digests.insert(c, digest ? digest->toHex() : QByteArray());
            }
            if (!d->isEmpty() && *d == w.sha256) {
                m.byFile.insert(w.fileId, c);
                break;
            }
        }
    }
    return m;
}

std::optional<QByteArray> readChunk(const QString& path, qint64 offset, qint64 size,
                                    const QString& cid)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(offset))
        return std::nullopt;
    const QByteArray bytes = f.read(size);
    if (bytes.size() != size || cid::ofData(bytes) != cid)
        return std::nullopt;
    return bytes;
}

} // namespace mf::localsources
