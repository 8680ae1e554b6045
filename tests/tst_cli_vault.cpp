// Opening the vault from the command line: a registry that exists is never taken for a new
// vault (an empty, foreign or unreadable registry.sqlite is refused, untouched, with exit 8), a
// mistyped --vault does not start a vault (exit 3), and vaults are made only by `init` or at the
// default location ($MODELFLOAT_VAULT, else the data folder), whole or not at all.

#include "clisandbox.h"
#include "testsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <memory>
#include <unistd.h>

using namespace mf;
using test::CliResult;

namespace {

QStringList words(std::initializer_list<QString> parts)
{
    return QStringList(parts);
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Exit codes from app/cli/exitcodes.h, as documented in README.md.
constexpr int NotFound = 3;
constexpr int VaultUnusable = 8;

} // namespace

class TestCliVault : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void damagedRegistryIsRefused_data();
    void damagedRegistryIsRefused();
    void lostRegistryIsNotReplaced();
    void mistypedVaultIsNotCreated();
    void defaultLocationIsCreated();
    void concurrentFirstUse();

private:
    // Floats a small model and returns the registry's bytes as they are on disk then.
    QByteArray floatModel();

    std::unique_ptr<test::CliSandbox> m_box;
};

void TestCliVault::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestCliVault::cleanup()
{
    m_box.reset();
}

QByteArray TestCliVault::floatModel()
{
    const QString file = m_box->path(QStringLiteral("input/model.bin"));
    if (!test::writePseudoRandomFile(file, 700 * 1024 + 3, 11))
        return {};
    const CliResult r = m_box->run(words({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                                          QStringLiteral("--chunk-size"), QStringLiteral("256K")}));
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    // The last connection folded the write-ahead log into the file: this is the whole registry.
    if (QFileInfo::exists(m_box->vault() + QStringLiteral("/registry.sqlite-wal")))
        return {};
    return readAll(m_box->vault() + QStringLiteral("/registry.sqlite"));
}

void TestCliVault::damagedRegistryIsRefused_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("says");
    QTest::newRow("empty") << QStringLiteral("empty") << QStringLiteral("empty (0 bytes)");
    QTest::newRow("not sqlite") << QStringLiteral("garbage")
                                << QStringLiteral("not an SQLite database");
    QTest::newRow("foreign sqlite")
        << QStringLiteral("foreign") << QStringLiteral("no ModelFloat registry");
    QTest::newRow("a folder") << QStringLiteral("folder") << QStringLiteral("not a file");
    QTest::newRow("unreadable") << QStringLiteral("unreadable") << QStringLiteral("cannot be read");
    // Issue 34, item 7: said in words, not as SQLite's "database disk image is malformed".
    QTest::newRow("truncated") << QStringLiteral("truncated")
                               << QStringLiteral("the file is damaged (cut short or overwritten)");
}

