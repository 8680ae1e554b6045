#include "catalogformat.h"

#include "credentials/catalogkey.h"

#include "chunking/cid.h"
#include "chunking/redundancyscheme.h"
#include "chunking/sha256.h"
#include "chunking/unixfs.h"
#include "providers/provider.h"
#include "registry/modelname.h"
#include "registry/modelpath.h"
#include "util/hex.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <utility>

namespace mf::catalog {

namespace {

const char* typeName(ObjectType type)
{
    switch (type) {
    case ObjectType::Manifest:
        return "manifest";
    case ObjectType::State:
        return "state";
    case ObjectType::Lock:
        return "lock";
    }
    return "";
}

QByteArray compact(const QJsonObject& o)
{
    // QJsonObject keeps its keys sorted: the same object always gives the same bytes.
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// The body as a JSON object of `format` in a version this reader knows (1 to `newest`).
std::optional<QJsonObject> parseBody(const QByteArray& body, const char* format, QString* error,
                                     int newest = FormatVersion)
{
    QJsonParseError parse{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parse);
    if (parse.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("its JSON does not parse (%1)").arg(parse.errorString());
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toString() != QLatin1String(format)) {
        *error = QStringLiteral("it is not a %1").arg(QLatin1String(format));
        return std::nullopt;
    }
    const int version = o.value(QStringLiteral("version")).toInt();
    if (version < FormatVersion || version > newest) {
        *error = version > newest
                     ? QStringLiteral("it was written by a newer ModelFloat (%1 version %2)")
                           .arg(QLatin1String(format))
                           .arg(version)
                     : QStringLiteral("its version %1 is unknown").arg(version);
        return std::nullopt;
    }
    return o;
}

qint64 integer(const QJsonValue& v)
{
    return v.isDouble() ? v.toInteger(-1) : -1;
}

const QRegularExpression& hexId()
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f-]{8,64}$"));
    return re;
}

} // namespace

QByteArray seal(ObjectType type, const QByteArray& body, const CatalogKey* key)
{
    QByteArray header = QByteArray("MFCAT ") +
                        QByteArray::number(key ? SignedEnvelopeVersion : EnvelopeVersion) + ' ' +
                        typeName(type) + ' ' + QByteArray::number(body.size()) + ' ' +
                        Sha256::hash(body).toHex();
    if (key) {
        header += ' ' + key->id();
        header += ' ' + key->mac(header);
    }
    return header + '\n' + body;
}

std::optional<QByteArray> unseal(const QByteArray& object, ObjectType expected, QString* error,
                                 const CatalogKey* key, SignedBy* signedBy)
{
    const qsizetype newline = object.indexOf('\n');
    if (newline < 0 || newline > 300) {
        *error = QStringLiteral("it has no catalog header");
        return std::nullopt;
    }
    const QByteArray line = object.left(newline);
    const QList<QByteArray> header = line.split(' ');
    if (header.size() < 5 || header.at(0) != "MFCAT") {
        *error = QStringLiteral("it has no catalog header");
        return std::nullopt;
    }
    bool ok = false;
    const int version = header.at(1).toInt(&ok);
    if (!ok || (version != EnvelopeVersion && version != SignedEnvelopeVersion)) {
        *error =
            ok && version > SignedEnvelopeVersion
                ? QStringLiteral("it was written by a newer ModelFloat (envelope %1)").arg(version)
                : QStringLiteral("its header is not readable");
        return std::nullopt;
    }
    const bool isSigned = version == SignedEnvelopeVersion;
    if (header.size() != (isSigned ? 7 : 5) ||
        (isSigned && (!isLowerHex(header.at(5), 16) || !isSha256Hex(header.at(6))))) {
        *error = QStringLiteral("its header is not readable");
        return std::nullopt;
    }
    if (header.at(2) != typeName(expected)) {
        *error =
            QStringLiteral("it is a %1, not a %2")
                .arg(QString::fromLatin1(header.at(2).left(20)), QLatin1String(typeName(expected)));
        return std::nullopt;
    }
    const qint64 size = header.at(3).toLongLong(&ok);
    const QByteArray body = object.mid(newline + 1);
    if (!ok || size != body.size()) {
        *error = QStringLiteral("it is %1 bytes long where its header says %2 (truncated or "
                                "extended)")
                     .arg(body.size())
                     .arg(QString::fromLatin1(header.at(3).left(20)));
        return std::nullopt;
    }
    if (Sha256::hash(body).toHex() != header.at(4)) {
        *error = QStringLiteral("its checksum does not match its contents (altered)");
        return std::nullopt;
    }
    if (signedBy) {
        *signedBy = {};
        if (isSigned) {
            signedBy->keyId = header.at(5);
            if (!key || key->id() != header.at(5))
                signedBy->signature = Signature::OtherKey;
            else
                signedBy->signature = key->verify(line.left(line.lastIndexOf(' ')), header.at(6))
                                          ? Signature::Valid
                                          : Signature::Invalid;
        }
    }
    return body;
}

