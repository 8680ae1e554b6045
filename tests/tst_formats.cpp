// Format awareness: the GGUF and safetensors header readers, the inspect entry point, their
// behaviour on hostile input, a cross-check of the GGUF reader against the npm package
// @huggingface/gguf, metadata stored at float time, and the `inspect` command.

#include "formats/formatlimits.h"
#include "formats/ggmltypes.h"
#include "formats/modelinspector.h"
#include "ggufwriter.h"
#include "peerprocess.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::formats;
using namespace mf::test;

namespace {

using V = GgufTestValue;

std::optional<GgufHeader> readGguf(const QByteArray& bytes, ParseError* error)
{
    BytesSource source(bytes);
    return readGgufHeader(source, error);
}

std::optional<SafetensorsHeader> readSafetensors(const QByteArray& bytes, ParseError* error)
{
    BytesSource source(bytes);
    return readSafetensorsHeader(source, error);
}

QByteArray le64(quint64 v)
{
    char raw[8];
    qToLittleEndian(v, raw);
    return QByteArray(raw, 8);
}
QByteArray le32(quint32 v)
{
    char raw[4];
    qToLittleEndian(v, raw);
    return QByteArray(raw, 4);
}
QByteArray ggufString(const QByteArray& s)
{
    return le64(quint64(s.size())) + s;
}
// A v3 header start: magic, version, tensor count, metadata count.
QByteArray ggufStart(quint64 tensors, quint64 kvs)
{
    return QByteArray("GGUF") + le32(3) + le64(tensors) + le64(kvs);
}

// Our reader's metadata in the shape gguf-dump.mjs prints.
QJsonObject typedMetadata(const GgufHeader& h)
{
    QJsonObject o;
    for (const GgufMetadataEntry& e : h.metadata) {
        QJsonObject entry{{QStringLiteral("type"), qint64(e.value.type)},
                          {QStringLiteral("value"), e.value.toJson(-1, true)}};
        if (e.value.isArray())
            entry.insert(QStringLiteral("subType"), qint64(e.value.elementType));
        o.insert(e.key, entry);
    }
    return o;
}

QJsonArray tensorInfos(const GgufHeader& h)
{
    QJsonArray a;
    for (const GgufTensorInfo& t : h.tensors) {
        QJsonArray shape;
        for (quint64 d : t.shape)
            shape.append(QString::number(d));
        a.append(QJsonObject{{QStringLiteral("name"), t.name},
                             {QStringLiteral("n_dims"), qint64(t.shape.size())},
                             {QStringLiteral("shape"), shape},
                             {QStringLiteral("dtype"), qint64(t.type)},
                             {QStringLiteral("offset"), QString::number(t.offset)}});
    }
    return a;
}

} // namespace

class TestFormats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ggufReadsEveryValueType_data();
    void ggufReadsEveryValueType();
    void ggufSummary();
    void ggufQuantizationFromTensorsWithoutFileType();
    void ggufFileTypeNames();
    void ggufTruncatedAtEveryOffset();
    void ggufPrefixAsksForMoreUntilTheHeaderIsThere();
    void ggufHugeCountsAreRefusedBeforeAllocation_data();
    void ggufHugeCountsAreRefusedBeforeAllocation();
    void ggufInvalidValues_data();
    void ggufInvalidValues();
    void ggufLongArraysAreSummarised();
    void ggufMatchesHuggingFaceGgufPackage();
    void safetensorsReadsHeader();
    void safetensorsTruncatedAtEveryOffset();
    void safetensorsBadHeaders_data();
    void safetensorsBadHeaders();
    void inspectFileDetectsFormats();
    void headerSnifferFindsTheHeaderInAStream();
    void floatStoresFormatMetadata();
    void inspectCommand();
};

void TestFormats::ggufReadsEveryValueType_data()
{
    QTest::addColumn<quint32>("version");
    QTest::addColumn<bool>("bigEndian");
    QTest::newRow("v3") << 3u << false;
    QTest::newRow("v2") << 2u << false;
    QTest::newRow("v3 big-endian") << 3u << true;
}