void TestCliVault::damagedRegistryIsRefused()
{
    QFETCH(QString, damage);
    QFETCH(QString, says);
    const QByteArray good = floatModel();
    QVERIFY(!good.isEmpty());
    const QString registry = m_box->vault() + QStringLiteral("/registry.sqlite");
    const QStringList objects = test::CliSandbox::filesBelow(m_box->localStore());
    QVERIFY(!objects.isEmpty());

    QVERIFY(QFile::remove(registry));
    if (damage == QLatin1String("empty")) {
        QVERIFY(test::writeFile(registry, QByteArray()));
    } else if (damage == QLatin1String("garbage")) {
        QVERIFY(test::writeFile(registry, QByteArray(5000, 'x')));
    } else if (damage == QLatin1String("foreign")) {
        // Another program's database, under our name.
        const QString name = QStringLiteral("foreign");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(registry);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE notes (body TEXT)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO notes VALUES ('keep me')")));
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
    } else if (damage == QLatin1String("truncated")) {
        // Its first pages only, as a disk that filled up or a copy cut short leaves it.
        QVERIFY(test::writeFile(registry, good.left(5000)));
    } else if (damage == QLatin1String("folder")) {
        QVERIFY(QDir().mkpath(registry));
    } else if (damage == QLatin1String("unreadable")) {
        // Root reads a file whatever its permissions: a link to nowhere is unreadable to all.
        if (::geteuid() == 0) {
            QVERIFY(QFile::link(m_box->path(QStringLiteral("gone.sqlite")), registry));
        } else {
            QVERIFY(test::writeFile(registry, good));
            QVERIFY(QFile::setPermissions(registry, QFileDevice::Permissions()));
        }
    }
    const QByteArray damaged = readAll(registry);
    const QStringList vaultFiles = test::CliSandbox::filesBelow(m_box->vault());

    const QString input = m_box->path(QStringLiteral("input/model.bin"));
    for (const QStringList& args :
         {words({QStringLiteral("list")}),
          words({QStringLiteral("stats"), QStringLiteral("--json")}),
          words({QStringLiteral("init")}), words({QStringLiteral("float"), input}),
          words({QStringLiteral("rm"), QStringLiteral("model")}),
          words({QStringLiteral("list"), QStringLiteral("--vault"), m_box->vault()})}) {
        const CliResult r = m_box->run(args);
        const QByteArray what = args.join(QLatin1Char(' ')).toUtf8() + "\n" + r.describe();
        QVERIFY2(r.code == VaultUnusable, what.constData());
        QVERIFY2(r.errText().contains(registry), what.constData());
        QVERIFY2(r.errText().contains(says), what.constData());
        QVERIFY2(r.errText().contains(QStringLiteral("left as it is")), what.constData());
        QVERIFY2(r.out.isEmpty(), what.constData());
        // Nothing changed: not the registry, not the objects, no new file in the vault.
        QCOMPARE(readAll(registry), damaged);
        QCOMPARE(test::CliSandbox::filesBelow(m_box->vault()), vaultFiles);
    }

    // With the good registry back, the model is all there.
    QFile::setPermissions(registry, QFile::ReadOwner | QFile::WriteOwner);
    if (damage == QLatin1String("folder"))
        QVERIFY(QDir(registry).removeRecursively());
    else
        QVERIFY(QFile::remove(registry));
    QVERIFY(test::writeFile(registry, good));
    const CliResult re =
        m_box->run(words({QStringLiteral("restore"), QStringLiteral("model"),
                          QStringLiteral("--to"), m_box->path(QStringLiteral("out"))}));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(m_box->path(QStringLiteral("out/model.bin"))),
             test::opensslSha256Hex(input));
}

void TestCliVault::lostRegistryIsNotReplaced()
{
    QVERIFY(!floatModel().isEmpty());
    const QString registry = m_box->vault() + QStringLiteral("/registry.sqlite");
    QVERIFY(QFile::remove(registry));
    const QStringList vaultFiles = test::CliSandbox::filesBelow(m_box->vault());
    // The default location and `init` both make vaults, but not over a lost one's objects.
    for (const QStringList& args :
         {words({QStringLiteral("list")}), words({QStringLiteral("init")})}) {
        const CliResult r = m_box->run(args);
        QVERIFY2(r.code == VaultUnusable, r.describe());
        QVERIFY2(r.errText().contains(QStringLiteral("registry was lost")), r.describe());
        QVERIFY2(r.errText().contains(m_box->localStore()), r.describe());
        QCOMPARE(test::CliSandbox::filesBelow(m_box->vault()), vaultFiles);
    }
}