bool trusted(const SignedBy& signedBy, bool readsUnsigned)
{
    return signedBy.signature == Signature::Valid ||
           (signedBy.signature == Signature::None && readsUnsigned);
}

QString untrustedReason(const SignedBy& signedBy)
{
    switch (signedBy.signature) {
    case Signature::None:
        return QStringLiteral("it is not signed");
    case Signature::OtherKey:
        return QStringLiteral("it is signed with a key your computers do not use (key %1)")
            .arg(QString::fromLatin1(signedBy.keyId));
    case Signature::Invalid:
        return QStringLiteral("its signature does not match: forged or altered");
    case Signature::Valid:
        break;
    }
    return {};
}

ManifestWriter::ManifestWriter(const QString& uid, const ModelRecord& model)
{
    // The whole object with no files, cut where they go: QJsonObject writes its keys sorted, so
    // "files" follows "created" (a number) and its empty array is the first one in the text.
    // The version follows "files" too: the end is made in both versions, and which one a
    // manifest is, its files decide.
    for (const int version : {FormatVersion, ShardsManifestVersion}) {
        const QJsonObject o{
            {QStringLiteral("format"), QStringLiteral("modelfloat-manifest")},
            {QStringLiteral("version"), version},
            {QStringLiteral("uid"), uid},
            {QStringLiteral("name"), model.name},
            {QStringLiteral("source"), model.source},
            {QStringLiteral("created"),
             model.created.isValid() ? model.created.toSecsSinceEpoch() : qint64(0)},
            {QStringLiteral("tags"), QJsonArray::fromStringList(model.tags)},
            {QStringLiteral("files"), QJsonArray()},
        };
        const QByteArray whole = compact(o);
        const QByteArray files = QByteArrayLiteral("\"files\":[");
        const qsizetype at = whole.indexOf(QByteArray(files + ']'));
        Q_ASSERT(at > 0);
        m_head = whole.left(at + files.size());
        (version == FormatVersion ? m_tail : m_tailShards) = whole.mid(at + files.size());
    }
}

void ManifestWriter::addFile(const FileRecord& f, const QList<FileChunk>& fileChunks,
                             const ManifestShards& shards)
{
    QJsonArray chunks;
    for (const FileChunk& c : fileChunks)
        chunks.append(QJsonArray{c.offset, c.size, c.cid});
    QJsonObject file{{QStringLiteral("path"), f.path},
                     {QStringLiteral("size"), f.size},
                     {QStringLiteral("sha256"), QString::fromLatin1(f.sha256)},
                     {QStringLiteral("chunker"), f.chunker},
                     {QStringLiteral("metadata"), f.metadata},
                     {QStringLiteral("chunks"), chunks}};
    // The file's IPFS CID (docs/cids.md), so a recovered vault shows and shares it too. Absent
    // where it is not known; older readers ignore both keys.
    if (!f.cid.isEmpty()) {
        file.insert(QStringLiteral("cid"), f.cid);
        file.insert(QStringLiteral("dagSize"), f.dagSize);
    }
    if (!shards.isEmpty()) {
        QByteArray digests;
        digests.reserve(qsizetype(shards.cids.size()) * (shards.k + shards.m) * 32);
        const qsizetype perChunk = qsizetype(shards.k + shards.m) * 32;
        for (const QStringList& chunk : shards.cids) {
            if (chunk.isEmpty())
                digests += QByteArray(perChunk, '\0'); // stored as copies
            for (const QString& shard : chunk)
                digests += cid::toSha256(shard);
        }
        file.insert(
            QStringLiteral("shards"),
            QJsonObject{{QStringLiteral("scheme"),
                         RedundancyScheme::makeShards(shards.k, shards.m).toString()},
                        {QStringLiteral("digests"), QString::fromLatin1(digests.toBase64())}});
        m_anyShards = true;
    }
    if (!m_firstFile)
        m_files += ',';
    m_firstFile = false;
    m_files += compact(file);
}

