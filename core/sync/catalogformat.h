#pragma once

#include "registry/records.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// The catalog's objects as bytes (docs/catalog.md): the envelope every object is sealed in, a
// model version's manifest, a vault's state, a lease or collection claim, and their names.
namespace mf::catalog {

constexpr int EnvelopeVersion = 1;
constexpr int FormatVersion = 1;

enum class ObjectType { Manifest, State, Lock };

// "MFCAT 1 <type> <size> <sha256 hex>\n" + body.
QByteArray seal(ObjectType type, const QByteArray& body);
// The body of a sealed object, after checking its header, length, checksum and type; nullopt
// and *error (naming what is wrong) otherwise.
std::optional<QByteArray> unseal(const QByteArray& object, ObjectType expected, QString* error);

// --- Manifest ---
struct ManifestFile
{
    FileRecord file; // path, size, sha256, chunker, metadata
    QList<FileChunk> chunks;
};
struct Manifest
{
    QString uid;
    ModelRecord model; // name, source, created, tags
    QList<ManifestFile> files;
};
// The sealed object; the same manifest always gives the same bytes.
QByteArray encodeManifest(const Manifest& manifest);

// The same bytes as encodeManifest(), written a file at a time: a model of many files is never
// held whole as JSON values (for 10,000 small files those were most of a float's peak heap, at
// the catalog publish that ends it). Only the text written so far is kept.
class ManifestWriter final
{
public:
    ManifestWriter(const QString& uid, const ModelRecord& model);
    // In the model's order of files.
    void addFile(const FileRecord& file, const QList<FileChunk>& chunks);
    // The sealed object; the writer is spent.
    QByteArray finish();

private:
    QByteArray m_text; // up to the files written so far
    QByteArray m_tail; // what follows the files
    bool m_firstFile = true;
};
// The most chunks a manifest may list (docs/catalog.md, "Limits"; its size limit is
// Provider::MaxManifestBytes): more is refused like damage, before a chunk is looked at.
constexpr qint64 MaxManifestChunks = qint64(1) << 18;
// Checks the object against its name's CID too (`cid` empty: no name to check against).
std::optional<Manifest> decodeManifest(const QByteArray& object, const QString& cid,
                                       QString* error);

// --- Vault state ---
struct VaultState
{
    QString vault;
    qint64 seq = 0;
    qint64 written = 0; // seconds since the epoch, by the writer's clock
    QList<CatalogEntry> entries;
    QStringList tombstones;
    QHash<QString, QString> locators; // chunk CID -> locator, on the provider holding this copy
};
QByteArray encodeState(const VaultState& state);
std::optional<VaultState> decodeState(const QByteArray& object, QString* error);

// --- Leases and collection claims ---
struct Lock
{
    enum class Kind { Float, Collect };
    QString vault;
    QString id; // the lock's own id (one per float or collection)
    Kind kind = Kind::Float;
    int renewal = 0;    // n in the name: each renewal writes n + 1, then removes n
    qint64 written = 0; // seconds since the epoch, by the writer's clock
    qint64 ttlSecs = 0;
    QString what; // for people: the model being floated
};
QByteArray encodeLock(const Lock& lock);
std::optional<Lock> decodeLock(const QByteArray& object, QString* error);

// --- Names ---
QString manifestName(const QString& cid);
QString stateName(const QString& vault, qint64 seq);
// "states/<vault>.<seq>" -> vault, seq; false for anything else.
bool parseStateName(const QString& name, QString* vault, qint64* seq);
QString lockName(const Lock& lock);
// Everything in the name (vault, id, kind, renewal); false for anything else.
bool parseLockName(const QString& name, Lock* lock);

// A new random id (128 bits, hex): eids, lock ids.
QString newId();

} // namespace mf::catalog
