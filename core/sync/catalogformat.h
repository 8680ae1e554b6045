#pragma once

#include "credentials/catalogkey.h"
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

constexpr int EnvelopeVersion = 1;       // unsigned: manifests, and what older versions wrote
constexpr int SignedEnvelopeVersion = 2; // states and leases, under the catalog key
constexpr int FormatVersion = 1;
// A manifest with a file stored as shards (docs/erasure.md): a reader of version 1 refuses it by
// its version, rather than take in a model whose shards it could not find. A manifest with no
// shards is written as version 1, as before.
constexpr int ShardsManifestVersion = 2;

enum class ObjectType { Manifest, State, Lock };

// Who wrote an object, as far as its envelope tells (docs/catalog.md, "Who may write").
enum class Signature {
    None,     // an unsigned envelope (a manifest, or a state or lease of an older version)
    Valid,    // signed with the reader's catalog key
    OtherKey, // signed with a key the reader does not hold (or the reader holds none)
    Invalid,  // it names the reader's key, but the MAC does not match: forged or altered
};
struct SignedBy
{
    Signature signature = Signature::None;
    QByteArray keyId; // of a signed envelope
};

// Whether a reader may act on an object: signed with its key; or unsigned while it still
// adopts a store older versions wrote (CatalogKeyLoader::readsUnsignedSetting()).
bool trusted(const SignedBy& signedBy, bool readsUnsigned);
// Why an object is not trusted, for the report: "it is not signed", ...
QString untrustedReason(const SignedBy& signedBy);

// Unsigned: "MFCAT 1 <type> <size> <sha256 hex>\n" + body. Signed (with `key`):
// "MFCAT 2 <type> <size> <sha256 hex> <key id> <mac>\n" + body, the MAC over everything before
// it on that line (the SHA-256 covers the body).
QByteArray seal(ObjectType type, const QByteArray& body, const CatalogKey* key = nullptr);
// The body of a sealed object, after checking its header, length, checksum and type; nullopt
// and *error (naming what is wrong) otherwise. Either envelope; *signedBy says which, checked
// against `key` (which may be null: a signed envelope is then OtherKey).
std::optional<QByteArray> unseal(const QByteArray& object, ObjectType expected, QString* error,
                                 const CatalogKey* key = nullptr, SignedBy* signedBy = nullptr);

// --- Manifest ---
// The shards of a file's chunks, when they are stored as shards (docs/erasure.md): for each chunk,
// in file order, its K+M shard CIDs in index order, or none (an empty list) for a chunk stored
// as copies while its model is converted between the two. Written as
// "shards":{"scheme":"shards K+M","digests":"<base64 of the shards' SHA-256 digests, K+M per
// chunk>"}: 32 bytes a shard, 256 characters a chunk at 4+2; a chunk with none has K+M digests
// of zero bytes (no data has that SHA-256).
struct ManifestShards
{
    int k = 0; // 0: the file's chunks are stored as copies
    int m = 0;
    QList<QStringList> cids;
    bool isEmpty() const { return k == 0; }
};
struct ManifestFile
{
    FileRecord file; // path, size, sha256, chunker, metadata
    QList<FileChunk> chunks;
    ManifestShards shards;
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
    // In the model's order of files; `shards` when its chunks are stored as shards.
    void addFile(const FileRecord& file, const QList<FileChunk>& chunks,
                 const ManifestShards& shards = {});
    // The sealed object; the writer is spent.
    QByteArray finish();

private:
    QByteArray m_head;       // up to the files
    QByteArray m_files;      // the files written so far
    QByteArray m_tail;       // what follows the files (with "version": 1)
    QByteArray m_tailShards; // the same, with version ShardsManifestVersion
    bool m_firstFile = true;
    bool m_anyShards = false;
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
    SignedBy signedBy;                // read: what its envelope says of its writer
};
// Signed with `key`.
QByteArray encodeState(const VaultState& state, const CatalogKey& key);
std::optional<VaultState> decodeState(const QByteArray& object, const CatalogKey* key,
                                      QString* error);

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
    QString what;      // for people: the model being floated
    SignedBy signedBy; // read: what its envelope says of its writer
};
// Signed with `key`.
QByteArray encodeLock(const Lock& lock, const CatalogKey& key);
std::optional<Lock> decodeLock(const QByteArray& object, const CatalogKey* key, QString* error);

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
