// `modelfloat-cli float --from APP:MODEL`: a model Ollama, the Hugging Face cache or LM Studio
// keeps is floated under a name of the model's, recording where it came from, and its bytes are
// checked against the digest the app named them by as the float reads them. The app stores are
// laid out by the real `modelfloat-cli use` from a floated model (tst_cli_use checks that layout
// against the apps' own readers), and read back by the real CLI.

#include "clisandbox.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

using namespace mf;
using test::CliResult;

namespace {
constexpr int Usage = 2;
constexpr int NotFound = 3;

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

class TestCliFloatFrom final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void fromOllama();
    void ollamaTemplateAndParamsGoBackWithTheModel();
    void fromHfCache();
    void fromLmStudio();
    void damagedCopyIsNeverCompleted();
    void badSpecsAreClear();

private:
    QString root(const QString& app) const { return m_box->path(QStringLiteral("apps/") + app); }
    CliResult run(const QStringList& args) { return m_box->run(args); }
    // The model `name` as `list --json` shows it (empty when there is none).
    QJsonObject listed(const QString& name);
    // `restore NAME` into a new folder: its files' bytes by name.
    QHash<QString, QByteArray> restored(const QString& name);

    std::unique_ptr<test::CliSandbox> m_box;
    QByteArray m_weights; // src/w.gguf
    QByteArray m_config;  // src/config.json
};

void TestCliFloatFrom::initTestCase()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
    const QString input = m_box->path(QStringLiteral("input/src"));
    QVERIFY(QDir().mkpath(input));
    m_weights = test::pseudoRandomBytes(700 * 1024 + 3, 51);
    m_config = "{\"model_type\": \"llama\"}\n";
    QVERIFY(test::writeFile(input + QStringLiteral("/w.gguf"), m_weights));
    QVERIFY(test::writeFile(input + QStringLiteral("/config.json"), m_config));
    const CliResult floated = run({QStringLiteral("float"), input, QStringLiteral("--name"),
                                   QStringLiteral("src"), QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe());
    for (const QString& app :
         {QStringLiteral("ollama"), QStringLiteral("hf-cache"), QStringLiteral("lmstudio")}) {
        const CliResult used =
            run({QStringLiteral("use"), QStringLiteral("src"), QStringLiteral("--in"), app,
                 QStringLiteral("--root"), root(app), QStringLiteral("--quiet")});
        QVERIFY2(used.code == 0, used.describe());
    }
}

QJsonObject TestCliFloatFrom::listed(const QString& name)
{
    const CliResult list = run({QStringLiteral("list"), QStringLiteral("--json")});
    const QJsonArray models =
        QJsonDocument::fromJson(list.out).object().value(QStringLiteral("models")).toArray();
    for (const QJsonValue& m : models)
        if (m.toObject().value(QStringLiteral("name")).toString() == name)
            return m.toObject();
    return {};
}

QHash<QString, QByteArray> TestCliFloatFrom::restored(const QString& name)
{
    const QString to = m_box->path(QStringLiteral("restored/") +
                                   QString(name).replace(QLatin1Char('/'), QLatin1Char('_')));
    const CliResult r = run(
        {QStringLiteral("restore"), name, QStringLiteral("--to"), to, QStringLiteral("--quiet")});
    QHash<QString, QByteArray> files;
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return files;
    }
    for (const QString& rel : test::CliSandbox::filesBelow(to))
        files.insert(rel, readAll(to + QLatin1Char('/') + rel));
    return files;
}

// Ollama keeps the GGUF as blobs/sha256-<hex>: floated as "<name>-<tag>.gguf", its source the
// model's name in Ollama's registry and its tag.
void TestCliFloatFrom::fromOllama()
{
    const CliResult r = run({QStringLiteral("float"), QStringLiteral("--from"),
                             QStringLiteral("ollama:src:latest"), QStringLiteral("--from-root"),
                             root(QStringLiteral("ollama")), QStringLiteral("--quiet")});
    QVERIFY2(r.code == 0, r.describe());
    const QJsonObject m = listed(QStringLiteral("src-latest"));
    QVERIFY2(!m.isEmpty(), r.describe());
    QCOMPARE(m.value(QStringLiteral("source")).toString(),
             QStringLiteral("ollama:registry.ollama.ai/library/src:latest"));
    const auto files = restored(QStringLiteral("src-latest"));
    QCOMPARE(files.keys(), QStringList{QStringLiteral("src-latest.gguf")});
    QVERIFY(files.value(QStringLiteral("src-latest.gguf")) == m_weights);
    // The tag may be left out: "latest".
    const CliResult again =
        run({QStringLiteral("float"), QStringLiteral("--from"), QStringLiteral("ollama:src"),
             QStringLiteral("--from-root"), root(QStringLiteral("ollama")),
             QStringLiteral("--name"), QStringLiteral("again"), QStringLiteral("--quiet")});
    QVERIFY2(again.code == 0, again.describe());
}