void TestFormats::ggufReadsEveryValueType()
{
    QFETCH(quint32, version);
    QFETCH(bool, bigEndian);
    const GgufWriter w = sampleGguf(version, bigEndian);
    const QByteArray file = w.build();
    ParseError error;
    const auto h = readGguf(file, &error);
    QVERIFY2(h, qPrintable(error.message));
    QCOMPARE(h->version, version);
    QCOMPARE(h->bigEndian, bigEndian);
    QCOMPARE(h->metadata.size(), w.metadata.size());
    for (int i = 0; i < w.metadata.size(); ++i)
        QCOMPARE(h->metadata[i].key, w.metadata[i].first);

    auto value = [&](const char* key) { return h->find(QLatin1String(key)); };
    QCOMPARE(value("test.u8")->type, GgufType::UInt8);
    QCOMPARE(value("test.u8")->scalar.toULongLong(), 200u);
    QCOMPARE(value("test.i8")->scalar.toLongLong(), -100);
    QCOMPARE(value("test.u16")->scalar.toULongLong(), 60000u);
    QCOMPARE(value("test.i16")->scalar.toLongLong(), -30000);
    QCOMPARE(value("test.i32")->scalar.toLongLong(), -2000000000);
    QCOMPARE(value("test.u64_big")->scalar.toULongLong(), 18000000000000000000ull);
    QCOMPARE(value("test.i64")->scalar.toLongLong(), -9000000000000000000ll);
    QCOMPARE(value("test.f64")->scalar.toDouble(), 3.141592653589793);
    QCOMPARE(value("llama.rope.freq_base")->type, GgufType::Float32);
    QCOMPARE(value("llama.rope.freq_base")->scalar.toDouble(), 500000.0);
    QCOMPARE(value("llama.attention.layer_norm_rms_epsilon")->scalar.toDouble(), double(1e-5f));
    QCOMPARE(value("test.bool_true")->scalar.toBool(), true);
    QCOMPARE(value("test.bool_false")->scalar.toBool(), false);
    QCOMPARE(value("test.empty_string")->scalar.toString(), QString());
    QCOMPARE(value("general.name")->scalar.toString(), QStringLiteral("Tiny Llama Ünïcode"));
    QCOMPARE(value("test.empty_array")->count, 0u);
    QCOMPARE(value("test.empty_array")->elementType, GgufType::UInt32);
    QCOMPARE(value("test.i16_array")->toJson(), QJsonValue(QJsonArray{-1, 2, -3}));
    QCOMPARE(value("test.f32_array")->toJson(), QJsonValue(QJsonArray{0.5, -1.25}));
    QCOMPARE(value("test.nested")->toJson(),
             QJsonValue(QJsonArray{QJsonArray{QStringLiteral("a"), QStringLiteral("bc")},
                                   QJsonArray{}, QJsonArray{QStringLiteral("ďé")}}));
    QCOMPARE(value("test.nested3")->toJson(),
             QJsonValue(QJsonArray{QJsonArray{QJsonArray{1, 2}, QJsonArray{7}}}));
    const GgufValue* tokens = value("tokenizer.ggml.tokens");
    QCOMPARE(tokens->count, 300u);
    const auto some = tokens->elements(3);
    QCOMPARE(some.size(), 3);
    QCOMPARE(some[2].scalar.toString(), QStringLiteral("tok2"));
    QCOMPARE(tokens->elements().last().scalar.toString(), QStringLiteral("tok299"));

    QCOMPARE(h->tensors.size(), w.tensors.size());
    for (int i = 0; i < w.tensors.size(); ++i) {
        QCOMPARE(h->tensors[i].name, w.tensors[i].name);
        QCOMPARE(h->tensors[i].shape, w.tensors[i].shape);
        QCOMPARE(h->tensors[i].type, w.tensors[i].type);
        QCOMPARE(h->tensors[i].bytes, w.tensors[i].bytes);
    }
    QCOMPARE(h->headerBytes, w.header().size());
    QCOMPARE(h->tensorDataOffset % 32, 0);
    QCOMPARE(h->parameterCount, quint64(256 * 300 + 256 + 256 * 256 + 256 * 64 * 2 + 256 + 8));
}

void TestFormats::ggufSummary()
{
    const QJsonObject s = summarizeGguf(*readGguf(sampleGguf().build(), nullptr));
    QCOMPARE(s.value(QLatin1String("format")).toString(), QStringLiteral("gguf"));
    QCOMPARE(s.value(QLatin1String("ggufVersion")).toInt(), 3);
    QCOMPARE(s.value(QLatin1String("architecture")).toString(), QStringLiteral("llama"));
    QCOMPARE(s.value(QLatin1String("name")).toString(), QStringLiteral("Tiny Llama Ünïcode"));
    QCOMPARE(s.value(QLatin1String("quantization")).toString(), QStringLiteral("Q4_K_M"));
    QCOMPARE(s.value(QLatin1String("fileType")).toInt(), 15);
    QCOMPARE(s.value(QLatin1String("contextLength")).toInteger(), 8192);
    QCOMPARE(s.value(QLatin1String("hasChatTemplate")).toBool(), true);
    QCOMPARE(s.value(QLatin1String("tensorCount")).toInt(), 7);
    QCOMPARE(s.value(QLatin1String("parameters")).toInteger(),
             qint64(256 * 300 + 256 + 256 * 256 + 256 * 64 * 2 + 256 + 8));
    QCOMPARE(s.value(QLatin1String("dtypes")).toArray(),
             (QJsonArray{QStringLiteral("Q4_K"), QStringLiteral("F32"), QStringLiteral("Q6_K"),
                         QStringLiteral("Q8_0"), QStringLiteral("F16")}));
}