QByteArray ManifestWriter::finish()
{
    QByteArray text = m_head + std::exchange(m_files, {}) + (m_anyShards ? m_tailShards : m_tail);
    return seal(ObjectType::Manifest, text);
}

QByteArray encodeManifest(const Manifest& m)
{
    ManifestWriter writer(m.uid, m.model);
    for (const ManifestFile& f : m.files)
        writer.addFile(f.file, f.chunks, f.shards);
    return writer.finish();
}

namespace {

// A file entry's "shards", checked against its chunk list before anything is allocated for it:
// a scheme RedundancyScheme and ShardCodec accept, exactly K+M digests per chunk (the text's
// length is compared before it is decoded), each a SHA-256 that becomes a CID.
bool decodeShards(const QJsonValue& value, const ManifestFile& file, ManifestShards* out,
                  QString* error)
{
    const QJsonObject o = value.toObject();
    QString why;
    const auto scheme = RedundancyScheme::parse(o.value(QStringLiteral("scheme")).toString(), &why);
    if (!value.isObject() || !scheme || !scheme->isShards()) {
        *error = QStringLiteral("the shards of “%1” name no scheme of shards").arg(file.file.path);
        return false;
    }
    const int n = scheme->dataShards + scheme->parityShards;
    const QString text = o.value(QStringLiteral("digests")).toString();
    // Bounded: chunks ≤ MaxManifestChunks and n ≤ 32, so this is under 2^29.
    const qint64 bytes = qint64(file.chunks.size()) * n * 32;
    if (text.size() != (bytes + 2) / 3 * 4) {
        *error =
            QStringLiteral("the shards of “%1” are not %2 per chunk").arg(file.file.path).arg(n);
        return false;
    }
    const auto decoded =
        QByteArray::fromBase64Encoding(text.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != bytes) {
        *error =
            QStringLiteral("the shards of “%1” are not %2 per chunk").arg(file.file.path).arg(n);
        return false;
    }
    out->k = scheme->dataShards;
    out->m = scheme->parityShards;
    out->cids.reserve(file.chunks.size());
    const QByteArray none(qsizetype(n) * 32, '\0');
    for (qsizetype c = 0; c < file.chunks.size(); ++c) {
        QStringList shards;
        // K+M digests of zeros: the chunk is stored as copies (its model is being converted).
        if (QByteArrayView(decoded.decoded).sliced(c * n * 32, n * 32) != QByteArrayView(none))
            for (int i = 0; i < n; ++i)
                shards.append(cid::fromSha256(decoded.decoded.mid((c * n + i) * 32, 32)));
        out->cids.append(shards);
    }
    return true;
}

} // namespace

