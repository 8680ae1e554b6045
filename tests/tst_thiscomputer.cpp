// What "this computer" is for offload and pin (vault/thiscomputer.h): the vault's own
// local-store provider and no other local folder, the pinned models kept in vault_settings,
// and when the disk that holds the vault counts as running low.

#include "engine/engine.h"
#include "testsupport.h"
#include "testvault.h"
#include "vault/thiscomputer.h"

#include <QScopeGuard>
#include <QStorageInfo>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestThisComputer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void embeddedProviderIsTheVaultsOwn()
    {
        TestVault tv(1); // "local" (the vault's own) and "extra1", a local folder elsewhere
        QVERIFY(tv.ok());
        const auto own = thiscomputer::embeddedProviderId(*tv.vault);
        QVERIFY(own);
        const auto record = tv.registry().providerRows().provider(*own);
        QVERIFY(record);
        QCOMPARE(record->name, QStringLiteral("local"));
        // A provider whose folder is the local store written another way is still it; one
        // elsewhere is not.
        QCOMPARE(thiscomputer::embeddedProviderId(tv.registry(),
                                                  tv.vault->directory() + QStringLiteral("/")),
                 own);
        QCOMPARE(thiscomputer::embeddedProviderId(tv.registry(), tv.path(QStringLiteral("x"))),
                 std::nullopt);
    }

    void pinsAreKeptInTheSettings()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        QCOMPARE(thiscomputer::pinnedModels(tv.registry()), QStringList());
        QVERIFY(thiscomputer::setPinned(tv.registry(), QStringLiteral("a"), true));
        QVERIFY(thiscomputer::setPinned(tv.registry(), QStringLiteral("b “q”"), true));
        QVERIFY(thiscomputer::setPinned(tv.registry(), QStringLiteral("a"), true)); // once
        QCOMPARE(thiscomputer::pinnedModels(tv.registry()),
                 QStringList({QStringLiteral("a"), QStringLiteral("b “q”")}));
        QVERIFY(thiscomputer::setPinned(tv.registry(), QStringLiteral("a"), false));
        QVERIFY(!thiscomputer::isPinned(tv.registry(), QStringLiteral("a")));
        QVERIFY(thiscomputer::isPinned(tv.registry(), QStringLiteral("b “q”")));
        // A damaged setting reads as no pins, never as a crash.
        QVERIFY(tv.registry().settings().setSetting(QLatin1String(thiscomputer::PinnedSetting),
                                                    QStringLiteral("{not json")));
        QCOMPARE(thiscomputer::pinnedModels(tv.registry()), QStringList());
    }

    void lowDiskIsTheSmallerOfTenGibAndFivePercent()
    {
        constexpr qint64 GiB = qint64(1) << 30;
        // A 2 TB disk warns under 10 GiB, not under its 5% (100 GB).
        QVERIFY(!thiscomputer::diskSpaceIsLow(50 * GiB, 2000 * GiB));
        QVERIFY(thiscomputer::diskSpaceIsLow(10 * GiB - 1, 2000 * GiB));
        // A 100 GiB disk warns under its last 5 GiB.
        QVERIFY(!thiscomputer::diskSpaceIsLow(6 * GiB, 100 * GiB));
        QVERIFY(thiscomputer::diskSpaceIsLow(5 * GiB - 1, 100 * GiB));
        // Not known: nothing is said.
        QVERIFY(!thiscomputer::diskSpaceIsLow(-1, 100 * GiB));
        QVERIFY(!thiscomputer::diskSpaceIsLow(0, 0));
    }

    void lowDiskIsSaidByTheEngine()
    {
        // A vault on a small disk that is nearly full: the engine says so once it opens it,
        // in the notice the tray shows, with the way out.
        QTemporaryDir dir;
        const QString disk = dir.filePath(QStringLiteral("disk"));
        QVERIFY(QDir().mkpath(disk));
        if (!test::mountTmpfsOrRerunInNamespace(disk, QStringLiteral("8M"),
                                                "lowDiskIsSaidByTheEngine"))
            return;
        const auto unmount = qScopeGuard([&] { test::unmountTmpfs(disk); });
        const QString vaultDir = disk + QStringLiteral("/vault");
        {
            QString error;
            QVERIFY2(Vault::open(vaultDir, Vault::OpenMode::CreateIfMissing, &error),
                     qPrintable(error));
        }
        const qint64 fill = QStorageInfo(disk).bytesAvailable() - 200 * 1024;
        QVERIFY(fill > 0);
        QVERIFY(test::writeFile(disk + QStringLiteral("/filler"), QByteArray(fill, 'x')));

        Engine engine;
        QStringList said;
        connect(&engine, &Engine::syncNotice, this,
                [&](const QString& title, const QString& text, bool isProblem) {
                    if (isProblem)
                        said << title + QStringLiteral(": ") + text;
                });
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(vaultDir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(said.size(), 1, JobTimeoutMs);
        QVERIFY2(said.first().startsWith(QStringLiteral("Low disk space")),
                 qPrintable(said.first()));
        QVERIFY2(said.first().contains(QStringLiteral("Free up space")), qPrintable(said.first()));
    }
};

QTEST_GUILESS_MAIN(TestThisComputer)
#include "tst_thiscomputer.moc"
