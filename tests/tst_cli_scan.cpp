// `modelfloat-cli scan` over stores laid out as Ollama, LM Studio, the Hugging Face cache and
// llama.cpp write them (docs/appstores.md says where each layout comes from): every model file
// listed once with its places, links counted once, digests checked with --verify, and hostile
// store entries skipped with a warning.
#include "appstores/appstore.h"
#include "chunking/sha256.h"
#include "clitestsupport.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::appstores;

namespace {

constexpr qint64 ModelBytes = 300 * 1024 + 7;
const QString Commit = QStringLiteral("0123456789abcdef0123456789abcdef01234567");

bool write(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).path());
    return test::writeFile(path, bytes);
}

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(Sha256::hash(bytes).toHex());
}

QByteArray ollamaManifest(const QString& modelHex, qint64 size, const QString& templateHex)
{
    const QJsonObject doc{
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("mediaType"),
         QStringLiteral("application/vnd.docker.distribution.manifest.v2+json")},
        {QStringLiteral("config"),
         QJsonObject{{QStringLiteral("mediaType"),
                      QStringLiteral("application/vnd.docker.container.image.v1+json")},
                     {QStringLiteral("digest"), QString(QStringLiteral("sha256:") + templateHex)},
                     {QStringLiteral("size"), 12}}},
        {QStringLiteral("layers"),
         QJsonArray{
             QJsonObject{{QStringLiteral("mediaType"),
                          QStringLiteral("application/vnd.ollama.image.model")},
                         {QStringLiteral("digest"), QString(QStringLiteral("sha256:") + modelHex)},
                         {QStringLiteral("size"), size}},
             QJsonObject{
                 {QStringLiteral("mediaType"),
                  QStringLiteral("application/vnd.ollama.image.template")},
                 {QStringLiteral("digest"), QString(QStringLiteral("sha256:") + templateHex)},
                 {QStringLiteral("size"), 12}}}}};
    return QJsonDocument(doc).toJson(QJsonDocument::Compact);
}

} // namespace

