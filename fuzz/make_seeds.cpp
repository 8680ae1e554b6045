// Writes the seed corpora for the fuzz targets with the tests' own file writers
// (tests/ggufwriter.h): valid GGUF v2/v3/big-endian files, small variants, and safetensors files.
// Usage: make_seeds DIR   (creates DIR/gguf and DIR/safetensors)
#include "ggufwriter.h"

#include <QDir>
#include <QFile>

using namespace mf::test;

namespace {
bool write(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}
} // namespace

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    const QDir root(QString::fromLocal8Bit(argv[1]));
    root.mkpath(QStringLiteral("gguf"));
    root.mkpath(QStringLiteral("safetensors"));
    bool ok = true;
    auto gguf = [&](const QString& name, const GgufWriter& w) {
        GgufWriter small = w;
        // Seeds stay small: the vocabulary is cut to a few entries.
        for (auto& [key, value] : small.metadata)
            if (value.items.size() > 4)
                value.items.resize(4);
        ok = write(root.filePath(QStringLiteral("gguf/") + name), small.build()) && ok;
        ok = write(root.filePath(QStringLiteral("gguf/header-") + name), small.header()) && ok;
    };
    gguf(QStringLiteral("v3.gguf"), sampleGguf(3));
    gguf(QStringLiteral("v2.gguf"), sampleGguf(2));
    gguf(QStringLiteral("be.gguf"), sampleGguf(3, true));
    GgufWriter aligned = sampleGguf();
    aligned.alignment = 64;
    gguf(QStringLiteral("align64.gguf"), aligned);
    gguf(QStringLiteral("empty.gguf"), GgufWriter());

    ok = write(root.filePath(QStringLiteral("safetensors/two.safetensors")),
               buildSafetensors({{QStringLiteral("a"), QStringLiteral("BF16"), {4, 2}, 2},
                                 {QStringLiteral("b"), QStringLiteral("F32"), {3}, 4}},
                                {{QStringLiteral("format"), QStringLiteral("pt")}})) &&
         ok;
    ok = write(root.filePath(QStringLiteral("safetensors/empty.safetensors")),
               buildSafetensors({})) &&
         ok;
    ok = write(root.filePath(QStringLiteral("safetensors/shapes.safetensors")),
               buildSafetensors(
                   {{QStringLiteral("x"), QStringLiteral("I64"), {2, 0, 3}, 8},
                    {QStringLiteral("y"), QStringLiteral("U8"), {5}, 1},
                    {QStringLiteral("z"), QStringLiteral("F8_E4M3"), {1, 1, 1, 1}, 1}})) &&
         ok;
    return ok ? 0 : 1;
}