void TestFormats::ggufQuantizationFromTensorsWithoutFileType()
{
    GgufWriter w;
    w.add(QStringLiteral("general.architecture"), V::str(QStringLiteral("qwen2")));
    w.tensor(QStringLiteral("a"), {64, 64}, 8, 32, 34); // Q8_0, most bytes
    w.tensor(QStringLiteral("b"), {64}, 0, 1, 4);
    const QJsonObject s = summarizeGguf(*readGguf(w.build(), nullptr));
    QCOMPARE(s.value(QLatin1String("quantization")).toString(), QStringLiteral("Q8_0"));
    QCOMPARE(s.value(QLatin1String("hasChatTemplate")).toBool(), false);
    QVERIFY(!s.contains(QLatin1String("contextLength")));
    QVERIFY(!s.contains(QLatin1String("name")));
}

void TestFormats::ggufFileTypeNames()
{
    QCOMPARE(ggufFileTypeName(0), QStringLiteral("F32"));
    QCOMPARE(ggufFileTypeName(7), QStringLiteral("Q8_0"));
    QCOMPARE(ggufFileTypeName(10), QStringLiteral("Q2_K"));
    QCOMPARE(ggufFileTypeName(12), QStringLiteral("Q3_K_M"));
    QCOMPARE(ggufFileTypeName(17), QStringLiteral("Q5_K_M"));
    QCOMPARE(ggufFileTypeName(18), QStringLiteral("Q6_K"));
    QCOMPARE(ggufFileTypeName(30), QStringLiteral("IQ4_XS"));
    QCOMPARE(ggufFileTypeName(32), QStringLiteral("BF16"));
    QCOMPARE(ggufFileTypeName(1024 + 15), QStringLiteral("Q4_K_M")); // guessed
    QCOMPARE(ggufFileTypeName(9999), QString());
    QCOMPARE(ggmlTypeName(12), QStringLiteral("Q4_K"));
    QCOMPARE(ggmlTypeName(30), QStringLiteral("BF16"));
    QCOMPARE(ggmlTypeName(4), QStringLiteral("type 4"));
}

// Every proper prefix of a file is refused with a clear error naming a byte offset, whether the
// cut falls in the header or in the tensor data.
void TestFormats::ggufTruncatedAtEveryOffset()
{
    GgufWriter w = sampleGguf();
    w.metadata.resize(12); // small: truncation is tried at every offset
    const QByteArray file = w.build();
    const qint64 headerBytes = w.header().size();
    // Every offset in the header; in the tensor data (the same check for each), every 61st
    // and the last bytes.
    for (qint64 n = 0; n < file.size();
         n += (n < headerBytes + 64 || n > file.size() - 64) ? 1 : 61) {
        ParseError error;
        const auto h = readGguf(file.left(n), &error);
        QVERIFY2(!h, qPrintable(QStringLiteral("accepted a file cut at %1").arg(n)));
        QCOMPARE(error.kind, ParseError::Kind::Truncated);
        QVERIFY2(error.message.contains(QLatin1String("byte")) ||
                     error.message.contains(QLatin1String("end of the file")),
                 qPrintable(error.message));
        if (n < headerBytes)
            QVERIFY2(error.offset <= n, qPrintable(error.message));
    }
    QVERIFY(readGguf(file, nullptr));
}

void TestFormats::ggufPrefixAsksForMoreUntilTheHeaderIsThere()
{
    GgufWriter w = sampleGguf();
    const QByteArray file = w.build();
    const qint64 headerBytes = w.header().size();
    for (qint64 n = 0; n < headerBytes + 40; n += 7) {
        QString error;
        qint64 needed = -1;
        const auto meta = inspectHeaderBytes(file.left(n), file.size(), QStringLiteral("m.gguf"),
                                             &error, &needed);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        if (n >= headerBytes) {
            QVERIFY(meta);
            QCOMPARE(meta->value(QLatin1String("quantization")).toString(),
                     QStringLiteral("Q4_K_M"));
        } else {
            QVERIFY(!meta);
            QVERIFY2(needed > n && needed <= headerBytes,
                     qPrintable(QStringLiteral("%1 %2").arg(n).arg(needed)));
        }
    }
}