// A model Ollama runs with a chat template and parameters: both are floated with it (checked
// against their digests), and `use --in ollama` gives them back as its layers.
void TestCliFloatFrom::ollamaTemplateAndParamsGoBackWithTheModel()
{
    const QString ollama = root(QStringLiteral("ollama"));
    const QString manifests = ollama + QStringLiteral("/manifests/registry.ollama.ai/library/");
    const QJsonObject src =
        QJsonDocument::fromJson(readAll(manifests + QStringLiteral("src/latest"))).object();
    const QJsonObject model = src.value(QStringLiteral("layers")).toArray().first().toObject();
    const QByteArray templ = "{{ .System }}\n{{ .Prompt }}";
    const QByteArray params = R"({"stop":["<|eot_id|>"],"temperature":0.6})";
    auto blob = [&](const QByteArray& bytes) -> QString {
        const QByteArray hex = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
        test::writeFile(ollama + QStringLiteral("/blobs/sha256-") + QString::fromLatin1(hex),
                        bytes);
        return QStringLiteral("sha256:") + QString::fromLatin1(hex);
    };
    const QString templDigest = blob(templ), paramsDigest = blob(params);
    QJsonObject manifest = src;
    manifest.insert(
        QStringLiteral("layers"),
        QJsonArray{model,
                   QJsonObject{{QStringLiteral("mediaType"),
                                QStringLiteral("application/vnd.ollama.image.template")},
                               {QStringLiteral("digest"), templDigest},
                               {QStringLiteral("size"), templ.size()}},
                   QJsonObject{{QStringLiteral("mediaType"),
                                QStringLiteral("application/vnd.ollama.image.params")},
                               {QStringLiteral("digest"), paramsDigest},
                               {QStringLiteral("size"), params.size()}}});
    QVERIFY(QDir().mkpath(manifests + QStringLiteral("chat")));
    QVERIFY(
        test::writeFile(manifests + QStringLiteral("chat/7b"), QJsonDocument(manifest).toJson()));

    const CliResult r =
        run({QStringLiteral("float"), QStringLiteral("--from"), QStringLiteral("ollama:chat:7b"),
             QStringLiteral("--from-root"), ollama, QStringLiteral("--quiet")});
    QVERIFY2(r.code == 0, r.describe());
    const auto files = restored(QStringLiteral("chat-7b"));
    QStringList names = files.keys();
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("chat-7b.gguf"), QStringLiteral("ollama/params"),
                                 QStringLiteral("ollama/template")}));
    QVERIFY(files.value(QStringLiteral("ollama/template")) == templ);
    QVERIFY(files.value(QStringLiteral("ollama/params")) == params);

    // Given back to another Ollama store: the same layers, blobs named by their digests.
    const QString other = m_box->path(QStringLiteral("apps/ollama-other"));
    const CliResult used =
        run({QStringLiteral("use"), QStringLiteral("chat-7b"), QStringLiteral("--in"),
             QStringLiteral("ollama"), QStringLiteral("--root"), other, QStringLiteral("--as"),
             QStringLiteral("chat:7b"), QStringLiteral("--quiet")});
    QVERIFY2(used.code == 0, used.describe());
    const QJsonObject back =
        QJsonDocument::fromJson(
            readAll(other + QStringLiteral("/manifests/registry.ollama.ai/library/chat/7b")))
            .object();
    QHash<QString, QString> digests;
    for (const QJsonValue& v : back.value(QStringLiteral("layers")).toArray())
        digests.insert(v[QLatin1String("mediaType")].toString(),
                       v[QLatin1String("digest")].toString());
    QCOMPARE(digests.value(QStringLiteral("application/vnd.ollama.image.template")), templDigest);
    QCOMPARE(digests.value(QStringLiteral("application/vnd.ollama.image.params")), paramsDigest);
    QCOMPARE(digests.value(QStringLiteral("application/vnd.ollama.image.model")),
             model.value(QStringLiteral("digest")).toString());
    const QString blobs = other + QStringLiteral("/blobs/sha256-");
    QVERIFY(readAll(blobs + templDigest.mid(7)) == templ);
    QVERIFY(readAll(blobs + paramsDigest.mid(7)) == params);
}

// A snapshot of the Hugging Face cache, every file of it, recorded as a Hub import of that
// commit (so the local API's Hub routes answer it by its repo id).
void TestCliFloatFrom::fromHfCache()
{
    const CliResult r =
        run({QStringLiteral("float"), QStringLiteral("--from"),
             QStringLiteral("hf-cache:modelfloat/src"), QStringLiteral("--from-root"),
             root(QStringLiteral("hf-cache")), QStringLiteral("--quiet")});
    QVERIFY2(r.code == 0, r.describe());
    const QJsonObject m = listed(QStringLiteral("modelfloat/src"));
    QVERIFY2(!m.isEmpty(), r.describe());
    const QString source = m.value(QStringLiteral("source")).toString();
    QVERIFY2(source.startsWith(QLatin1String("hf:modelfloat/src@")), qPrintable(source));
    const QString commit = source.section(QLatin1Char('@'), 1);
    QVERIFY2(QFileInfo::exists(root(QStringLiteral("hf-cache")) +
                               QStringLiteral("/models--modelfloat--src/snapshots/") + commit),
             qPrintable(commit));
    const auto files = restored(QStringLiteral("modelfloat/src"));
    QCOMPARE(files.size(), 2);
    QVERIFY(files.value(QStringLiteral("w.gguf")) == m_weights);
    QVERIFY(files.value(QStringLiteral("config.json")) == m_config);
}

