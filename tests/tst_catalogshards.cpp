// A manifest of a model stored as shards (docs/catalog.md, docs/erasure.md): version 2, each
// file's shards as K+M digests per chunk, read back to the same CIDs; a model stored as copies is
// still written as version 1. Everything in it is hostile: a scheme out of bounds, a digest list
// of the wrong length or not base64 is refused before anything is allocated for it.

#include "chunking/cid.h"
#include "sync/catalogformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace mf;

namespace {

catalog::Manifest shardedManifest()
{
    catalog::Manifest m;
    m.uid = QStringLiteral("0f1e2d3c-4b5a-4968-8776-655443322110");
    m.model.name = QStringLiteral("llama");
    m.model.created = QDateTime::fromSecsSinceEpoch(1767200000, Qt::UTC);
    catalog::ManifestFile f;
    f.file.path = QStringLiteral("model.gguf");
    f.file.size = 30;
    f.file.sha256 = QByteArray(64, 'a');
    f.file.chunker = QStringLiteral("fixed:10");
    f.chunks = {{0, 0, 10, cid::ofData("first")}, {1, 10, 20, cid::ofData("second")}};
    f.shards.k = 2;
    f.shards.m = 1;
    for (const char* chunk : {"first", "second"}) {
        QStringList shards;
        for (int i = 0; i < 3; ++i)
            shards.append(cid::ofData(QByteArray(QByteArray(chunk) + QByteArray::number(i))));
        f.shards.cids.append(shards);
    }
    m.files = {f};
    return m;
}

// The manifest's body as JSON, changed by `edit`, sealed again.
QByteArray edited(const catalog::Manifest& m, const std::function<void(QJsonObject&)>& edit)
{
    QString why;
    const auto body =
        catalog::unseal(catalog::encodeManifest(m), catalog::ObjectType::Manifest, &why);
    if (!body)
        return {};
    QJsonObject o = QJsonDocument::fromJson(*body).object();
    edit(o);
    return catalog::seal(catalog::ObjectType::Manifest,
                         QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void editShards(QJsonObject& o, const std::function<void(QJsonObject&)>& edit)
{
    QJsonArray files = o.value(QStringLiteral("files")).toArray();
    QJsonObject f = files.at(0).toObject();
    QJsonObject shards = f.value(QStringLiteral("shards")).toObject();
    edit(shards);
    f.insert(QStringLiteral("shards"), shards);
    files.replace(0, f);
    o.insert(QStringLiteral("files"), files);
}

} // namespace

class TestCatalogShards final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shardsRoundTrip();
    void aChunkStoredAsCopiesIsNamedWithNone();
    void copiesStayVersionOne();
    void hostileShardsAreRefused_data();
    void hostileShardsAreRefused();
    void versionOneIgnoresShards();
};

void TestCatalogShards::shardsRoundTrip()
{
    const catalog::Manifest m = shardedManifest();
    const QByteArray a = catalog::encodeManifest(m);
    QVERIFY(a.contains("\"version\":2"));
    QVERIFY(a.contains("\"scheme\":\"shards 2+1\""));
    QString why;
    const auto back = catalog::decodeManifest(a, cid::ofData(a), &why);
    QVERIFY2(back, qPrintable(why));
    QCOMPARE(back->files.size(), 1);
    QCOMPARE(back->files[0].shards.k, 2);
    QCOMPARE(back->files[0].shards.m, 1);
    QCOMPARE(back->files[0].shards.cids, m.files[0].shards.cids);
    QCOMPARE(catalog::encodeManifest(*back), a);
}

// While a model is converted, some chunks of a file have shards and others only copies: each
// chunk without shards is written as K+M digests of zeros and read back as none (an empty list),
// which manifestshards::record() skips, so the chunk is read as copies there.
void TestCatalogShards::aChunkStoredAsCopiesIsNamedWithNone()
{
    catalog::Manifest m = shardedManifest();
    m.files[0].shards.cids[1] = {};
    const QByteArray a = catalog::encodeManifest(m);
    QString why;
    const auto back = catalog::decodeManifest(a, cid::ofData(a), &why);
    QVERIFY2(back, qPrintable(why));
    QCOMPARE(back->files[0].shards.cids.size(), 2);
    QCOMPARE(back->files[0].shards.cids[0], m.files[0].shards.cids[0]);
    QVERIFY(back->files[0].shards.cids[1].isEmpty());
    QCOMPARE(catalog::encodeManifest(*back), a);
    // The zeros are in the text: the second chunk's three digests of 32 bytes.
    QVERIFY(a.contains(QByteArray(3 * 32, '\0').toBase64().left(64)));
}

void TestCatalogShards::copiesStayVersionOne()
{
    catalog::Manifest m = shardedManifest();
    m.files[0].shards = {};
    const QByteArray a = catalog::encodeManifest(m);
    QVERIFY2(a.contains("\"version\":1"), a.constData());
    QVERIFY2(!a.contains("shards"), a.constData());
}

void TestCatalogShards::hostileShardsAreRefused_data()
{
    QTest::addColumn<QByteArray>("object");
    QTest::addColumn<QString>("says");
    const catalog::Manifest m = shardedManifest();
    auto shards = [&m](const std::function<void(QJsonObject&)>& edit) {
        return edited(m, [&edit](QJsonObject& o) { editShards(o, edit); });
    };
    const QString noScheme = QStringLiteral("name no scheme of shards");
    const QString notPerChunk = QStringLiteral("are not 3 per chunk");
    QTest::newRow("too many shards") << shards([](QJsonObject& s) {
        s.insert(QStringLiteral("scheme"), QStringLiteral("shards 30+3"));
    }) << noScheme;
    QTest::newRow("no parity") << shards([](QJsonObject& s) {
        s.insert(QStringLiteral("scheme"), QStringLiteral("shards 3+0"));
    }) << noScheme;
    QTest::newRow("copies") << shards([](QJsonObject& s) {
        s.insert(QStringLiteral("scheme"), QStringLiteral("copies 2"));
    }) << noScheme;
    QTest::newRow("not an object") << edited(m, [](QJsonObject& o) {
        QJsonArray files = o.value(QStringLiteral("files")).toArray();
        QJsonObject f = files.at(0).toObject();
        f.insert(QStringLiteral("shards"), 7);
        files.replace(0, f);
        o.insert(QStringLiteral("files"), files);
    }) << noScheme;
    // Another scheme than the digests were made for: 2+2 wants 4 per chunk.
    QTest::newRow("scheme and digests disagree") << shards([](QJsonObject& s) {
        s.insert(QStringLiteral("scheme"), QStringLiteral("shards 2+2"));
    }) << QStringLiteral("are not 4 per chunk");
    QTest::newRow("one character short") << shards([](QJsonObject& s) {
        s.insert(QStringLiteral("digests"),
                 s.value(QStringLiteral("digests")).toString().chopped(1));
    }) << notPerChunk;
    QTest::newRow("a huge claim") << shards([](QJsonObject& s) {
        s.insert(QStringLiteral("digests"), QString(1 << 20, QLatin1Char('A')));
    }) << notPerChunk;
    QTest::newRow("not base64") << shards([](QJsonObject& s) {
        QString text = s.value(QStringLiteral("digests")).toString();
        text[5] = QLatin1Char('*');
        s.insert(QStringLiteral("digests"), text);
    }) << notPerChunk;
    QTest::newRow("a newer version")
        << edited(m, [](QJsonObject& o) { o.insert(QStringLiteral("version"), 3); })
        << QStringLiteral("newer");
}

void TestCatalogShards::hostileShardsAreRefused()
{
    QFETCH(QByteArray, object);
    QFETCH(QString, says);
    QVERIFY(!object.isEmpty());
    QString why;
    QVERIFY(!catalog::decodeManifest(object, QString(), &why));
    QVERIFY2(why.contains(says), qPrintable(why));
}

void TestCatalogShards::versionOneIgnoresShards()
{
    // Version 1 has no shards: a key of that name there is not read (as older readers did not).
    const QByteArray object =
        edited(shardedManifest(), [](QJsonObject& o) { o.insert(QStringLiteral("version"), 1); });
    QString why;
    const auto back = catalog::decodeManifest(object, QString(), &why);
    QVERIFY2(back, qPrintable(why));
    QVERIFY(back->files[0].shards.isEmpty());
}

QTEST_GUILESS_MAIN(TestCatalogShards)
#include "tst_catalogshards.moc"