void TestCliVault::mistypedVaultIsNotCreated()
{
    QVERIFY(!floatModel().isEmpty());
    const QString typo = m_box->path(QStringLiteral("vualt"));
    const QString input = m_box->path(QStringLiteral("input/model.bin"));
    for (const QStringList& args :
         {words({QStringLiteral("list"), QStringLiteral("--vault"), typo}),
          words({QStringLiteral("float"), input, QStringLiteral("--vault"), typo}),
          words({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--vault"),
                 typo})}) {
        const CliResult r = m_box->run(args);
        QVERIFY2(r.code == NotFound, r.describe());
        QVERIFY2(r.errText().contains(QStringLiteral("no vault")), r.describe());
        QVERIFY2(r.errText().contains(QStringLiteral("init --vault ") + typo), r.describe());
        QVERIFY2(!QFileInfo::exists(typo), r.describe());
    }
    // A folder that exists but holds no vault (the models folder, say) stays as it was.
    const QStringList inputFiles =
        test::CliSandbox::filesBelow(m_box->path(QStringLiteral("input")));
    const CliResult r = m_box->run(words({QStringLiteral("float"), input, QStringLiteral("--vault"),
                                          m_box->path(QStringLiteral("input"))}));
    QVERIFY2(r.code == NotFound, r.describe());
    QCOMPARE(test::CliSandbox::filesBelow(m_box->path(QStringLiteral("input"))), inputFiles);

    // `init` is how a vault is made anywhere else; then it is there.
    const CliResult made =
        m_box->run(words({QStringLiteral("init"), QStringLiteral("--vault"), typo}));
    QVERIFY2(made.code == 0, made.describe());
    QVERIFY(QFileInfo(typo + QStringLiteral("/registry.sqlite")).isFile());
    const CliResult list = m_box->run(
        words({QStringLiteral("list"), QStringLiteral("--json"), QStringLiteral("--vault"), typo}));
    QVERIFY2(list.code == 0, list.describe());
    QCOMPARE(list.json().value(QStringLiteral("models")).toArray().size(), 0);
    // init again is harmless and keeps what is there.
    QCOMPARE(m_box->run(words({QStringLiteral("init")})).code, 0);
    const CliResult models = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    QCOMPARE(models.json().value(QStringLiteral("models")).toArray().size(), 1);
}

void TestCliVault::defaultLocationIsCreated()
{
    // $MODELFLOAT_VAULT is the default location: made on first use, with or without --vault.
    const CliResult first = m_box->run(words({QStringLiteral("list")}));
    QVERIFY2(first.code == 0, first.describe());
    QVERIFY(QFileInfo(m_box->vault() + QStringLiteral("/registry.sqlite")).isFile());

    QProcessEnvironment env = m_box->environment();
    const QString other = m_box->path(QStringLiteral("env-vault"));
    env.insert(QStringLiteral("MODELFLOAT_VAULT"), other);
    const CliResult named = m_box->runIn(
        env,
        words({QStringLiteral("stats"), QStringLiteral("--vault"), other + QStringLiteral("/")}));
    QVERIFY2(named.code == 0, named.describe());
    QVERIFY(QFileInfo(other + QStringLiteral("/registry.sqlite")).isFile());

    // Without it, the data folder's vault.
    env.remove(QStringLiteral("MODELFLOAT_VAULT"));
    const CliResult data = m_box->runIn(env, words({QStringLiteral("list")}));
    QVERIFY2(data.code == 0, data.describe());
    QVERIFY(QFileInfo(m_box->path(QStringLiteral("xdg-data/modelfloat/vault/registry.sqlite")))
                .isFile());
}

void TestCliVault::concurrentFirstUse()
{
    // Several first commands at once make one vault, with one embedded provider, and leave no
    // temporary registry behind.
    QList<QProcess*> running;
    for (int i = 0; i < 4; ++i) {
        auto* p = new QProcess(this);
        p->setProcessEnvironment(m_box->environment());
        p->start(test::CliSandbox::cli(),
                 {i % 2 ? QStringLiteral("init") : QStringLiteral("list")});
        running << p;
    }
    for (QProcess* p : std::as_const(running)) {
        QVERIFY(p->waitForFinished(120000));
        QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
        delete p;
    }
    const CliResult providers = m_box->run(
        words({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")}));
    QVERIFY2(providers.code == 0, providers.describe());
    QCOMPARE(providers.json().value(QStringLiteral("providers")).toArray().size(), 1);
    QCOMPARE(QDir(m_box->vault())
                 .entryList({QStringLiteral(".registry-new-*")}, QDir::Files | QDir::Hidden),
             QStringList());
}

QTEST_GUILESS_MAIN(TestCliVault)
#include "tst_cli_vault.moc"
