// `modelfloat-cli use MODEL --free [--floating-only]` (issue 38, "free the disk, keep the
// model"): the copies Ollama, the Hugging Face cache and LM Studio keep of a floated model's
// file, laid out as those apps write them (docs/appstores.md), are replaced by hard links to the
// vault's one shared copy, or removed outright, and only once every copy the vault wants is
// verified. LM Studio's copy (no digest) is read and freed only when its SHA-256 is the file's;
// a replaced copy is a use of its app, as `use` records one.
#include "appstorefixtures.h"
#include "clisandbox.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <sys/stat.h>

using namespace mf;
using namespace mf::test;

namespace {

constexpr qint64 MiB = 1024 * 1024;

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString hexOf(const QByteArray& bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

struct stat statOf(const QString& path)
{
    struct stat st
    {
    };
    ::stat(QFile::encodeName(path).constData(), &st);
    return st;
}

} // namespace

class TestCliFreeCopies : public QObject
{
    Q_OBJECT

    std::unique_ptr<CliSandbox> m_box;

    QString apps(const QString& sub) const { return m_box->path(QStringLiteral("apps/") + sub); }
    QString lmStudio() const { return m_box->path(QStringLiteral("home/.lmstudio/models")); }

    QProcessEnvironment environment() const
    {
        return withAppStores(m_box->environment(), m_box->path(QStringLiteral("apps")));
    }
    CliResult cli(const QStringList& args) const { return m_box->runIn(environment(), args); }

    // A model file floated as `name`; its bytes.
    QByteArray floatModel(const QString& name, quint64 seed)
    {
        const QByteArray bytes = pseudoRandomBytes(MiB + 5, seed);
        const QString file = m_box->path(QStringLiteral("input/") + name + QStringLiteral(".gguf"));
        if (!writeFile(file, bytes))
            return {};
        const CliResult r = cli({QStringLiteral("float"), file, QStringLiteral("--name"), name,
                                 QStringLiteral("--quiet")});
        return r.code == 0 ? bytes : QByteArray();
    }

    // Ollama's blob and manifest of `name:latest`: what `ollama pull` leaves.
    QString putInOllama(const QString& name, const QByteArray& bytes)
    {
        QString blob;
        return test::putInOllama(apps(QStringLiteral("ollama")), name, bytes, &blob) ? blob
                                                                                     : QString();
    }

    // The Hugging Face cache's blob, ref and snapshot link of org/<name>.
    QString putInHfCache(const QString& name, const QByteArray& bytes)
    {
        const QString hex = hexOf(bytes);
        const QString repo = apps(QStringLiteral("hf/models--org--")) + name;
        const QString commit = QStringLiteral("0123456789abcdef0123456789abcdef01234567");
        QDir().mkpath(repo + QStringLiteral("/blobs"));
        QDir().mkpath(repo + QStringLiteral("/refs"));
        QDir().mkpath(repo + QStringLiteral("/snapshots/") + commit);
        writeFile(repo + QStringLiteral("/blobs/") + hex, bytes);
        writeFile(repo + QStringLiteral("/refs/main"), commit.toLatin1());
        QFile::link(QStringLiteral("../../blobs/") + hex, snapshotLink(name));
        return repo + QStringLiteral("/blobs/") + hex;
    }
    QString snapshotLink(const QString& name) const
    {
        return apps(QStringLiteral("hf/models--org--")) + name +
               QStringLiteral("/snapshots/0123456789abcdef0123456789abcdef01234567/") + name +
               QStringLiteral(".gguf");
    }

private slots:
    void initTestCase()
    {
        m_box = std::make_unique<CliSandbox>();
        QVERIFY(m_box->ok());
    }