std::optional<Manifest> decodeManifest(const QByteArray& object, const QString& cid, QString* error)
{
    if (object.size() > Provider::MaxManifestBytes) {
        *error = QStringLiteral("it is %1 bytes, more than the %2 a manifest may be")
                     .arg(object.size())
                     .arg(Provider::MaxManifestBytes);
        return std::nullopt;
    }
    if (!cid.isEmpty() && cid::ofData(object) != cid) {
        *error = QStringLiteral("its bytes do not match its name (altered or truncated)");
        return std::nullopt;
    }
    const auto body = unseal(object, ObjectType::Manifest, error);
    if (!body)
        return std::nullopt;
    const auto o = parseBody(*body, "modelfloat-manifest", error, ShardsManifestVersion);
    if (!o)
        return std::nullopt;
    const bool mayHaveShards = o->value(QStringLiteral("version")).toInt() >= ShardsManifestVersion;
    Manifest m;
    m.uid = o->value(QStringLiteral("uid")).toString();
    m.model.name = o->value(QStringLiteral("name")).toString();
    m.model.source = o->value(QStringLiteral("source")).toString();
    m.model.created =
        QDateTime::fromSecsSinceEpoch(integer(o->value(QStringLiteral("created"))), Qt::UTC);
    for (const QJsonValue t : o->value(QStringLiteral("tags")).toArray())
        m.model.tags.append(t.toString());
    m.model.state = ModelRecord::State::Complete;
    if (!hexId().match(m.uid).hasMatch() || m.model.name.trimmed().isEmpty()) {
        *error = QStringLiteral("it names no model");
        return std::nullopt;
    }
    // The same rule as every name that enters the vault: another vault's catalog is input too.
    if (const QString why = modelname::problem(m.model.name); !why.isEmpty()) {
        *error = why;
        return std::nullopt;
    }
    // Counted before any is looked at: a manifest may not make a sync take in more.
    qint64 chunkCount = 0;
    for (const QJsonValue fv : o->value(QStringLiteral("files")).toArray())
        chunkCount += fv.toObject().value(QStringLiteral("chunks")).toArray().size();
    if (chunkCount > MaxManifestChunks) {
        *error = QStringLiteral("it lists %1 chunks, more than the %2 a manifest may hold")
                     .arg(chunkCount)
                     .arg(MaxManifestChunks);
        return std::nullopt;
    }
    QSet<QString> paths;
    for (const QJsonValue fv : o->value(QStringLiteral("files")).toArray()) {
        const QJsonObject f = fv.toObject();
        ManifestFile mf;
        mf.file.path = f.value(QStringLiteral("path")).toString();
        mf.file.size = integer(f.value(QStringLiteral("size")));
        mf.file.sha256 = f.value(QStringLiteral("sha256")).toString().toLatin1();
        mf.file.chunker = f.value(QStringLiteral("chunker")).toString();
        mf.file.metadata = f.value(QStringLiteral("metadata")).toObject();
        mf.file.cid = f.value(QStringLiteral("cid")).toString();
        mf.file.dagSize = integer(f.value(QStringLiteral("dagSize")));
        if (!mf.file.cid.isEmpty() &&
            (unixfs::fromText(mf.file.cid).isEmpty() || mf.file.dagSize < mf.file.size)) {
            *error = QStringLiteral("the CID of “%1” is not one").arg(mf.file.path);
            return std::nullopt;
        }
        mf.file.state = FileRecord::State::Complete;
        // A path that could climb out of a restore's folder is refused here already.
        if (!modelpath::isValid(mf.file.path) || paths.contains(mf.file.path) || mf.file.size < 0 ||
            !isSha256Hex(mf.file.sha256)) {
            *error = QStringLiteral("a file entry is incomplete (“%1”)").arg(mf.file.path);
            return std::nullopt;
        }
        paths.insert(mf.file.path);
        // The chunks tile the file: each starts where the previous one ended.
        qint64 next = 0;
        int index = 0;
        for (const QJsonValue cv : f.value(QStringLiteral("chunks")).toArray()) {
            const QJsonArray c = cv.toArray();
            FileChunk chunk;
            chunk.index = index++;
            chunk.offset = integer(c.at(0));
            chunk.size = integer(c.at(1));
            chunk.cid = c.at(2).toString();
            // Each chunk within what is left of the file: sizes from outside never add up past
            // it, so the sum cannot wrap (four chunks of 2^62 bytes "tiled" 1,024 bytes).
            if (c.size() != 3 || chunk.offset != next || chunk.size <= 0 ||
                chunk.size > mf.file.size - next || !cid::isValid(chunk.cid)) {
                *error = QStringLiteral("the chunk list of “%1” is broken at chunk %2")
                             .arg(mf.file.path)
                             .arg(chunk.index);
                return std::nullopt;
            }
            next += chunk.size;
            mf.chunks.append(chunk);
        }
        if (next != mf.file.size) {
            *error = QStringLiteral("the chunks of “%1” cover %2 of its %3 bytes")
                         .arg(mf.file.path)
                         .arg(next)
                         .arg(mf.file.size);
            return std::nullopt;
        }
        if (mayHaveShards && f.contains(QStringLiteral("shards")) &&
            !decodeShards(f.value(QStringLiteral("shards")), mf, &mf.shards, error))
            return std::nullopt;
        m.files.append(mf);
    }
    return m;
}