void TestFormats::ggufHugeCountsAreRefusedBeforeAllocation_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<int>("kind");
    const int tooLarge = int(ParseError::Kind::TooLarge);
    const int truncated = int(ParseError::Kind::Truncated);
    const int invalid = int(ParseError::Kind::Invalid);
    const QByteArray key = ggufString("k");
    QTest::newRow("tensor count 2^63") << ggufStart(quint64(1) << 63, 0) << tooLarge;
    QTest::newRow("kv count 2^64-1") << ggufStart(0, ~quint64(0)) << tooLarge;
    QTest::newRow("kv count lies") << ggufStart(0, 1000) + key + le32(4) + le32(1) << truncated;
    QTest::newRow("tensor count lies") << ggufStart(100000, 0) << truncated;
    QTest::newRow("key length 2^64-1")
        << ggufStart(0, 1) + le64(~quint64(0)) + QByteArray(64, 'k') << tooLarge;
    QTest::newRow("key length lies") << ggufStart(0, 1) + le64(60000) + "abc" << truncated;
    QTest::newRow("string length 2^63")
        << ggufStart(0, 1) + key + le32(8) + le64(quint64(1) << 63) << tooLarge;
    QTest::newRow("string length lies")
        << ggufStart(0, 1) + key + le32(8) + le64(1u << 20) + "xyz" << truncated;
    QTest::newRow("array length 2^64-1")
        << ggufStart(0, 1) + key + le32(9) + le32(0) + le64(~quint64(0)) << tooLarge;
    QTest::newRow("array length lies")
        << ggufStart(0, 1) + key + le32(9) + le32(10) + le64(1u << 22) + le64(1) << truncated;
    QTest::newRow("array of huge strings") << ggufStart(0, 1) + key + le32(9) + le32(8) + le64(2) +
                                                  le64(~quint64(0)) + QByteArray(64, 's')
                                           << tooLarge;
    QByteArray deep = ggufStart(0, 1) + key + le32(9);
    for (int i = 0; i < 100; ++i)
        deep += le32(9) + le64(1);
    QTest::newRow("arrays nested 100 deep") << deep << tooLarge;
    QByteArray tensor = ggufStart(1, 0) + ggufString("t");
    QTest::newRow("tensor with 1000 dims") << tensor + le32(1000) + QByteArray(64, '\0') << invalid;
    QTest::newRow("tensor dims overflow")
        << tensor + le32(2) + le64(quint64(1) << 40) + le64(quint64(1) << 40) + le32(0) + le64(0)
        << invalid;
    QTest::newRow("tensor name length 2^63")
        << ggufStart(1, 0) + le64(quint64(1) << 63) + QByteArray(16, 'x') << tooLarge;
    QTest::newRow("tensor larger than the file")
        << tensor + le32(1) + le64(1u << 20) + le32(0) + le64(0) + QByteArray(64, '\0')
        << truncated;
    QTest::newRow("tensor offset past the file")
        << tensor + le32(1) + le64(8) + le32(0) + le64(quint64(1) << 62) + QByteArray(64, '\0')
        << truncated;
}

void TestFormats::ggufHugeCountsAreRefusedBeforeAllocation()
{
    QFETCH(QByteArray, file);
    QFETCH(int, kind);
    ParseError error;
    QVERIFY(!readGguf(file, &error));
    QVERIFY2(int(error.kind) == kind, qPrintable(error.message));
    QVERIFY(!error.message.isEmpty());
}

void TestFormats::ggufInvalidValues_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("says");
    const QByteArray key = ggufString("k");
    QTest::newRow("bad magic") << QByteArray("GGUX") + le32(3) + le64(0) + le64(0)
                               << QStringLiteral("not a GGUF file");
    QTest::newRow("version 1") << QByteArray("GGUF") + le32(1) + le64(0) + le64(0)
                               << QStringLiteral("version 1");
    QTest::newRow("version 9") << QByteArray("GGUF") + le32(9) + le64(0) + le64(0)
                               << QStringLiteral("unknown GGUF version 9");
    QTest::newRow("unknown type") << ggufStart(0, 1) + key + le32(13) + le64(0)
                                  << QStringLiteral("unknown type 13");
    QTest::newRow("unknown element type") << ggufStart(0, 1) + key + le32(9) + le32(77) + le64(0)
                                          << QStringLiteral("element type 77");
    QTest::newRow("duplicate key") << ggufStart(0, 2) + key + le32(0) + "a" + key + le32(0) + "b"
                                   << QStringLiteral("appears twice");
    QTest::newRow("alignment 3") << ggufStart(0, 1) + ggufString("general.alignment") + le32(4) +
                                        le32(3)
                                 << QStringLiteral("power of two");
    QTest::newRow("alignment as string")
        << ggufStart(0, 1) + ggufString("general.alignment") + le32(8) + ggufString("32")
        << QStringLiteral("power of two");
    QByteArray tensor = ggufStart(1, 0) + ggufString("t");
    QTest::newRow("misaligned tensor")
        << tensor + le32(1) + le64(8) + le32(0) + le64(4) + QByteArray(64, '\0')
        << QStringLiteral("alignment");
    QTest::newRow("partial block")
        << tensor + le32(1) + le64(33) + le32(8) + le64(0) + QByteArray(128, '\0')
        << QStringLiteral("not a multiple of 32");
    QTest::newRow("duplicate tensor")
        << ggufStart(2, 0) + ggufString("t") + le32(1) + le64(1) + le32(0) + le64(0) +
               ggufString("t") + le32(1) + le64(1) + le32(0) + le64(32) + QByteArray(128, '\0')
        << QStringLiteral("appears twice");
}

