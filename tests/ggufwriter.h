#pragma once

// Writes GGUF files for the tests, independently of the reader in core/formats: every metadata
// value type, arrays nested to any depth, tensors of any GGML type with their data, v2 or v3,
// little- or big-endian. Also a safetensors writer. Used by tst_formats and to make the fuzz
// seed corpus.

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QVariant>
#include <QtEndian>

#include <cstring>

namespace mf::test {

// A GGUF metadata value: its type number and its value (arrays: element type and items).
struct GgufTestValue
{
    quint32 type = 0;
    QVariant scalar; // integers as qint64/quint64, floats as double, bool, QString
    quint32 elementType = 0;
    QList<GgufTestValue> items;

    static GgufTestValue u8(quint8 v) { return {0, quint64(v), 0, {}}; }
    static GgufTestValue i8(qint8 v) { return {1, qint64(v), 0, {}}; }
    static GgufTestValue u16(quint16 v) { return {2, quint64(v), 0, {}}; }
    static GgufTestValue i16(qint16 v) { return {3, qint64(v), 0, {}}; }
    static GgufTestValue u32(quint32 v) { return {4, quint64(v), 0, {}}; }
    static GgufTestValue i32(qint32 v) { return {5, qint64(v), 0, {}}; }
    static GgufTestValue f32(float v) { return {6, double(v), 0, {}}; }
    static GgufTestValue boolean(bool v) { return {7, v, 0, {}}; }
    static GgufTestValue str(const QString& v) { return {8, v, 0, {}}; }
    static GgufTestValue u64(quint64 v) { return {10, v, 0, {}}; }
    static GgufTestValue i64(qint64 v) { return {11, v, 0, {}}; }
    static GgufTestValue f64(double v) { return {12, v, 0, {}}; }
    static GgufTestValue array(quint32 elementType, const QList<GgufTestValue>& items)
    {
        return {9, {}, elementType, items};
    }
};

struct GgufTestTensor
{
    QString name;
    QList<quint64> shape;
    quint32 type = 0; // ggml_type
    quint64 bytes = 0;
};

class GgufWriter
{
public:
    quint32 version = 3;
    bool bigEndian = false;
    quint32 alignment = 32; // written as general.alignment when not 32
    QList<QPair<QString, GgufTestValue>> metadata;
    QList<GgufTestTensor> tensors;

    void add(const QString& key, const GgufTestValue& v) { metadata.append({key, v}); }
    // `bytesPerBlock`/`elementsPerBlock` give the data size of the tensor's type.
    void tensor(const QString& name, const QList<quint64>& shape, quint32 type,
                int elementsPerBlock, int bytesPerBlock)
    {
        quint64 n = 1;
        for (quint64 d : shape)
            n *= d;
        tensors.append({name, shape, type, n / quint64(elementsPerBlock) * quint64(bytesPerBlock)});
    }

    QByteArray header() const
    {
        QByteArray out("GGUF");
        u32(out, version);
        u64(out, quint64(tensors.size()));
        const bool writeAlignment = alignment != 32;
        u64(out, quint64(metadata.size() + (writeAlignment ? 1 : 0)));
        for (const auto& [key, value] : metadata) {
            string(out, key);
            u32(out, value.type);
            encode(out, value);
        }
        if (writeAlignment) {
            string(out, QStringLiteral("general.alignment"));
            u32(out, 4);
            u32(out, alignment);
        }
        quint64 offset = 0;
        for (const GgufTestTensor& t : tensors) {
            string(out, t.name);
            u32(out, quint32(t.shape.size()));
            for (quint64 d : t.shape)
                u64(out, d);
            u32(out, t.type);
            u64(out, offset);
            offset = align(offset + t.bytes);
        }
        return out;
    }

    // The whole file: header, padding, and each tensor's data (a byte pattern).
    QByteArray build() const
    {
        QByteArray out = header();
        out.append(QByteArray(qsizetype(align(quint64(out.size())) - quint64(out.size())), '\0'));
        for (int i = 0; i < tensors.size(); ++i) {
            QByteArray data(qsizetype(tensors[i].bytes), char('a' + i % 26));
            out.append(data);
            if (i + 1 < tensors.size())
                out.append(QByteArray(qsizetype(align(tensors[i].bytes) - tensors[i].bytes), '\0'));
        }
        return out;
    }

private:
    quint64 align(quint64 v) const { return (v + alignment - 1) / alignment * alignment; }