void TestCliFloatFrom::fromLmStudio()
{
    const CliResult r =
        run({QStringLiteral("float"), QStringLiteral("--from"),
             QStringLiteral("lmstudio:modelfloat/src"), QStringLiteral("--from-root"),
             root(QStringLiteral("lmstudio")), QStringLiteral("--name"), QStringLiteral("studio"),
             QStringLiteral("--quiet")});
    QVERIFY2(r.code == 0, r.describe());
    QCOMPARE(listed(QStringLiteral("studio")).value(QStringLiteral("source")).toString(),
             QStringLiteral("lmstudio:modelfloat/src"));
    const auto files = restored(QStringLiteral("studio"));
    QCOMPARE(files.keys(), QStringList{QStringLiteral("w.gguf")});
    QVERIFY(files.value(QStringLiteral("w.gguf")) == m_weights);
}

// A copy of Ollama's store (its own files, not links) with one byte of the blob changed: the
// float reads it, finds that its bytes do not hash to the blob's name, and fails saying so; the
// model is never complete, however often it is floated again.
void TestCliFloatFrom::damagedCopyIsNeverCompleted()
{
    const QString copy = m_box->path(QStringLiteral("apps/ollama-copy"));
    QVERIFY(test::runProcess(QStringLiteral("cp"),
                             {QStringLiteral("-r"), root(QStringLiteral("ollama")), copy}));
    const QString blob =
        copy + QStringLiteral("/blobs/sha256-") +
        QString::fromLatin1(
            QCryptographicHash::hash(m_weights, QCryptographicHash::Sha256).toHex());
    QByteArray damaged = readAll(blob);
    QCOMPARE(damaged.size(), m_weights.size());
    damaged[1000] = char(damaged.at(1000) ^ 0x40);
    QVERIFY(test::writeFile(blob, damaged));
    for (int attempt = 0; attempt < 2; ++attempt) {
        const CliResult r =
            run({QStringLiteral("float"), QStringLiteral("--from"), QStringLiteral("ollama:src"),
                 QStringLiteral("--from-root"), copy, QStringLiteral("--name"),
                 QStringLiteral("bad"), QStringLiteral("--quiet")});
        QVERIFY2(r.code != 0, r.describe());
        QVERIFY2(r.err.contains("is damaged") && r.err.contains("src-latest.gguf"), r.describe());
        QCOMPARE(listed(QStringLiteral("bad")).value(QStringLiteral("health")).toString(),
                 QStringLiteral("incomplete"));
    }
    const CliResult restore =
        run({QStringLiteral("restore"), QStringLiteral("bad"), QStringLiteral("--to"),
             m_box->path(QStringLiteral("bad-out")), QStringLiteral("--quiet")});
    QVERIFY2(restore.code != 0, restore.describe());
}

void TestCliFloatFrom::badSpecsAreClear()
{
    const QString ollama = root(QStringLiteral("ollama"));
    const struct
    {
        QStringList args;
        int code;
        QByteArray says;
    } cases[] = {
        {{QStringLiteral("--from"), QStringLiteral("ollama:nothing:7b"),
          QStringLiteral("--from-root"), ollama},
         NotFound,
         "Ollama has no model “nothing:7b”"},
        {{QStringLiteral("--from"), QStringLiteral("jan:model")}, NotFound, "is not an app"},
        {{QStringLiteral("--from"), QStringLiteral("ollama:../../etc")},
         NotFound,
         "names no model of an app"},
        {{QStringLiteral("--from"), QStringLiteral("hf-cache:acme/none"),
          QStringLiteral("--from-root"), root(QStringLiteral("hf-cache"))},
         NotFound,
         "has no model files of “acme/none”"},
        {{QStringLiteral("--from"), QStringLiteral("ollama:src"), m_box->path(QStringLiteral("x"))},
         Usage,
         "usage: modelfloat-cli float"},
        {{}, Usage, "usage: modelfloat-cli float"},
    };
    for (const auto& c : cases) {
        const CliResult r = run(QStringList{QStringLiteral("float")} + c.args);
        QVERIFY2(r.code == c.code, r.describe());
        QVERIFY2(r.err.contains(c.says), r.describe());
    }
}

QTEST_GUILESS_MAIN(TestCliFloatFrom)
#include "tst_cli_floatfrom.moc"