void TestFormats::ggufInvalidValues()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, says);
    ParseError error;
    QVERIFY(!readGguf(file, &error));
    QVERIFY2(error.message.contains(says), qPrintable(error.message));
}

void TestFormats::ggufLongArraysAreSummarised()
{
    const auto h = readGguf(sampleGguf().build(), nullptr);
    const GgufValue* tokens = h->find(QStringLiteral("tokenizer.ggml.tokens"));
    QCOMPARE(tokens->toJson(5).toArray().size(), 5);
    QCOMPARE(tokens->toJson().toArray().size(), 300);
}

// The npm package @huggingface/gguf (a reader written independently) must see the same
// metadata, types, tensor infos and offsets in the files our test writer produces.
void TestFormats::ggufMatchesHuggingFaceGgufPackage()
{
    QTemporaryDir dir;
    QStringList files;
    QList<QByteArray> contents;
    auto add = [&](const QString& name, const GgufWriter& w) {
        files.append(dir.filePath(name));
        contents.append(w.build());
        QVERIFY(writeFile(files.last(), contents.last()));
    };
    add(QStringLiteral("v3.gguf"), sampleGguf(3));
    add(QStringLiteral("v2.gguf"), sampleGguf(2));
    add(QStringLiteral("v3-be.gguf"), sampleGguf(3, true));
    GgufWriter aligned = sampleGguf();
    aligned.alignment = 64;
    add(QStringLiteral("align64.gguf"), aligned);
    GgufWriter empty;
    add(QStringLiteral("empty.gguf"), empty);

    const QString script =
        QString(mf::test::testsSourceDir() + QStringLiteral("/peers/gguf-dump.mjs"));
    QProcess node;
    node.setWorkingDirectory(QString(mf::test::testsSourceDir() + QStringLiteral("/peers")));
    node.start(QStringLiteral("node"), QStringList{script} + files);
    QVERIFY2(node.waitForFinished(60000), "node did not finish");
    const QByteArray out = node.readAllStandardOutput();
    QVERIFY2(node.exitCode() == 0, node.readAllStandardError().constData());
    const QJsonArray results = QJsonDocument::fromJson(out).array();
    QCOMPARE(results.size(), files.size());
    for (int i = 0; i < files.size(); ++i) {
        const QJsonObject theirs = results[i].toObject();
        QVERIFY2(!theirs.contains(QLatin1String("error")),
                 qPrintable(theirs.value(QLatin1String("error")).toString()));
        ParseError error;
        const auto ours = readGguf(contents[i], &error);
        QVERIFY2(ours, qPrintable(error.message));
        QCOMPARE(theirs.value(QLatin1String("version")).toInt(), int(ours->version));
        QCOMPARE(theirs.value(QLatin1String("littleEndian")).toBool(), !ours->bigEndian);
        const QJsonObject theirMeta = theirs.value(QLatin1String("metadata")).toObject();
        const QJsonObject ourMeta = typedMetadata(*ours);
        QCOMPARE(ourMeta.keys(), theirMeta.keys());
        for (const QString& key : ourMeta.keys())
            QVERIFY2(ourMeta.value(key) == theirMeta.value(key),
                     qPrintable(key + QStringLiteral(": ours ") +
                                QString::fromUtf8(QJsonDocument(ourMeta.value(key).toObject())
                                                      .toJson(QJsonDocument::Compact)) +
                                QStringLiteral(" theirs ") +
                                QString::fromUtf8(QJsonDocument(theirMeta.value(key).toObject())
                                                      .toJson(QJsonDocument::Compact))));
        QCOMPARE(tensorInfos(*ours), theirs.value(QLatin1String("tensorInfos")).toArray());
        QCOMPARE(theirs.value(QLatin1String("tensorDataOffset")).toString(),
                 QString::number(ours->tensorDataOffset));
        QCOMPARE(theirs.value(QLatin1String("parameterCount")).toInteger(),
                 qint64(ours->parameterCount));
    }
}

