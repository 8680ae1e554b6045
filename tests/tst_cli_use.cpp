// `modelfloat-cli use MODEL --in APP`: one materialized copy of a model registered in Ollama,
// LM Studio, the Hugging Face cache and llama.cpp, each app's file a hard link to that copy (or a
// copy, said with its cost, across file systems); what the apps' own readers make of it (scan,
// @huggingface/hub's cache scanner, llama.cpp itself); and taking it out again, which removes
// only what `use` wrote.
#include "apitestsupport.h"
#include "appstorefixtures.h"
#include "clisandbox.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <sys/stat.h>

using namespace mf;
using namespace mf::test;

namespace {

struct stat statOf(const QString& path)
{
    struct stat st
    {
    };
    ::stat(QFile::encodeName(path).constData(), &st);
    return st;
}

QString hexOf(const QString& path)
{
    return QString::fromLatin1(opensslSha256Hex(path));
}

} // namespace

class TestCliUse : public QObject
{
    Q_OBJECT

    std::unique_ptr<CliSandbox> m_box;
    QString m_gguf; // the model's file as floated
    QString m_hex;  // its SHA-256
    qint64 m_size = 0;

    QString apps(const QString& sub) const { return m_box->path(QStringLiteral("apps/") + sub); }

    // The apps' folders as their environment variables name them (LM Studio: under HOME).
    QProcessEnvironment environment() const
    {
        return withAppStores(m_box->environment(), m_box->path(QStringLiteral("apps")));
    }
    QString lmStudio() const { return m_box->path(QStringLiteral("home/.lmstudio/models")); }

    CliResult use(const QStringList& args) const
    {
        return m_box->runIn(
            environment(),
            QStringList{QStringLiteral("use"), QStringLiteral("tiny"), QStringLiteral("--json")} +
                args);
    }

    // The materialized copy every app shares.
    QString cachedBlob() const
    {
        return m_box->vault() + QStringLiteral("/materialized/models--modelfloat--tiny/blobs/") +
               m_hex;
    }

    // Every file below the apps' folders, relative to the sandbox.
    QStringList appFiles() const
    {
        QStringList files;
        for (const QString& root : {apps(QString()), lmStudio()})
            for (const QString& f : CliSandbox::filesBelow(root))
                files << QDir(m_box->root()).relativeFilePath(root + QLatin1Char('/') + f);
        // Symlinks into blobs are files to QDirIterator only while their target exists.
        return files;
    }

private slots:
    void initTestCase()
    {
        m_box = std::make_unique<CliSandbox>();
        QVERIFY(m_box->ok());
        m_gguf = m_box->path(QStringLiteral("input/tiny.gguf"));
        const CliRun made = runWithInput(
            QStringLiteral("node"),
            {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/tiny-llama-gguf.mjs")),
             m_gguf});
        QVERIFY2(made.code == 0, made.describe());
        m_hex = hexOf(m_gguf);
        m_size = QFileInfo(m_gguf).size();
        const CliResult floated =
            m_box->run({QStringLiteral("float"), m_gguf, QStringLiteral("--name"),
                        QStringLiteral("tiny"), QStringLiteral("--quiet")});
        QVERIFY2(floated.code == 0, floated.describe());
    }

    void init()
    {
        // Each test starts with the model in no app.
        for (const QString& app : {QStringLiteral("ollama"), QStringLiteral("lmstudio"),
                                   QStringLiteral("hf-cache"), QStringLiteral("llama.cpp")})
            use({QStringLiteral("--remove"), QStringLiteral("--in"), app});
        QDir(apps(QString())).removeRecursively();
        QDir(lmStudio()).removeRecursively();
    }

