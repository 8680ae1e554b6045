// The catalog's format (docs/catalog.md, sync/catalogformat.h): sealed objects that refuse
// truncation and alteration; manifests that are the same bytes for the same model, whether
// written whole or a file at a time; the names and bodies of vault states and locks. The
// catalog's registry side and its jobs are tst_catalog's.

#include "chunking/cid.h"
#include "sync/catalogformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace mf;

namespace {

catalog::Manifest sampleManifest()
{
    catalog::Manifest m;
    m.uid = QStringLiteral("0f1e2d3c-4b5a-4968-8776-655443322110");
    m.model.name = QStringLiteral("llama");
    m.model.source = QStringLiteral("hf:org/llama@abc");
    m.model.created = QDateTime::fromSecsSinceEpoch(1767200000, Qt::UTC);
    catalog::ManifestFile f;
    f.file.path = QStringLiteral("a/model.gguf");
    f.file.size = 30;
    f.file.sha256 = QByteArray(64, 'a');
    f.file.chunker = QStringLiteral("cdc:1:2:3");
    f.file.metadata = QJsonObject{{QStringLiteral("format"), QStringLiteral("gguf")},
                                  {QStringLiteral("parameters"), 8030261248LL}};
    f.chunks = {{0, 0, 10, cid::ofData("first")}, {1, 10, 20, cid::ofData("second")}};
    m.files = {f};
    return m;
}

} // namespace

class TestCatalogFormat final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sealRefusesDamage();
    void manifestRoundTrip();
    void manifestRefusesBrokenTiling();
    void manifestWrittenFileByFileIsTheWholeObject();
    void stateAndLockNames();
};

void TestCatalogFormat::sealRefusesDamage()
{
    const QByteArray body = "{\"format\":\"x\"}";
    const QByteArray sealed = catalog::seal(catalog::ObjectType::State, body);
    QString why;
    QCOMPARE(catalog::unseal(sealed, catalog::ObjectType::State, &why).value_or(QByteArray()),
             body);
    // Truncated, extended, altered, another type, a newer envelope, no header at all.
    QVERIFY(!catalog::unseal(sealed.chopped(1), catalog::ObjectType::State, &why));
    QVERIFY2(why.contains(QLatin1String("truncated")), qPrintable(why));
    QVERIFY(!catalog::unseal(sealed + "x", catalog::ObjectType::State, &why));
    QByteArray altered = sealed;
    altered[altered.size() - 3] = 'y';
    QVERIFY(!catalog::unseal(altered, catalog::ObjectType::State, &why));
    QVERIFY2(why.contains(QLatin1String("checksum")), qPrintable(why));
    QVERIFY(!catalog::unseal(sealed, catalog::ObjectType::Manifest, &why));
    QByteArray newer = sealed;
    newer.replace("MFCAT 1 ", "MFCAT 9 ");
    QVERIFY(!catalog::unseal(newer, catalog::ObjectType::State, &why));
    QVERIFY2(why.contains(QLatin1String("newer")), qPrintable(why));
    QVERIFY(!catalog::unseal(body, catalog::ObjectType::State, &why));
    QVERIFY(!catalog::unseal(QByteArray(), catalog::ObjectType::State, &why));
}

void TestCatalogFormat::manifestRoundTrip()
{
    const catalog::Manifest m = sampleManifest();
    const QByteArray a = catalog::encodeManifest(m);
    // The same model version: the same bytes, so the same CID on every computer.
    QCOMPARE(catalog::encodeManifest(m), a);
    QString why;
    const auto back = catalog::decodeManifest(a, cid::ofData(a), &why);
    QVERIFY2(back, qPrintable(why));
    QCOMPARE(back->uid, m.uid);
    QCOMPARE(back->model.name, m.model.name);
    QCOMPARE(back->model.source, m.model.source);
    QCOMPARE(back->model.created, m.model.created);
    QCOMPARE(back->files.size(), 1);
    QCOMPARE(back->files[0].file.path, m.files[0].file.path);
    QCOMPARE(back->files[0].file.metadata, m.files[0].file.metadata);
    QCOMPARE(back->files[0].chunks.size(), 2);
    QCOMPARE(back->files[0].chunks[1].offset, 10);
    QCOMPARE(back->files[0].chunks[1].cid, cid::ofData("second"));
    // Encoding what was decoded gives the same bytes again.
    QCOMPARE(catalog::encodeManifest(*back), a);
    // Checked against its name.
    QVERIFY(!catalog::decodeManifest(a, cid::ofData("other"), &why));
}