QByteArray encodeState(const VaultState& s, const CatalogKey& key)
{
    QJsonArray entries;
    for (const CatalogEntry& e : s.entries)
        entries.append(QJsonObject{{QStringLiteral("e"), e.eid},
                                   {QStringLiteral("u"), e.uid},
                                   {QStringLiteral("m"), e.manifest},
                                   {QStringLiteral("n"), e.name},
                                   {QStringLiteral("t"), e.time}});
    QJsonObject locators;
    for (auto it = s.locators.begin(); it != s.locators.end(); ++it)
        locators.insert(it.key(), it.value());
    const QJsonObject o{{QStringLiteral("format"), QStringLiteral("modelfloat-state")},
                        {QStringLiteral("version"), FormatVersion},
                        {QStringLiteral("vault"), s.vault},
                        {QStringLiteral("seq"), s.seq},
                        {QStringLiteral("written"), s.written},
                        {QStringLiteral("entries"), entries},
                        {QStringLiteral("tombstones"), QJsonArray::fromStringList(s.tombstones)},
                        {QStringLiteral("locators"), locators}};
    return seal(ObjectType::State, compact(o), &key);
}

std::optional<VaultState> decodeState(const QByteArray& object, const CatalogKey* key,
                                      QString* error)
{
    SignedBy signedBy;
    const auto body = unseal(object, ObjectType::State, error, key, &signedBy);
    if (!body)
        return std::nullopt;
    const auto o = parseBody(*body, "modelfloat-state", error);
    if (!o)
        return std::nullopt;
    VaultState s;
    s.signedBy = signedBy;
    s.vault = o->value(QStringLiteral("vault")).toString();
    s.seq = integer(o->value(QStringLiteral("seq")));
    s.written = integer(o->value(QStringLiteral("written")));
    if (!hexId().match(s.vault).hasMatch() || s.seq < 1) {
        *error = QStringLiteral("it names no vault");
        return std::nullopt;
    }
    for (const QJsonValue v : o->value(QStringLiteral("entries")).toArray()) {
        const QJsonObject e = v.toObject();
        CatalogEntry entry;
        entry.eid = e.value(QStringLiteral("e")).toString();
        entry.uid = e.value(QStringLiteral("u")).toString();
        entry.manifest = e.value(QStringLiteral("m")).toString();
        entry.name = e.value(QStringLiteral("n")).toString();
        entry.time = integer(e.value(QStringLiteral("t")));
        entry.vault = s.vault;
        if (!hexId().match(entry.eid).hasMatch() || !hexId().match(entry.uid).hasMatch() ||
            !cid::isValid(entry.manifest) || entry.name.isEmpty()) {
            *error = QStringLiteral("an entry is incomplete");
            return std::nullopt;
        }
        s.entries.append(entry);
    }
    for (const QJsonValue v : o->value(QStringLiteral("tombstones")).toArray())
        s.tombstones.append(v.toString());
    const QJsonObject locators = o->value(QStringLiteral("locators")).toObject();
    for (auto it = locators.begin(); it != locators.end(); ++it)
        s.locators.insert(it.key(), it.value().toString());
    return s;
}