    template <class T> void put(QByteArray& out, T v) const
    {
        char raw[sizeof(T)];
        if (bigEndian)
            qToBigEndian(v, raw);
        else
            qToLittleEndian(v, raw);
        out.append(raw, sizeof(T));
    }
    void u32(QByteArray& out, quint32 v) const { put(out, v); }
    void u64(QByteArray& out, quint64 v) const { put(out, v); }
    void string(QByteArray& out, const QString& s) const
    {
        const QByteArray utf8 = s.toUtf8();
        u64(out, quint64(utf8.size()));
        out.append(utf8);
    }
    void encode(QByteArray& out, const GgufTestValue& v) const
    {
        switch (v.type) {
        case 0:
            out.append(char(v.scalar.toULongLong()));
            break;
        case 1:
            out.append(char(qint8(v.scalar.toLongLong())));
            break;
        case 2:
            put(out, quint16(v.scalar.toULongLong()));
            break;
        case 3:
            put(out, qint16(v.scalar.toLongLong()));
            break;
        case 4:
            put(out, quint32(v.scalar.toULongLong()));
            break;
        case 5:
            put(out, qint32(v.scalar.toLongLong()));
            break;
        case 6: {
            const float f = float(v.scalar.toDouble());
            quint32 bits;
            std::memcpy(&bits, &f, 4);
            put(out, bits);
            break;
        }
        case 7:
            out.append(char(v.scalar.toBool() ? 1 : 0));
            break;
        case 8:
            string(out, v.scalar.toString());
            break;
        case 9:
            u32(out, v.elementType);
            u64(out, quint64(v.items.size()));
            for (const GgufTestValue& item : v.items)
                encode(out, item);
            break;
        case 10:
            put(out, quint64(v.scalar.toULongLong()));
            break;
        case 11:
            put(out, qint64(v.scalar.toLongLong()));
            break;
        case 12: {
            const double d = v.scalar.toDouble();
            quint64 bits;
            std::memcpy(&bits, &d, 8);
            put(out, bits);
            break;
        }
        }
    }
};

// A small but complete llama-like GGUF: every value type, nested arrays, a chat template, a
// vocabulary, and tensors of several types (F32, F16, Q8_0, Q4_K, Q6_K).
inline GgufWriter sampleGguf(quint32 version = 3, bool bigEndian = false)
{
    using V = GgufTestValue;
    GgufWriter w;
    w.version = version;
    w.bigEndian = bigEndian;
    w.add(QStringLiteral("general.architecture"), V::str(QStringLiteral("llama")));
    w.add(QStringLiteral("general.name"), V::str(QStringLiteral("Tiny Llama Ünïcode")));
    w.add(QStringLiteral("general.file_type"), V::u32(15)); // Q4_K_M
    w.add(QStringLiteral("general.quantization_version"), V::u32(2));
    w.add(QStringLiteral("llama.context_length"), V::u32(8192));
    w.add(QStringLiteral("llama.embedding_length"), V::u64(256));
    w.add(QStringLiteral("llama.rope.freq_base"), V::f32(500000.0f));
    w.add(QStringLiteral("llama.attention.layer_norm_rms_epsilon"), V::f32(1e-5f));
    w.add(QStringLiteral("test.u8"), V::u8(200));
    w.add(QStringLiteral("test.i8"), V::i8(-100));
    w.add(QStringLiteral("test.u16"), V::u16(60000));
    w.add(QStringLiteral("test.i16"), V::i16(-30000));
    w.add(QStringLiteral("test.i32"), V::i32(-2000000000));
    w.add(QStringLiteral("test.u64_big"), V::u64(18000000000000000000ull));
    w.add(QStringLiteral("test.i64"), V::i64(-9000000000000000000ll));
    w.add(QStringLiteral("test.f64"), V::f64(3.141592653589793));
    w.add(QStringLiteral("test.bool_true"), V::boolean(true));
    w.add(QStringLiteral("test.bool_false"), V::boolean(false));
    w.add(QStringLiteral("test.empty_string"), V::str(QString()));
    w.add(QStringLiteral("test.empty_array"), V::array(4, {}));
    w.add(QStringLiteral("test.f32_array"), V::array(6, {V::f32(0.5f), V::f32(-1.25f)}));
    w.add(QStringLiteral("test.i16_array"), V::array(3, {V::i16(-1), V::i16(2), V::i16(-3)}));
    w.add(QStringLiteral("test.nested"),
          V::array(9, {V::array(8, {V::str(QStringLiteral("a")), V::str(QStringLiteral("bc"))}),
                       V::array(8, {}), V::array(8, {V::str(QStringLiteral("ďé"))})}));
    w.add(
        QStringLiteral("test.nested3"),
        V::array(9, {V::array(9, {V::array(0, {V::u8(1), V::u8(2)}), V::array(10, {V::u64(7)})})}));
    w.add(QStringLiteral("tokenizer.ggml.model"), V::str(QStringLiteral("gpt2")));
    QList<V> tokens;
    QList<V> scores;
    for (int i = 0; i < 300; ++i) {
        tokens.append(V::str(QStringLiteral("tok%1").arg(i)));
        scores.append(V::f32(float(i) / 4));
    }
    w.add(QStringLiteral("tokenizer.ggml.tokens"), V::array(8, tokens));
    w.add(QStringLiteral("tokenizer.ggml.scores"), V::array(6, scores));
    w.add(QStringLiteral("tokenizer.chat_template"),
          V::str(QStringLiteral(
              "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}")));
    w.tensor(QStringLiteral("token_embd.weight"), {256, 300}, 12, 256, 144); // Q4_K
    w.tensor(QStringLiteral("blk.0.attn_norm.weight"), {256}, 0, 1, 4);      // F32
    w.tensor(QStringLiteral("blk.0.attn_q.weight"), {256, 256}, 12, 256, 144);
    w.tensor(QStringLiteral("blk.0.ffn_down.weight"), {256, 64}, 14, 256, 210); // Q6_K
    w.tensor(QStringLiteral("blk.0.ffn_up.weight"), {64, 256}, 8, 32, 34);      // Q8_0
    w.tensor(QStringLiteral("output_norm.weight"), {256}, 1, 1, 2);             // F16
    w.tensor(QStringLiteral("rope_freqs"), {8, 1, 1, 1}, 0, 1, 4);
    return w;
}

struct SafetensorsTestTensor
{
    QString name;
    QString dtype;
    QList<quint64> shape;
    int bytesPerElement;
};

// A safetensors file: the tensors laid out one after another, with `metadata` as __metadata__.
inline QByteArray buildSafetensors(const QList<SafetensorsTestTensor>& tensors,
                                   const QJsonObject& metadata = {})
{
    QJsonObject header;
    if (!metadata.isEmpty())
        header.insert(QStringLiteral("__metadata__"), metadata);
    quint64 offset = 0;
    for (const SafetensorsTestTensor& t : tensors) {
        quint64 n = 1;
        QJsonArray shape;
        for (quint64 d : t.shape) {
            n *= d;
            shape.append(qint64(d));
        }
        const quint64 end = offset + n * quint64(t.bytesPerElement);
        header.insert(t.name, QJsonObject{{QStringLiteral("dtype"), t.dtype},
                                          {QStringLiteral("shape"), shape},
                                          {QStringLiteral("data_offsets"),
                                           QJsonArray{qint64(offset), qint64(end)}}});
        offset = end;
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json.append(' ');
    char length[8];
    qToLittleEndian(quint64(json.size()), length);
    return QByteArray(length, 8) + json + QByteArray(qsizetype(offset), '\x11');
}

// Wraps a JSON header (any bytes) the way safetensors does, with `dataBytes` bytes after it.
inline QByteArray rawSafetensors(const QByteArray& json, qint64 dataBytes,
                                 quint64 claimedLength = ~quint64(0))
{
    char length[8];
    qToLittleEndian(claimedLength == ~quint64(0) ? quint64(json.size()) : claimedLength, length);
    return QByteArray(length, 8) + json + QByteArray(dataBytes, '\0');
}

} // namespace mf::test