    // Ollama, the Hugging Face cache and LM Studio each keep their own copy of the floated
    // file; LM Studio also keeps another file of that size. Before verify: nothing is touched.
    // After: the three copies are one file with the materialized copy (two copies' disk freed),
    // the other file is left, and each app's copy is a use the vault knows of.
    void replacesTheAppsCopiesOnceVerified()
    {
        const QByteArray bytes = floatModel(QStringLiteral("tiny"), 41);
        QVERIFY(!bytes.isEmpty());
        const QString ollama = putInOllama(QStringLiteral("tiny"), bytes);
        const QString hf = putInHfCache(QStringLiteral("tiny"), bytes);
        const QString lms = lmStudio() + QStringLiteral("/pub/tiny-GGUF/tiny.gguf");
        const QString other = lmStudio() + QStringLiteral("/pub/other-GGUF/other.gguf");
        QVERIFY(QDir().mkpath(QFileInfo(lms).path()) && QDir().mkpath(QFileInfo(other).path()));
        QVERIFY(writeFile(lms, bytes));
        QByteArray look = bytes;
        look[17] = char(look[17] ^ 1);
        QVERIFY(writeFile(other, look)); // as large, other bytes
        // A link in LM Studio's folder to the same bytes elsewhere: not the app's file to free.
        const QString elsewhere = m_box->path(QStringLiteral("mine/tiny.gguf"));
        QVERIFY(QDir().mkpath(QFileInfo(elsewhere).path()));
        QVERIFY(writeFile(elsewhere, bytes));
        QVERIFY(QDir().mkpath(lmStudio() + QStringLiteral("/pub/linked-GGUF")));
        QVERIFY(QFile::link(elsewhere, lmStudio() + QStringLiteral("/pub/linked-GGUF/tiny.gguf")));
        const ino_t elsewhereBefore = statOf(elsewhere).st_ino;
        const ino_t before[] = {statOf(ollama).st_ino, statOf(hf).st_ino, statOf(lms).st_ino};

        const CliResult early = cli({QStringLiteral("use"), QStringLiteral("tiny"),
                                     QStringLiteral("--free"), QStringLiteral("--json")});
        QVERIFY2(early.code != 0 && early.errText().contains(QStringLiteral("every copy verified")),
                 early.describe());
        QCOMPARE(statOf(ollama).st_ino, before[0]);
        QCOMPARE(statOf(hf).st_ino, before[1]);
        QCOMPARE(statOf(lms).st_ino, before[2]);

        const CliResult verified = cli({QStringLiteral("verify"), QStringLiteral("tiny")});
        QVERIFY2(verified.code == 0, verified.describe());
        const CliResult r = cli({QStringLiteral("use"), QStringLiteral("tiny"),
                                 QStringLiteral("--free"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0 && r.isJson(), r.describe());
        const QJsonObject doc = r.json();
        QCOMPARE(doc.value(QStringLiteral("copies")).toArray().size(), 3);
        QCOMPARE(doc.value(QStringLiteral("freed_bytes")).toInteger(), 2 * bytes.size());
        QVERIFY2(r.errText().contains(other) && r.errText().contains(QStringLiteral("SHA-256")),
                 r.describe());
        const struct stat a = statOf(ollama);
        QCOMPARE(statOf(hf).st_ino, a.st_ino);
        QCOMPARE(statOf(lms).st_ino, a.st_ino);
        QCOMPARE(a.st_nlink, nlink_t(4)); // the three apps' names and the materialized copy's
        QVERIFY(statOf(other).st_ino != a.st_ino);
        QCOMPARE(statOf(elsewhere).st_ino, elsewhereBefore);
        QCOMPARE(statOf(elsewhere).st_nlink, nlink_t(1));
        QCOMPARE(readFile(lms), bytes);
        QCOMPARE(readFile(snapshotLink(QStringLiteral("tiny"))), bytes);
        bool lmStudioRead = false;
        for (const QJsonValue& v : doc.value(QStringLiteral("copies")).toArray())
            lmStudioRead = lmStudioRead ||
                           (v[QStringLiteral("app")].toString() == QLatin1String("lmstudio") &&
                            v[QStringLiteral("checked_by")].toString() == QLatin1String("sha256"));
        QVERIFY(lmStudioRead);

        // Recorded as uses: listed, and the model is not removed while they last.
        const CliResult listed =
            cli({QStringLiteral("use"), QStringLiteral("tiny"), QStringLiteral("--json")});
        QStringList appsUsing;
        for (const QJsonValue& v : listed.json().value(QStringLiteral("uses")).toArray())
            appsUsing.append(v[QStringLiteral("app")].toString());
        appsUsing.sort();
        QCOMPARE(appsUsing, QStringList({QStringLiteral("hf-cache"), QStringLiteral("lmstudio"),
                                         QStringLiteral("ollama")}));
        const CliResult rm = cli({QStringLiteral("rm"), QStringLiteral("tiny")});
        QVERIFY2(rm.code != 0 && rm.errText().contains(QStringLiteral("in use by")), rm.describe());

        // Nothing left to free: a second run frees nothing and says so.
        const CliResult again =
            cli({QStringLiteral("use"), QStringLiteral("tiny"), QStringLiteral("--free")});
        QVERIFY2(again.code == 0 && again.outText().contains(QStringLiteral("nothing to free")),
                 again.describe());

        // `use --remove` takes the replaced copy out of Ollama with its manifest.
        const CliResult removed =
            cli({QStringLiteral("use"), QStringLiteral("tiny"), QStringLiteral("--remove"),
                 QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(removed.code == 0, removed.describe());
        QVERIFY(!QFileInfo::exists(ollama));
        QVERIFY(!QFileInfo::exists(
            apps(QStringLiteral("ollama/manifests/registry.ollama.ai/library/tiny/latest"))));
        QCOMPARE(readFile(lms), bytes);
    }

    // "Keep it floating only": the apps' copies removed outright, the app's own entries first
    // (Ollama's manifest, the cache's snapshot link), and it says what that freed.
    void floatingOnlyRemovesTheCopies()
    {
        const QByteArray bytes = floatModel(QStringLiteral("solo"), 42);
        QVERIFY(!bytes.isEmpty());
        const QString ollama = putInOllama(QStringLiteral("solo"), bytes);
        const QString hf = putInHfCache(QStringLiteral("solo"), bytes);
        QVERIFY(cli({QStringLiteral("verify"), QStringLiteral("solo")}).code == 0);

        // --in limits it to one app's store.
        const CliResult r =
            cli({QStringLiteral("use"), QStringLiteral("solo"), QStringLiteral("--free"),
                 QStringLiteral("--floating-only"), QStringLiteral("--in"),
                 QStringLiteral("ollama"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0 && r.isJson(), r.describe());
        QCOMPARE(r.json().value(QStringLiteral("freed_bytes")).toInteger(), bytes.size());
        QVERIFY(r.json().value(QStringLiteral("removed")).toBool());
        QVERIFY(!QFileInfo::exists(ollama));
        QVERIFY(!QFileInfo::exists(
            apps(QStringLiteral("ollama/manifests/registry.ollama.ai/library/solo/latest"))));
        QCOMPARE(readFile(hf), bytes);

        const CliResult all = cli({QStringLiteral("use"), QStringLiteral("solo"),
                                   QStringLiteral("--free"), QStringLiteral("--floating-only")});
        QVERIFY2(all.code == 0 && all.outText().contains(QStringLiteral("no longer has “solo”")) &&
                     all.outText().contains(QStringLiteral("Hugging Face cache")),
                 all.describe());
        QVERIFY(!QFileInfo::exists(hf));
        QVERIFY(!QFileInfo(snapshotLink(QStringLiteral("solo"))).isSymLink());
        // Not a use: the apps no longer have it, and the vault may remove it.
        const CliResult listed =
            cli({QStringLiteral("use"), QStringLiteral("solo"), QStringLiteral("--json")});
        QVERIFY(listed.json().value(QStringLiteral("uses")).toArray().isEmpty());
        // The vault still has every byte.
        const CliResult restored =
            cli({QStringLiteral("restore"), QStringLiteral("solo"), QStringLiteral("--to"),
                 m_box->path(QStringLiteral("restored"))});
        QVERIFY2(restored.code == 0, restored.describe());
    }

    void badRequestsAreRefusedClearly()
    {
        const CliResult onlyFlag =
            cli({QStringLiteral("use"), QStringLiteral("tiny"), QStringLiteral("--floating-only")});
        QVERIFY2(onlyFlag.code != 0 && onlyFlag.errText().contains(QStringLiteral("--free")),
                 onlyFlag.describe());
        const CliResult both =
            cli({QStringLiteral("use"), QStringLiteral("tiny"), QStringLiteral("--free"),
                 QStringLiteral("--remove"), QStringLiteral("--in"), QStringLiteral("ollama")});
        QVERIFY2(both.code != 0 && both.errText().contains(QStringLiteral("--remove")),
                 both.describe());
        const CliResult missing =
            cli({QStringLiteral("use"), QStringLiteral("nosuch"), QStringLiteral("--free")});
        QVERIFY2(missing.code != 0 && missing.errText().contains(QStringLiteral("nosuch")),
                 missing.describe());
        // Freeing is use's: materialize does not take it (and so cannot ignore it).
        const CliResult materialize =
            cli({QStringLiteral("materialize"), QStringLiteral("tiny"), QStringLiteral("--free")});
        QVERIFY2(materialize.code != 0 && materialize.errText().contains(QStringLiteral("free")),
                 materialize.describe());
    }
};

QTEST_GUILESS_MAIN(TestCliFreeCopies)
#include "tst_cli_freecopies.moc"