    // One copy on disk, four apps: each app's file is a hard link to the materialized copy, and
    // each app's own layout reads back as that model with intact bytes.
    void oneCopyServesEveryApp()
    {
        for (const QString& app : {QStringLiteral("ollama"), QStringLiteral("lmstudio"),
                                   QStringLiteral("hf-cache"), QStringLiteral("llama.cpp")}) {
            const CliResult r = use({QStringLiteral("--in"), app});
            QVERIFY2(r.code == 0, r.describe());
            QCOMPARE(r.json().value(QStringLiteral("method")).toString(),
                     QStringLiteral("hard link"));
            QCOMPARE(r.json().value(QStringLiteral("bytes_saved")).toInteger(), m_size);
        }
        const QString ollamaBlob = apps(QStringLiteral("ollama/blobs/sha256-")) + m_hex;
        const QString lms = lmStudio() + QStringLiteral("/modelfloat/tiny/tiny.gguf");
        const QString hfBlob = apps(QStringLiteral("hf/models--modelfloat--tiny/blobs/")) + m_hex;
        const QString llamaBlob =
            apps(QStringLiteral("llama/models--modelfloat--tiny/blobs/")) + m_hex;
        const struct stat cached = statOf(cachedBlob());
        QCOMPARE(qint64(cached.st_size), m_size);
        QCOMPARE(cached.st_nlink, nlink_t(5)); // the cache's and one per app
        for (const QString& f : {ollamaBlob, lms, hfBlob, llamaBlob})
            QVERIFY2(statOf(f).st_ino == cached.st_ino, qPrintable(f));
        QVERIFY(QFileInfo::exists(
            apps(QStringLiteral("ollama/manifests/registry.ollama.ai/library/tiny/latest"))));

        // scan reads each layout (Ollama's blob name and the HF cache's LFS name are checked
        // against the bytes): one model, four places, one copy on disk, every place intact.
        const CliResult scanned = m_box->runIn(
            environment(), {QStringLiteral("scan"), QStringLiteral("--json"),
                            QStringLiteral("--verify"), QStringLiteral("--lmstudio"), lmStudio(),
                            QStringLiteral("--ollama"), apps(QStringLiteral("ollama")),
                            QStringLiteral("--hf-cache"), apps(QStringLiteral("hf")),
                            QStringLiteral("--llama-cache"), apps(QStringLiteral("llama"))});
        QVERIFY2(scanned.code == 0, scanned.describe());
        const QJsonArray models = scanned.json().value(QStringLiteral("models")).toArray();
        QCOMPARE(models.size(), 1);
        const QJsonObject model = models.first().toObject();
        QCOMPARE(model.value(QStringLiteral("sha256")).toString(), m_hex);
        QCOMPARE(model.value(QStringLiteral("copies")).toInt(), 1);
        QSet<QString> seen;
        for (const QJsonValue& place : model.value(QStringLiteral("places")).toArray()) {
            seen.insert(place[QStringLiteral("app")].toString());
            QCOMPARE(place[QStringLiteral("intact")], QJsonValue(true));
            if (place[QStringLiteral("app")].toString() == QLatin1String("ollama"))
                QCOMPARE(place[QStringLiteral("label")].toString(), QStringLiteral("tiny:latest"));
        }
        QCOMPARE(seen, (QSet<QString>{QStringLiteral("ollama"), QStringLiteral("lmstudio"),
                                      QStringLiteral("hf-cache"), QStringLiteral("llama.cpp")}));

        // `use MODEL` lists the four and what sharing saved.
        const CliResult listed = use({});
        QVERIFY2(listed.code == 0, listed.describe());
        QCOMPARE(listed.json().value(QStringLiteral("uses")).toArray().size(), 4);
        QCOMPARE(listed.json().value(QStringLiteral("bytes_saved")).toInteger(), 4 * m_size);

        // @huggingface/hub's own cache scanner reads the HF cache `use` wrote, with no warning.
        const CliRun hub = runWithInput(
            QStringLiteral("node"),
            {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/hub-cache-scan.mjs")),
             apps(QStringLiteral("hf"))});
        QVERIFY2(hub.code == 0, hub.describe());
        const QJsonObject hubScan = QJsonDocument::fromJson(hub.out).object();
        const QJsonArray repos = hubScan.value(QStringLiteral("repos")).toArray();
        QCOMPARE(repos.size(), 1);
        QCOMPARE(repos[0][QStringLiteral("id")].toString(), QStringLiteral("modelfloat/tiny"));
        const QJsonObject revision = repos[0][QStringLiteral("revisions")][0].toObject();
        QCOMPARE(revision[QStringLiteral("refs")].toArray(), QJsonArray{QStringLiteral("main")});
        QCOMPARE(revision[QStringLiteral("files")][0][QStringLiteral("size")].toInteger(), m_size);

        // llama.cpp itself loads the model from the cache layout in its own cache and answers.
        const QString llamaRepo = apps(QStringLiteral("llama/models--modelfloat--tiny"));
        QFile ref(llamaRepo + QStringLiteral("/refs/main"));
        QVERIFY(ref.open(QIODevice::ReadOnly));
        const QString snapshotFile = llamaRepo + QStringLiteral("/snapshots/") +
                                     QString::fromLatin1(ref.readAll()) +
                                     QStringLiteral("/tiny.gguf");
        const CliRun answer = runWithInput(
            QStringLiteral("node"),
            {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/llama-check.mjs")),
             snapshotFile},
            {}, environment());
        QVERIFY2(answer.code == 0 && answer.all().contains("\"ok\":true"), answer.describe());

        // While apps use it, the cache keeps it and the vault refuses to remove it.
        const CliResult evicted =
            m_box->runIn(environment(), {QStringLiteral("evict"), QStringLiteral("tiny")});
        QVERIFY2(evicted.code != 0 && evicted.errText().contains(QLatin1String("Ollama")),
                 evicted.describe());
        QVERIFY(QFileInfo::exists(cachedBlob()));
        const CliResult removed =
            m_box->runIn(environment(), {QStringLiteral("rm"), QStringLiteral("tiny")});
        QVERIFY2(removed.code == 5 && removed.errText().contains(QLatin1String("LM Studio")),
                 removed.describe());

        // Taken out of every app: nothing of ours is left in their folders.
        for (const QString& app : {QStringLiteral("ollama"), QStringLiteral("lmstudio"),
                                   QStringLiteral("hf-cache"), QStringLiteral("llama.cpp")}) {
            const CliResult r = use({QStringLiteral("--remove"), QStringLiteral("--in"), app});
            QVERIFY2(r.code == 0, r.describe());
        }
        QCOMPARE(appFiles(), QStringList());
        QCOMPARE(statOf(cachedBlob()).st_nlink, nlink_t(1));
        QCOMPARE(use({}).json().value(QStringLiteral("uses")).toArray().size(), 0);
    }