namespace {

// A manifest's body as releases before ManifestWriter encoded it: one QJsonObject of every file,
// serialized at once. Bytes that differ would give a published model version another CID.
QByteArray manifestAsOneObject(const catalog::Manifest& m)
{
    QJsonArray files;
    for (const catalog::ManifestFile& f : m.files) {
        QJsonArray chunks;
        for (const FileChunk& c : f.chunks)
            chunks.append(QJsonArray{c.offset, c.size, c.cid});
        QJsonObject file{{QStringLiteral("path"), f.file.path},
                         {QStringLiteral("size"), f.file.size},
                         {QStringLiteral("sha256"), QString::fromLatin1(f.file.sha256)},
                         {QStringLiteral("chunker"), f.file.chunker},
                         {QStringLiteral("metadata"), f.file.metadata},
                         {QStringLiteral("chunks"), chunks}};
        if (!f.file.cid.isEmpty()) {
            file.insert(QStringLiteral("cid"), f.file.cid);
            file.insert(QStringLiteral("dagSize"), f.file.dagSize);
        }
        files.append(file);
    }
    const QJsonObject o{
        {QStringLiteral("format"), QStringLiteral("modelfloat-manifest")},
        {QStringLiteral("version"), catalog::FormatVersion},
        {QStringLiteral("uid"), m.uid},
        {QStringLiteral("name"), m.model.name},
        {QStringLiteral("source"), m.model.source},
        {QStringLiteral("created"),
         m.model.created.isValid() ? m.model.created.toSecsSinceEpoch() : qint64(0)},
        {QStringLiteral("tags"), QJsonArray::fromStringList(m.model.tags)},
        {QStringLiteral("files"), files},
    };
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

void TestCatalogFormat::manifestWrittenFileByFileIsTheWholeObject()
{
    // Names, tags and metadata with what JSON escapes, files with and without a CID, nested and
    // fractional metadata, a file of no chunks, and a model of no files at all.
    catalog::Manifest m = sampleManifest();
    m.model.name = QStringLiteral("qwen \u201cfiles\u201d \\ \"q\" \u00e9");
    m.model.tags = {QStringLiteral("tab\there"), QStringLiteral("files\":[]"), QString()};
    m.model.source = QStringLiteral("hf:org/m@\u0001");
    for (int i = 0; i < 40; ++i) {
        catalog::ManifestFile f = m.files.at(0);
        f.file.path = QStringLiteral("shards/\u00fcber-%1.safetensors").arg(i);
        f.file.metadata.insert(QStringLiteral("i"), i);
        f.file.metadata.insert(QStringLiteral("ratio"), 1.0 / (i + 3));
        f.file.metadata.insert(QStringLiteral("nested"),
                               QJsonObject{{QStringLiteral("b"), i % 2 == 0},
                                           {QStringLiteral("list"),
                                            QJsonArray{1, QStringLiteral("x"), QJsonValue()}}});
        if (i % 3 == 0) {
            f.file.cid = cid::ofData(QByteArray::number(i));
            f.file.dagSize = 1000 + i;
        }
        if (i == 7) {
            f.file.size = 0;
            f.chunks.clear();
        }
        m.files.append(f);
    }
    QString why;
    QCOMPARE(catalog::unseal(catalog::encodeManifest(m), catalog::ObjectType::Manifest, &why)
                 .value_or(QByteArray()),
             manifestAsOneObject(m));
    catalog::ManifestWriter writer(m.uid, m.model);
    for (const catalog::ManifestFile& f : std::as_const(m.files))
        writer.addFile(f.file, f.chunks);
    QCOMPARE(writer.finish(), catalog::encodeManifest(m));
    m.files.clear();
    QCOMPARE(catalog::unseal(catalog::encodeManifest(m), catalog::ObjectType::Manifest, &why)
                 .value_or(QByteArray()),
             manifestAsOneObject(m));
    m.model.created = {};
    QCOMPARE(catalog::unseal(catalog::encodeManifest(m), catalog::ObjectType::Manifest, &why)
                 .value_or(QByteArray()),
             manifestAsOneObject(m));
}

void TestCatalogFormat::manifestRefusesBrokenTiling()
{
    catalog::Manifest m = sampleManifest();
    m.files[0].chunks[1].offset = 11; // a gap
    QString why;
    QVERIFY(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why));
    QVERIFY2(why.contains(QLatin1String("broken")), qPrintable(why));
    m = sampleManifest();
    m.files[0].file.size = 31; // chunks do not cover the file
    QVERIFY(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why));
    m = sampleManifest();
    m.files[0].chunks[0].cid = QStringLiteral("not-a-cid");
    QVERIFY(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why));
    // Another vault's catalog is input like any other: a path that climbs out of a restore's
    // folder, and a name the vault's own rule refuses, are refused.
    m = sampleManifest();
    m.files[0].file.path = QStringLiteral("../outside.bin");
    QVERIFY(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why));
    QVERIFY2(why.contains(QLatin1String("../outside.bin")), qPrintable(why));
    m = sampleManifest();
    m.model.name = QStringLiteral("two\nlines");
    QVERIFY(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why));
    // Issue 35, item 6: sizes that wrap. Four chunks of about 2^62 bytes used to "tile" a file
    // of 1,024 bytes (their sum wraps to it), and the model was listed healthy.
    m = sampleManifest();
    m.files[0].file.size = 1024;
    m.files[0].chunks.clear();
    const qint64 quarter = qint64(1) << 62;
    for (int i = 0; i < 4; ++i)
        m.files[0].chunks.append({i, qint64(quint64(i) * quint64(quarter)), // wraps, as sent
                                  i == 3 ? quarter + 1024 : quarter,
                                  cid::ofData(QByteArray(1, 'a' + i))});
    QVERIFY(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why));
    QVERIFY2(why.contains(QLatin1String("broken")), qPrintable(why));
    // Issue 35, item 4: a file's SHA-256 becomes a path component and a header: 64 lowercase
    // hex digits, nothing else.
    const QByteArrayList bads{QByteArray(64, 'A'), QByteArray(QByteArray(63, 'a') + '\n'),
                              QByteArray(QByteArray(62, 'a') + "\r\n"), QByteArray(64, 'g')};
    for (const QByteArray& bad : bads) {
        m = sampleManifest();
        m.files[0].file.sha256 = bad;
        QVERIFY2(!catalog::decodeManifest(catalog::encodeManifest(m), {}, &why), bad.constData());
    }
}