void TestFormats::safetensorsReadsHeader()
{
    const QByteArray file = buildSafetensors(
        {{QStringLiteral("model.embed.weight"), QStringLiteral("BF16"), {32, 16}, 2},
         {QStringLiteral("model.norm.weight"), QStringLiteral("F32"), {16}, 4},
         {QStringLiteral("model.layers.0.mlp.weight"), QStringLiteral("BF16"), {16, 16}, 2},
         {QStringLiteral("model.mask"), QStringLiteral("BOOL"), {3, 0}, 1},
         {QStringLiteral("model.ids"), QStringLiteral("I64"), {4}, 8}},
        {{QStringLiteral("format"), QStringLiteral("pt")}});
    ParseError error;
    const auto h = readSafetensors(file, &error);
    QVERIFY2(h, qPrintable(error.message));
    QCOMPARE(h->tensors.size(), 5);
    QCOMPARE(h->parameterCount, quint64(32 * 16 + 16 + 256 + 0 + 4));
    QCOMPARE(h->dtypes.size(), 4);
    QCOMPARE(h->dominantDtype, QStringLiteral("BF16"));
    QCOMPARE(h->metadata.value(QLatin1String("format")).toString(), QStringLiteral("pt"));
    const QJsonObject s = summarizeSafetensors(*h);
    QCOMPARE(s.value(QLatin1String("format")).toString(), QStringLiteral("safetensors"));
    QCOMPARE(s.value(QLatin1String("tensorCount")).toInt(), 5);
    QCOMPARE(s.value(QLatin1String("parameters")).toInteger(), qint64(h->parameterCount));
    QCOMPARE(s.value(QLatin1String("quantization")).toString(), QStringLiteral("BF16"));
}

void TestFormats::safetensorsTruncatedAtEveryOffset()
{
    const QByteArray file =
        buildSafetensors({{QStringLiteral("a"), QStringLiteral("F16"), {4, 4}, 2},
                          {QStringLiteral("b"), QStringLiteral("F32"), {3}, 4}});
    for (qint64 n = 0; n < file.size(); ++n) {
        ParseError error;
        QVERIFY2(!readSafetensors(file.left(n), &error),
                 qPrintable(QStringLiteral("accepted a file cut at %1").arg(n)));
        QCOMPARE(error.kind, ParseError::Kind::Truncated);
        QVERIFY(error.message.contains(QLatin1String("byte")));
    }
    QVERIFY(readSafetensors(file, nullptr));
}

void TestFormats::safetensorsBadHeaders_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("says");
    const int invalid = int(ParseError::Kind::Invalid);
    const QByteArray good = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    QTest::newRow("header length lies")
        << rawSafetensors(good, 8, 4096) << int(ParseError::Kind::Truncated)
        << QStringLiteral("file ends");
    QTest::newRow("header length 2^63")
        << rawSafetensors(good, 8, quint64(1) << 63) << int(ParseError::Kind::TooLarge)
        << QStringLiteral("limit");
    QTest::newRow("header length just over the cap")
        << rawSafetensors(good, 8, limits::kSafetensorsMaxHeaderBytes + 1)
        << int(ParseError::Kind::TooLarge) << QStringLiteral("limit");
    QTest::newRow("bad JSON") << rawSafetensors(R"({"t":{"dtype":"F32",)", 8) << invalid
                              << QStringLiteral("not valid");
    QTest::newRow("not an object")
        << rawSafetensors("[1,2]", 8) << invalid << QStringLiteral("not a JSON object");
    QTest::newRow("offsets out of range")
        << rawSafetensors(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 8)
        << int(ParseError::Kind::Truncated) << QStringLiteral("past the end");
    QTest::newRow("offsets do not match the shape")
        << rawSafetensors(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8) << invalid
        << QStringLiteral("need 96 bits");
    QTest::newRow("offsets reversed")
        << rawSafetensors(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8) << invalid
        << QStringLiteral("invalid data_offsets");
    QTest::newRow("huge shape")
        << rawSafetensors(
               R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)
        << invalid << QStringLiteral("invalid shape");
    QTest::newRow("negative dim")
        << rawSafetensors(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)
        << invalid << QStringLiteral("invalid shape");
    QTest::newRow("unknown dtype")
        << rawSafetensors(R"({"t":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}})", 8)
        << invalid << QStringLiteral("no known dtype");
    QTest::newRow("overlap") << rawSafetensors(
                                    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                    8)
                             << invalid << QStringLiteral("overlap");
    QTest::newRow("metadata not strings") << rawSafetensors(R"({"__metadata__":{"a":1}})", 0)
                                          << invalid << QStringLiteral("not a string");
    QByteArray deep(50000, '[');
    QTest::newRow("deep nesting") << rawSafetensors("{\"a\":" + deep, 0) << invalid
                                  << QStringLiteral("not valid");
}

void TestFormats::safetensorsBadHeaders()
{
    QFETCH(QByteArray, file);
    QFETCH(int, kind);
    QFETCH(QString, says);
    ParseError error;
    QVERIFY(!readSafetensors(file, &error));
    QVERIFY2(int(error.kind) == kind, qPrintable(error.message));
    QVERIFY2(error.message.contains(says), qPrintable(error.message));
}

