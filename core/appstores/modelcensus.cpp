#include "modelcensus.h"

#include "chunking/sha256.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>

#include <sys/stat.h>

namespace mf::appstores {

namespace {

struct Identity
{
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const Identity& o) const { return device == o.device && inode == o.inode; }
};

size_t qHash(const Identity& id, size_t seed = 0)
{
    return ::qHash(quint64(id.inode), seed) ^ ::qHash(quint64(id.device), seed);
}

std::optional<Identity> identityOf(const QString& path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    return Identity{st.st_dev, st.st_ino};
}

struct Entry
{
    FoundCopy copy;
    QString canonical;
    Identity identity;
    QByteArray read; // SHA-256 hex of the bytes, when verified
};

QString nameFor(const QList<Place>& places)
{
    for (const Place& p : places)
        if (!p.copy.fileName.isEmpty())
            return p.copy.fileName;
    return places.isEmpty() ? QString() : places.first().copy.label;
}

} // namespace

Census takeCensus(const QList<StoreRoot>& roots, bool verify, const std::atomic_bool* cancelled)
{
    Census census;
    QList<Entry> entries;
    for (const StoreRoot& root : roots) {
        for (FoundCopy& copy : scanStore(root, &census.warnings)) {
            const auto id = identityOf(copy.path);
            if (!id)
                continue;
            const QString canonical = QFileInfo(copy.path).canonicalFilePath();
            entries.append({std::move(copy), canonical, *id, {}});
        }
    }

    // Each distinct file is read once, however many links name it.
    if (verify) {
        QHash<Identity, QByteArray> digests;
        for (Entry& e : entries) {
            if (cancelled && cancelled->load()) {
                census.cancelled = true;
                return census;
            }
            auto it = digests.find(e.identity);
            if (it == digests.end()) {
                const auto digest = Sha256::hashFile(e.canonical, cancelled);
                it = digests.insert(e.identity, digest ? digest->toHex() : QByteArray());
                if (!digest && !(cancelled && cancelled->load()))
                    census.warnings.append(
                        QStringLiteral("“%1” could not be read to check it").arg(e.canonical));
            }
            e.read = *it;
        }
    }

    // One model per SHA-256: the one its app names, else the one read. A copy with neither
    // joins a model of its size that has a file of its name ("probably the same", not checked),
    // else one of its own.
    QList<CensusModel> models;
    QHash<QByteArray, qsizetype> bySha;
    auto modelFor = [&](const Entry& e) -> CensusModel& {
        const QByteArray key = !e.copy.claimed.isEmpty() ? e.copy.claimed : e.read;
        if (!key.isEmpty()) {
            if (const auto it = bySha.constFind(key); it != bySha.constEnd())
                return models[*it];
            bySha.insert(key, models.size());
            CensusModel m;
            m.sha256 = key;
            m.shaRead = e.copy.claimed.isEmpty();
            m.size = e.copy.size;
            models.append(m);
            return models.last();
        }
        for (CensusModel& m : models) {
            if (m.size != e.copy.size)
                continue;
            for (const Place& p : std::as_const(m.places))
                if (!e.copy.fileName.isEmpty() && p.copy.fileName == e.copy.fileName)
                    return m;
        }
        CensusModel m;
        m.size = e.copy.size;
        models.append(m);
        return models.last();
    };
    // Copies with a digest first, so that the others find their models.
    std::stable_partition(entries.begin(), entries.end(), [](const Entry& e) {
        return !e.copy.claimed.isEmpty() || !e.read.isEmpty();
    });
    QSet<Identity> counted;
    for (const Entry& e : std::as_const(entries)) {
        CensusModel& m = modelFor(e);
        Place place;
        place.copy = e.copy;
        place.canonicalPath = e.canonical;
        // Checked against an app's digest only: bytes read are not checked by themselves.
        if (!e.read.isEmpty() && !m.sha256.isEmpty() && !m.shaRead)
            place.intact = e.read == m.sha256;
        else if (e.copy.size != m.size)
            place.intact = false; // not even the model's size
        place.sharesDisk = counted.contains(e.identity);
        if (!place.sharesDisk) {
            counted.insert(e.identity);
            census.bytesOnDisk += e.copy.size;
            const bool firstOfModel = std::none_of(m.places.cbegin(), m.places.cend(),
                                                   [](const Place& p) { return !p.sharesDisk; });
            if (!firstOfModel)
                m.duplicateBytes += e.copy.size;
        }
        m.places.append(place);
    }
    for (CensusModel& m : models) {
        m.name = nameFor(m.places);
        census.duplicateBytes += m.duplicateBytes;
    }
    std::sort(models.begin(), models.end(), [](const CensusModel& a, const CensusModel& b) {
        return a.duplicateBytes != b.duplicateBytes ? a.duplicateBytes > b.duplicateBytes
                                                    : a.name < b.name;
    });
    census.models = models;
    return census;
}

} // namespace mf::appstores