    // A file of the user's where `use` would write is left as it is, and nothing else stays.
    void foreignFileIsNeverOverwritten()
    {
        const QString manifest =
            apps(QStringLiteral("ollama/manifests/registry.ollama.ai/library/tiny/latest"));
        QVERIFY(QDir().mkpath(QFileInfo(manifest).path()));
        QVERIFY(writeFile(manifest, "{\"theirs\": true}"));
        const CliResult r = use({QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(r.code == 5 && r.errText().contains(manifest), r.describe());
        QCOMPARE(appFiles(), QStringList{QStringLiteral(
                                 "apps/ollama/manifests/registry.ollama.ai/library/tiny/latest")});
        QFile kept(manifest);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("{\"theirs\": true}"));
        QCOMPARE(use({}).json().value(QStringLiteral("uses")).toArray().size(), 0);
        // With another name it goes in beside it.
        const CliResult other = use({QStringLiteral("--in"), QStringLiteral("ollama"),
                                     QStringLiteral("--as"), QStringLiteral("tiny-mf:q8")});
        QVERIFY2(other.code == 0, other.describe());
        QVERIFY(QFileInfo::exists(
            apps(QStringLiteral("ollama/manifests/registry.ollama.ai/library/tiny-mf/q8"))));
    }

    // A blob already in Ollama under the model's SHA-256 is Ollama's own copy of these bytes:
    // used as it is, not claimed, and left when the model is taken out.
    void appsOwnBlobIsKept()
    {
        const QString blob = apps(QStringLiteral("ollama/blobs/sha256-")) + m_hex;
        QVERIFY(QDir().mkpath(QFileInfo(blob).path()));
        QVERIFY(QFile::copy(m_gguf, blob));
        const CliResult r = use({QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(r.code == 0, r.describe());
        QCOMPARE(r.json().value(QStringLiteral("method")).toString(),
                 QStringLiteral("Ollama's own copy"));
        QCOMPARE(r.json().value(QStringLiteral("bytes_saved")).toInteger(), 0);
        QVERIFY(statOf(blob).st_ino != statOf(cachedBlob()).st_ino);
        const CliResult out =
            use({QStringLiteral("--remove"), QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(out.code == 0, out.describe());
        QCOMPARE(appFiles(), QStringList{QStringLiteral("apps/ollama/blobs/sha256-") + m_hex});
    }

    // --remove takes out only files that are still what `use` wrote.
    void removeLeavesWhatTheUserReplaced()
    {
        const CliResult r = use({QStringLiteral("--in"), QStringLiteral("lmstudio")});
        QVERIFY2(r.code == 0, r.describe());
        const QString lms = lmStudio() + QStringLiteral("/modelfloat/tiny/tiny.gguf");
        QVERIFY(QFile::remove(lms));
        QVERIFY(writeFile(lms, "the user's own file"));
        const CliResult removed =
            use({QStringLiteral("--remove"), QStringLiteral("--in"), QStringLiteral("lmstudio")});
        QVERIFY2(removed.code == 0 && removed.errText().contains(lms), removed.describe());
        QVERIFY(QFileInfo::exists(lms));
    }

    // A model imported from the Hub keeps its repo's name: LM Studio's publisher/repo folder.
    void hubModelKeepsItsRepoName()
    {
        const QString commit = QStringLiteral("0123456789abcdef0123456789abcdef01234567");
        const CliResult floated =
            m_box->run({QStringLiteral("float"), m_gguf, QStringLiteral("--name"),
                        QStringLiteral("acme-tiny"), QStringLiteral("--quiet")});
        QVERIFY2(floated.code == 0, floated.describe());
        QVERIFY(setSource(m_box->vault(), QStringLiteral("acme-tiny"),
                          QStringLiteral("hf:acme/tiny@") + commit));
        const QStringList in{QStringLiteral("use"), QStringLiteral("acme-tiny"),
                             QStringLiteral("--in"), QStringLiteral("lmstudio")};
        const CliResult r = m_box->runIn(environment(), in);
        QVERIFY2(r.code == 0, r.describe());
        const QString placed = lmStudio() + QStringLiteral("/acme/tiny/tiny.gguf");
        QCOMPARE(statOf(placed).st_ino,
                 statOf(m_box->vault() + QStringLiteral("/materialized/models--acme--tiny/blobs/") +
                        m_hex)
                     .st_ino);
        const CliResult out =
            m_box->runIn(environment(), in + QStringList{QStringLiteral("--remove")});
        QVERIFY2(out.code == 0, out.describe());
        QCOMPARE(appFiles(), QStringList());
    }

    void incompleteModelIsRefused()
    {
        const CliResult floated =
            m_box->run({QStringLiteral("float"), m_gguf, QStringLiteral("--name"),
                        QStringLiteral("half"), QStringLiteral("--quiet")});
        QVERIFY2(floated.code == 0, floated.describe());
        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("unfinish"));
            db.setDatabaseName(m_box->vault() + QStringLiteral("/registry.sqlite"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(
                QStringLiteral("UPDATE models SET state = 'incomplete' WHERE name = 'half'")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("unfinish"));
        const CliResult r =
            m_box->runIn(environment(), {QStringLiteral("use"), QStringLiteral("half"),
                                         QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(r.code != 0 && r.errText().contains(QLatin1String("not completely floated")),
                 r.describe());
        QCOMPARE(appFiles(), QStringList());
    }

    void badRequestsAreRefusedClearly()
    {
        CliResult r = use({QStringLiteral("--in"), QStringLiteral("vlc")});
        QVERIFY2(r.code == 2 && r.errText().contains(QStringLiteral("Unknown app “vlc”")),
                 r.describe());
        r = use({QStringLiteral("--in"), QStringLiteral("ollama"), QStringLiteral("--as"),
                 QStringLiteral("../evil:latest")});
        QVERIFY2(r.code != 0 && r.errText().contains(QLatin1String("not a name Ollama takes")),
                 r.describe());
        r = use({QStringLiteral("--in"), QStringLiteral("lmstudio"), QStringLiteral("--as"),
                 QStringLiteral("tiny:latest")});
        QVERIFY2(r.code == 2 &&
                     r.errText().contains(QLatin1String("--as names the model in Ollama")),
                 r.describe());
        r = m_box->runIn(environment(), {QStringLiteral("use"), QStringLiteral("nothing"),
                                         QStringLiteral("--in"), QStringLiteral("lmstudio")});
        QVERIFY2(r.code == 3, r.describe());
        r = use({QStringLiteral("--remove"), QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(r.code == 3 && r.errText().contains(QLatin1String("not in use by Ollama")),
                 r.describe());
        QCOMPARE(appFiles(), QStringList());
    }

    // Another file system: a copy, its cost said; a read-only one: refused, nothing written.
    void anotherFileSystemGetsACopy()
    {
        const QString mountPoint = m_box->path(QStringLiteral("other-fs"));
        QVERIFY(QDir().mkpath(mountPoint));
        if (!mountTmpfsOrRerunInNamespace(mountPoint, QStringLiteral("4M"),
                                          "anotherFileSystemGetsACopy"))
            return;
        const CliResult r = use({QStringLiteral("--in"), QStringLiteral("lmstudio"),
                                 QStringLiteral("--root"), mountPoint});
        const QString copied = mountPoint + QStringLiteral("/modelfloat/tiny/tiny.gguf");
        const bool copiedOk =
            r.code == 0 &&
            r.json().value(QStringLiteral("method")).toString() != QLatin1String("hard link") &&
            hexOf(copied) == m_hex;
        const bool warned =
            r.errText().contains(QLatin1String("more disk")) ||
            r.json().value(QStringLiteral("method")).toString() == QLatin1String("reflink");
        const CliResult out =
            use({QStringLiteral("--remove"), QStringLiteral("--in"), QStringLiteral("lmstudio")});
        QString remounted;
        const bool readOnly = runProcess(
            QStringLiteral("mount"),
            {QStringLiteral("-o"), QStringLiteral("remount,ro"), mountPoint}, &remounted);
        const CliResult refused = use({QStringLiteral("--in"), QStringLiteral("lmstudio"),
                                       QStringLiteral("--root"), mountPoint});
        const QStringList left = CliSandbox::filesBelow(mountPoint);
        unmountTmpfs(mountPoint);
        QVERIFY2(copiedOk && warned, r.describe());
        QVERIFY2(out.code == 0, out.describe());
        QVERIFY2(readOnly, qPrintable(remounted));
        QVERIFY2(refused.code != 0 &&
                     refused.errText().contains(QLatin1String("read-only file system")),
                 refused.describe());
        QCOMPARE(left, QStringList());
    }
};

QTEST_GUILESS_MAIN(TestCliUse)
#include "tst_cli_use.moc"