void TestFormats::inspectFileDetectsFormats()
{
    QTemporaryDir dir;
    const QString gguf = dir.filePath(QStringLiteral("model-Q4_K_M.gguf"));
    QVERIFY(writeFile(gguf, sampleGguf().build()));
    QString error;
    QJsonObject meta = inspectFileHeader(gguf, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(meta.value(QLatin1String("quantization")).toString(), QStringLiteral("Q4_K_M"));

    const QString st = dir.filePath(QStringLiteral("model.safetensors"));
    QVERIFY(
        writeFile(st, buildSafetensors({{QStringLiteral("w"), QStringLiteral("F16"), {8}, 2}})));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("config.json")),
                      R"({"architectures":["MistralForCausalLM"],"model_type":"mistral",)"
                      R"("torch_dtype":"bfloat16","max_position_embeddings":32768})"));
    meta = inspectFileHeader(st, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(meta.value(QLatin1String("format")).toString(), QStringLiteral("safetensors"));
    QCOMPARE(meta.value(QLatin1String("architecture")).toString(),
             QStringLiteral("MistralForCausalLM"));
    QCOMPARE(meta.value(QLatin1String("torchDtype")).toString(), QStringLiteral("bfloat16"));
    QCOMPARE(meta.value(QLatin1String("contextLength")).toInteger(), 32768);
    QCOMPARE(meta.value(QLatin1String("parameters")).toInteger(), 8);

    meta = inspectFileHeader(dir.filePath(QStringLiteral("config.json")), &error);
    QCOMPARE(meta.value(QLatin1String("format")).toString(), QStringLiteral("hf-config"));
    QCOMPARE(meta.value(QLatin1String("modelType")).toString(), QStringLiteral("mistral"));

    const QString readme = dir.filePath(QStringLiteral("README.md"));
    QVERIFY(writeFile(readme, "# hello\n"));
    meta = inspectFileHeader(readme, &error);
    QVERIFY(meta.isEmpty());
    QVERIFY(error.isEmpty());

    // A file named .gguf that is not one, and a truncated one: an error naming the file.
    const QString fake = dir.filePath(QStringLiteral("fake.gguf"));
    QVERIFY(writeFile(fake, "hello, not a model"));
    QVERIFY(inspectFileHeader(fake, &error).isEmpty());
    QVERIFY2(error.contains(QLatin1String("fake.gguf")) &&
                 error.contains(QLatin1String("not a GGUF file")),
             qPrintable(error));
    error.clear();
    const QString cut = dir.filePath(QStringLiteral("cut.gguf"));
    QVERIFY(writeFile(cut, sampleGguf().build().left(500)));
    QVERIFY(inspectFileHeader(cut, &error).isEmpty());
    QVERIFY2(error.contains(QLatin1String("truncated at byte")), qPrintable(error));
}

void TestFormats::headerSnifferFindsTheHeaderInAStream()
{
    GgufWriter w = sampleGguf();
    const QByteArray file = w.build();
    HeaderSniffer sniffer(QStringLiteral("org/repo/model.gguf"), file.size());
    qint64 fed = 0;
    while (fed < file.size() && sniffer.feed(file.mid(fed, 100)))
        fed += 100;
    QVERIFY(sniffer.isDone());
    QVERIFY2(sniffer.error().isEmpty(), qPrintable(sniffer.error()));
    QVERIFY(fed < file.size()); // done before the data
    QCOMPARE(sniffer.metadata().value(QLatin1String("architecture")).toString(),
             QStringLiteral("llama"));

    const QByteArray st =
        buildSafetensors({{QStringLiteral("w"), QStringLiteral("F32"), {1000}, 4}});
    HeaderSniffer s2(QStringLiteral("model.safetensors"), -1);
    s2.feed(st.left(50));
    QVERIFY(!s2.isDone());
    s2.feed(st.mid(50));
    QVERIFY(s2.isDone());
    QCOMPARE(s2.metadata().value(QLatin1String("parameters")).toInteger(), 1000);

    HeaderSniffer s3(QStringLiteral("cut.gguf"), -1);
    s3.feed(file.left(300));
    s3.finish();
    QVERIFY(s3.isDone());
    QVERIFY2(s3.error().contains(QLatin1String("truncated")), qPrintable(s3.error()));

    HeaderSniffer s4(QStringLiteral("tokenizer.model"), 5000);
    s4.feed(QByteArray(64, 'x'));
    QVERIFY(s4.isDone());
    QVERIFY(s4.metadata().isEmpty());
}