QByteArray encodeLock(const Lock& l, const CatalogKey& key)
{
    const QJsonObject o{
        {QStringLiteral("format"), QStringLiteral("modelfloat-lock")},
        {QStringLiteral("version"), FormatVersion},
        {QStringLiteral("vault"), l.vault},
        {QStringLiteral("id"), l.id},
        {QStringLiteral("kind"),
         l.kind == Lock::Kind::Float ? QStringLiteral("float") : QStringLiteral("collect")},
        {QStringLiteral("renewal"), l.renewal},
        {QStringLiteral("written"), l.written},
        {QStringLiteral("ttl"), l.ttlSecs},
        {QStringLiteral("what"), l.what},
    };
    return seal(ObjectType::Lock, compact(o), &key);
}

std::optional<Lock> decodeLock(const QByteArray& object, const CatalogKey* key, QString* error)
{
    SignedBy signedBy;
    const auto body = unseal(object, ObjectType::Lock, error, key, &signedBy);
    if (!body)
        return std::nullopt;
    const auto o = parseBody(*body, "modelfloat-lock", error);
    if (!o)
        return std::nullopt;
    Lock l;
    l.signedBy = signedBy;
    l.vault = o->value(QStringLiteral("vault")).toString();
    l.id = o->value(QStringLiteral("id")).toString();
    l.kind = o->value(QStringLiteral("kind")).toString() == QLatin1String("collect")
                 ? Lock::Kind::Collect
                 : Lock::Kind::Float;
    l.renewal = int(integer(o->value(QStringLiteral("renewal"))));
    l.written = integer(o->value(QStringLiteral("written")));
    l.ttlSecs = integer(o->value(QStringLiteral("ttl")));
    l.what = o->value(QStringLiteral("what")).toString();
    if (!hexId().match(l.vault).hasMatch() || !hexId().match(l.id).hasMatch() || l.ttlSecs <= 0) {
        *error = QStringLiteral("it names no lease");
        return std::nullopt;
    }
    return l;
}

QString manifestName(const QString& cid)
{
    return QStringLiteral("manifests/") + cid;
}

QString stateName(const QString& vault, qint64 seq)
{
    return QStringLiteral("states/%1.%2").arg(vault).arg(seq, 12, 10, QLatin1Char('0'));
}

bool parseStateName(const QString& name, QString* vault, qint64* seq)
{
    // At least 12 digits, as stateName() writes them, and at most 18, which a qint64 holds: a
    // vault that has published a trillion states is still read. Only the name stateName()
    // gives that number counts (no other zero padding), so that reading it back by that name
    // finds this object.
    static const QRegularExpression re(
        QStringLiteral("^states/([0-9a-f-]{8,64})\\.([0-9]{12,18})$"));
    const QRegularExpressionMatch m = re.match(name);
    if (!m.hasMatch())
        return false;
    const qint64 number = m.captured(2).toLongLong();
    if (number <= 0 || stateName(m.captured(1), number) != name)
        return false;
    *vault = m.captured(1);
    *seq = number;
    return true;
}

QString lockName(const Lock& l)
{
    return QStringLiteral("locks/%1.%2.%3.%4")
        .arg(l.vault, l.id,
             l.kind == Lock::Kind::Float ? QStringLiteral("float") : QStringLiteral("collect"))
        .arg(l.renewal);
}

bool parseLockName(const QString& name, Lock* lock)
{
    static const QRegularExpression re(QStringLiteral(
        "^locks/([0-9a-f-]{8,64})\\.([0-9a-f-]{8,64})\\.(float|collect)\\.([0-9]{1,9})$"));
    const QRegularExpressionMatch m = re.match(name);
    if (!m.hasMatch())
        return false;
    lock->vault = m.captured(1);
    lock->id = m.captured(2);
    lock->kind = m.captured(3) == QLatin1String("float") ? Lock::Kind::Float : Lock::Kind::Collect;
    lock->renewal = m.captured(4).toInt();
    return true;
}

QString newId()
{
    quint64 words[2];
    QRandomGenerator::system()->fillRange(words);
    return QStringLiteral("%1%2")
        .arg(words[0], 16, 16, QLatin1Char('0'))
        .arg(words[1], 16, 16, QLatin1Char('0'));
}

} // namespace mf::catalog