class TestCliScan : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QByteArray m_model;
    QString m_hex;

    QString path(const QString& relative) const { return m_dir.filePath(relative); }

    // The same GGUF in all four stores: Ollama's blob, LM Studio's folder, two snapshots of one
    // Hugging Face cache repo (links to one blob) and llama.cpp's flat cache with its .etag.
    bool layOutStores()
    {
        const QByteArray prompt = QByteArrayLiteral("{{ .Prompt }}");
        const QString promptHex = hex(prompt);
        const QString ollama = path(QStringLiteral("ollama"));
        const QString hfRepo = path(QStringLiteral("hf/models--org--tiny-GGUF"));
        const QString older = QStringLiteral("fedcba9876543210fedcba9876543210fedcba98");
        bool ok =
            write(ollama + QStringLiteral("/blobs/sha256-") + m_hex, m_model) &&
            write(ollama + QStringLiteral("/blobs/sha256-") + promptHex, prompt) &&
            write(ollama + QStringLiteral("/manifests/registry.ollama.ai/library/tiny/latest"),
                  ollamaManifest(m_hex, ModelBytes, promptHex)) &&
            write(path(QStringLiteral("lms/org/tiny-GGUF/tiny.Q4_K_M.gguf")), m_model) &&
            write(hfRepo + QStringLiteral("/blobs/") + m_hex, m_model) &&
            write(hfRepo + QStringLiteral("/refs/main"), Commit.toLatin1()) &&
            write(path(QStringLiteral("llama/org_tiny-GGUF_tiny.Q4_K_M.gguf")), m_model) &&
            write(path(QStringLiteral("llama/org_tiny-GGUF_tiny.Q4_K_M.gguf.etag")),
                  "\"" + m_hex.toLatin1() + "\"");
        for (const QString& snapshot : {Commit, older}) {
            const QString dir = hfRepo + QStringLiteral("/snapshots/") + snapshot;
            ok = ok && QDir().mkpath(dir) &&
                 QFile::link(QStringLiteral("../../blobs/") + m_hex,
                             dir + QStringLiteral("/tiny.Q4_K_M.gguf"));
        }
        return ok;
    }

    test::CliRun scan(const QStringList& extra = {}) const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
        for (const char* name :
             {"OLLAMA_MODELS", "HF_HUB_CACHE", "HF_HOME", "LLAMA_CACHE", "XDG_CACHE_HOME"})
            env.remove(QString::fromLatin1(name));
        return test::runWithInput(
            mf::test::cliPath(),
            QStringList{QStringLiteral("scan"), QStringLiteral("--json"),
                        QStringLiteral("--ollama"), path(QStringLiteral("ollama")),
                        QStringLiteral("--lmstudio"), path(QStringLiteral("lms")),
                        QStringLiteral("--hf-cache"), path(QStringLiteral("hf")),
                        QStringLiteral("--llama-cache"), path(QStringLiteral("llama"))} +
                extra,
            {}, env);
    }

    static QJsonObject json(const test::CliRun& run)
    {
        return QJsonDocument::fromJson(run.out).object();
    }

    // The places of the one model, by app key ("hf-cache" twice: two snapshots).
    static QMultiHash<QString, QJsonObject> placesOf(const QJsonObject& model)
    {
        QMultiHash<QString, QJsonObject> places;
        for (const QJsonValue& v : model.value(QStringLiteral("places")).toArray())
            places.insert(v[QStringLiteral("app")].toString(), v.toObject());
        return places;
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        for (const QString& sub : QDir(m_dir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            QVERIFY(QDir(path(sub)).removeRecursively());
        m_model = "GGUF" + test::pseudoRandomBytes(ModelBytes - 4, 5);
        m_hex = hex(m_model);
        QVERIFY(layOutStores());
    }

    void listsEachModelOnceWithEveryPlace()
    {
        const test::CliRun run = scan();
        QVERIFY2(run.code == 0, run.describe());
        const QJsonObject doc = json(run);
        const QJsonArray models = doc.value(QStringLiteral("models")).toArray();
        QCOMPARE(models.size(), 1);
        const QJsonObject model = models.first().toObject();
        QCOMPARE(model.value(QStringLiteral("sha256")).toString(), m_hex);
        QCOMPARE(model.value(QStringLiteral("name")).toString(),
                 QStringLiteral("tiny.Q4_K_M.gguf"));
        const auto places = placesOf(model);
        QCOMPARE(places.size(), 5);
        QCOMPARE(places.count(QStringLiteral("hf-cache")), 2);
        // The two snapshots are one file: four copies on disk, three of them duplicates.
        QCOMPARE(model.value(QStringLiteral("copies")).toInt(), 4);
        QCOMPARE(doc.value(QStringLiteral("bytes_on_disk")).toInteger(), 4 * ModelBytes);
        QCOMPARE(doc.value(QStringLiteral("duplicate_bytes")).toInteger(), 3 * ModelBytes);
        // Where each came from, as its app recorded it.
        const QJsonObject ollama = places.value(QStringLiteral("ollama"));
        QCOMPARE(ollama.value(QStringLiteral("label")).toString(), QStringLiteral("tiny:latest"));
        QCOMPARE(ollama[QStringLiteral("origin")][QStringLiteral("template")].toString(),
                 hex(QByteArrayLiteral("{{ .Prompt }}")));
        bool sawMain = false;
        for (const QJsonObject& hf : places.values(QStringLiteral("hf-cache"))) {
            QCOMPARE(hf[QStringLiteral("origin")][QStringLiteral("repo")].toString(),
                     QStringLiteral("org/tiny-GGUF"));
            sawMain = sawMain || hf.value(QStringLiteral("label")).toString() ==
                                     QStringLiteral("org/tiny-GGUF@main:tiny.Q4_K_M.gguf");
        }
        QVERIFY(sawMain);
        // Not read: nothing is claimed intact or damaged.
        for (const QJsonObject& p : places)
            QVERIFY(p.value(QStringLiteral("intact")).isNull());
    }

    void verifyNamesTheDamagedCopy()
    {
        // Ollama's blob keeps its size and name; one byte of it changes.
        QByteArray damaged = m_model;
        damaged[1000] = char(damaged[1000] ^ 0x20);
        QVERIFY(test::writeFile(path(QStringLiteral("ollama/blobs/sha256-")) + m_hex, damaged));
        const test::CliRun run = scan({QStringLiteral("--verify")});
        QVERIFY2(run.code == 4, run.describe());
        const QJsonArray models = json(run).value(QStringLiteral("models")).toArray();
        QCOMPARE(models.size(), 1);
        const auto places = placesOf(models.first().toObject());
        QCOMPARE(places.value(QStringLiteral("ollama")).value(QStringLiteral("intact")),
                 QJsonValue(false));
        for (const QString& app :
             {QStringLiteral("lmstudio"), QStringLiteral("llama.cpp"), QStringLiteral("hf-cache")})
            QCOMPARE(places.value(app).value(QStringLiteral("intact")), QJsonValue(true));
    }

    void hostileEntriesAreSkippedWithAWarning()
    {
        // A manifest that is not JSON, one whose digest climbs out of the blobs, and a
        // snapshot link that leads out of its repo.
        QVERIFY(write(path(QStringLiteral("ollama/manifests/registry.ollama.ai/library/bad/x")),
                      "not json"));
        QVERIFY(write(path(QStringLiteral("ollama/manifests/registry.ollama.ai/library/evil/x")),
                      ollamaManifest(QStringLiteral("../../../../etc/passwd"), 10, m_hex)));
        QVERIFY(write(path(QStringLiteral("outside.gguf")), m_model));
        QVERIFY(QFile::link(path(QStringLiteral("outside.gguf")),
                            path(QStringLiteral("hf/models--org--tiny-GGUF/snapshots/")) + Commit +
                                QStringLiteral("/escape.gguf")));
        const test::CliRun run = scan();
        QVERIFY2(run.code == 0, run.describe());
        const QJsonObject doc = json(run);
        const QStringList warnings =
            doc.value(QStringLiteral("warnings")).toVariant().toStringList();
        QCOMPARE(warnings.size(), 3);
        QVERIFY2(warnings.join(QLatin1Char('\n')).contains(QStringLiteral("escape.gguf")),
                 qPrintable(warnings.join(QLatin1Char('\n'))));
        const QJsonArray models = doc.value(QStringLiteral("models")).toArray();
        QCOMPARE(models.size(), 1);
        QCOMPARE(placesOf(models.first().toObject()).size(), 5);
        QVERIFY(!run.out.contains("passwd"));
    }

    void findsTheStoresWhereTheAppsLook()
    {
        const QString home = QStringLiteral("/home/u");
        QProcessEnvironment env;
        QList<StoreRoot> roots = storeRoots(env, home);
        auto pathsOf = [&roots](App app) {
            QStringList paths;
            for (const StoreRoot& r : roots)
                if (r.app == app)
                    paths.append(r.path);
            return paths;
        };
        QCOMPARE(pathsOf(App::Ollama).first(), QStringLiteral("/home/u/.ollama/models"));
        QCOMPARE(pathsOf(App::LmStudio),
                 (QStringList{QStringLiteral("/home/u/.lmstudio/models"),
                              QStringLiteral("/home/u/.cache/lm-studio/models")}));
        QCOMPARE(pathsOf(App::HfCache),
                 QStringList{QStringLiteral("/home/u/.cache/huggingface/hub")});
        QCOMPARE(pathsOf(App::LlamaCpp), QStringList{QStringLiteral("/home/u/.cache/llama.cpp")});

        env.insert(QStringLiteral("OLLAMA_MODELS"), QStringLiteral("/srv/ollama"));
        env.insert(QStringLiteral("HF_HOME"), QStringLiteral("/srv/hf"));
        env.insert(QStringLiteral("XDG_CACHE_HOME"), QStringLiteral("/srv/cache"));
        roots = storeRoots(env, home);
        QCOMPARE(pathsOf(App::Ollama), QStringList{QStringLiteral("/srv/ollama")});
        QCOMPARE(pathsOf(App::HfCache), QStringList{QStringLiteral("/srv/hf/hub")});
        QCOMPARE(pathsOf(App::LlamaCpp), QStringList{QStringLiteral("/srv/cache/llama.cpp")});

        env.insert(QStringLiteral("HF_HUB_CACHE"), QStringLiteral("/srv/hub"));
        env.insert(QStringLiteral("LLAMA_CACHE"), QStringLiteral("/srv/llama"));
        roots = storeRoots(env, home);
        QCOMPARE(pathsOf(App::HfCache), QStringList{QStringLiteral("/srv/hub")});
        QCOMPARE(pathsOf(App::LlamaCpp), QStringList{QStringLiteral("/srv/llama")});
    }

    void nothingFoundIsSaidSo()
    {
        for (const QString& sub : {QStringLiteral("ollama"), QStringLiteral("lms"),
                                   QStringLiteral("hf"), QStringLiteral("llama")})
            QVERIFY(QDir(path(sub)).removeRecursively());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
        for (const char* name :
             {"OLLAMA_MODELS", "HF_HUB_CACHE", "HF_HOME", "LLAMA_CACHE", "XDG_CACHE_HOME"})
            env.remove(QString::fromLatin1(name));
        const test::CliRun run =
            test::runWithInput(mf::test::cliPath(), {QStringLiteral("scan")}, {}, env);
        QVERIFY2(run.code == 0, run.describe());
        QVERIFY2(run.out.contains("No models found"), run.describe());
    }
};

QTEST_GUILESS_MAIN(TestCliScan)
#include "tst_cli_scan.moc"