void TestFormats::floatStoresFormatMetadata()
{
    TestVault tv;
    QVERIFY(tv.ok());
    const QString folder = tv.path(QStringLiteral("model"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeFile(folder + QStringLiteral("/tiny-Q4_K_M.gguf"), sampleGguf().build()));
    QVERIFY(writeFile(folder + QStringLiteral("/README.md"), "notes\n"));
    QVERIFY(writeFile(folder + QStringLiteral("/broken.gguf"), sampleGguf().build().left(700)));
    FloatJob::Request request;
    request.paths = {folder};
    request.modelName = QStringLiteral("tiny");
    request.options.chunker = SmallChunks;
    FloatJob job(tv.vault.get(), request);
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    const auto model = tv.registry().modelRows().modelByName(QStringLiteral("tiny"));
    QVERIFY(model);
    QHash<QString, QJsonObject> metadata;
    for (const FileRecord& f : tv.registry().modelRows().files(model->id))
        metadata.insert(f.path, f.metadata);
    QCOMPARE(metadata.size(), 3);
    const QJsonObject gguf = metadata.value(QStringLiteral("tiny-Q4_K_M.gguf"));
    QCOMPARE(gguf.value(QLatin1String("format")).toString(), QStringLiteral("gguf"));
    QCOMPARE(gguf.value(QLatin1String("quantization")).toString(), QStringLiteral("Q4_K_M"));
    QCOMPARE(gguf.value(QLatin1String("architecture")).toString(), QStringLiteral("llama"));
    QCOMPARE(gguf.value(QLatin1String("parameters")).toInteger(),
             qint64(256 * 300 + 256 + 256 * 256 + 256 * 64 * 2 + 256 + 8));
    QVERIFY(metadata.value(QStringLiteral("README.md")).isEmpty());
    const QJsonObject broken = metadata.value(QStringLiteral("broken.gguf"));
    QVERIFY2(
        broken.value(QLatin1String("formatError")).toString().contains(QLatin1String("truncated")),
        QJsonDocument(broken).toJson().constData());
    bool warned = false;
    for (const QList<QVariant>& w : std::as_const(warnings))
        warned = warned || w.value(0).toString().contains(QLatin1String("broken.gguf"));
    QVERIFY(warned);

    // `info` shows what was stored.
    QString out;
    QVERIFY2(runProcess(mf::test::cliPath(),
                        {QStringLiteral("info"), QStringLiteral("tiny"), QStringLiteral("--vault"),
                         tv.path(QStringLiteral("vault"))},
                        &out),
             qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral(
                 "GGUF · llama · 176K parameters · Q4_K_M · context 8192 · chat template")),
             qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("unreadable header")), qPrintable(out));
}

void TestFormats::inspectCommand()
{
    QTemporaryDir dir;
    const QString gguf = dir.filePath(QStringLiteral("tiny.gguf"));
    QVERIFY(writeFile(gguf, sampleGguf().build()));
    QString out;
    QVERIFY2(runProcess(mf::test::cliPath(), {QStringLiteral("inspect"), gguf}, &out),
             qPrintable(out));
    for (const char* expected :
         {"GGUF v3", "llama", "Q4_K_M", "8192", "Tiny Llama Ünïcode", "tokenizer.ggml.tokens",
          "[300 × str]", "tok0", "test.nested", "llama.rope.freq_base", "500000"})
        QVERIFY2(out.contains(QString::fromUtf8(expected)),
                 qPrintable(
                     QStringLiteral("missing “%1” in:\n%2").arg(QString::fromUtf8(expected), out)));
    QVERIFY(!out.contains(QLatin1String("tok299"))); // long arrays are summarised
    QVERIFY(!out.contains(QLatin1String("blk.0.attn_q.weight")));

    QVERIFY(runProcess(mf::test::cliPath(),
                       {QStringLiteral("inspect"), QStringLiteral("--tensors"), gguf}, &out));
    QVERIFY2(out.contains(QLatin1String("blk.0.attn_q.weight")) &&
                 out.contains(QLatin1String("Q6_K")),
             qPrintable(out));

    QVERIFY(runProcess(
        mf::test::cliPath(),
        {QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--tensors"), gguf},
        &out));
    const QJsonObject doc = QJsonDocument::fromJson(out.toUtf8()).object();
    QCOMPARE(doc.value(QLatin1String("summary"))
                 .toObject()
                 .value(QLatin1String("quantization"))
                 .toString(),
             QStringLiteral("Q4_K_M"));
    QCOMPARE(doc.value(QLatin1String("tensors")).toArray().size(), 7);
    QCOMPARE(doc.value(QLatin1String("metadata"))
                 .toObject()
                 .value(QLatin1String("general.architecture"))
                 .toObject()
                 .value(QLatin1String("value"))
                 .toString(),
             QStringLiteral("llama"));

    const QString cut = dir.filePath(QStringLiteral("cut.gguf"));
    QVERIFY(writeFile(cut, sampleGguf().build().left(100)));
    QVERIFY(!runProcess(mf::test::cliPath(), {QStringLiteral("inspect"), cut}, &out));
    QVERIFY2(out.contains(QLatin1String("truncated at byte")), qPrintable(out));
}

QTEST_GUILESS_MAIN(TestFormats)
#include "tst_formats.moc"