void TestCatalogFormat::stateAndLockNames()
{
    const QString vault = QStringLiteral("6f0c2a54-0000-4000-8000-00000000abcd");
    QString v;
    qint64 seq = 0;
    QVERIFY(catalog::parseStateName(catalog::stateName(vault, 42), &v, &seq));
    QCOMPARE(v, vault);
    QCOMPARE(seq, 42);
    QVERIFY(!catalog::parseStateName(QStringLiteral("states/x.1"), &v, &seq));
    // Issue 35, item 1: every number a qint64 holds is read back (13 digits and more), and only
    // under the name stateName() gives it.
    QVERIFY(catalog::parseStateName(catalog::stateName(vault, 1000000000000), &v, &seq));
    QCOMPARE(seq, 1000000000000);
    QVERIFY(!catalog::parseStateName(
        QStringLiteral("states/") + vault + QStringLiteral(".0000000000042"), &v, &seq));
    catalog::Lock l;
    l.vault = vault;
    l.id = catalog::newId();
    l.kind = catalog::Lock::Kind::Collect;
    l.renewal = 7;
    l.ttlSecs = 60;
    catalog::Lock parsed;
    QVERIFY(catalog::parseLockName(catalog::lockName(l), &parsed));
    QCOMPARE(parsed.vault, vault);
    QCOMPARE(parsed.id, l.id);
    QCOMPARE(parsed.kind, catalog::Lock::Kind::Collect);
    QCOMPARE(parsed.renewal, 7);
    QString why;
    const CatalogKey key = CatalogKey::generate();
    const auto decoded = catalog::decodeLock(catalog::encodeLock(l, key), &key, &why);
    QVERIFY2(decoded, qPrintable(why));
    QCOMPARE(decoded->signedBy.signature, catalog::Signature::Valid);
    QCOMPARE(decoded->ttlSecs, 60);

    catalog::VaultState s;
    s.vault = vault;
    s.seq = 3;
    s.entries = {{catalog::newId(), QStringLiteral("0f1e2d3c-4b5a-4968-8776-655443322110"), vault,
                  cid::ofData("m"), QStringLiteral("llama"), 5}};
    s.tombstones = {catalog::newId()};
    s.locators.insert(cid::ofData("c"), QStringLiteral("bafybeiroot"));
    const auto back = catalog::decodeState(catalog::encodeState(s, key), &key, &why);
    QVERIFY2(back, qPrintable(why));
    QCOMPARE(back->signedBy.signature, catalog::Signature::Valid);
    QCOMPARE(back->entries.size(), 1);
    QCOMPARE(back->entries[0].name, QStringLiteral("llama"));
    QCOMPARE(back->entries[0].vault, vault);
    QCOMPARE(back->tombstones, s.tombstones);
    QCOMPARE(back->locators, s.locators);
}

QTEST_GUILESS_MAIN(TestCatalogFormat)
#include "tst_catalogformat.moc"
