// The test servers' starter (peerprocess.h): a server that stays silent gets a second start and
// its state is reported, one that exits says so with its output, one that is ready is used.

#include "peerprocess.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using mf::test::PeerProcess;

class TestPeerProcess : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }
    void aReadyServerStartsOnce();
    void aSilentServerGetsASecondStart();
    void aServerNeverReadyFailsWithItsState();
    void aServerThatExitsFailsWithItsOutput();

private:
    // A shell server that counts its starts in `starts` and says "ready" (a file) from start
    // number `readyFrom` on; it then sleeps until it is stopped.
    bool startShellServer(PeerProcess& p, int readyFrom, int timeoutMs)
    {
        const QString starts = m_dir->filePath(QStringLiteral("starts"));
        const QString ready = m_dir->filePath(QStringLiteral("ready"));
        const QString script =
            QStringLiteral("echo x >> '%1'; n=$(wc -l < '%1'); echo \"start $n\"; "
                           "[ \"$n\" -ge %2 ] && touch '%3'; exec sleep 120")
                .arg(starts)
                .arg(readyFrom)
                .arg(ready);
        return p.start(
            QStringLiteral("/bin/sh"), {QStringLiteral("-c"), script},
            [ready] { return QFile::exists(ready); }, timeoutMs);
    }
    int starts() const
    {
        QFile f(m_dir->filePath(QStringLiteral("starts")));
        return f.open(QIODevice::ReadOnly) ? int(f.readAll().count('\n')) : 0;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestPeerProcess::aReadyServerStartsOnce()
{
    PeerProcess p;
    QVERIFY2(startShellServer(p, 1, 30000), qPrintable(p.errorString()));
    QCOMPARE(starts(), 1);
    QVERIFY(p.isRunning());
}

void TestPeerProcess::aSilentServerGetsASecondStart()
{
    PeerProcess p;
    // The first start's state goes to the log: a sleeping process, its CPU time, where it waits.
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "^/bin/sh was not ready after 3000 ms \\(process \\d+: state \\w, "
                             "[0-9.]+ s user and [0-9.]+ s system CPU, 1 threads, waiting in "
                             ".+\\):\\nstart 1\\n: starting it once more$")));
    QVERIFY2(startShellServer(p, 2, 3000), qPrintable(p.errorString()));
    QCOMPARE(starts(), 2);
    QVERIFY(p.isRunning());
    // The output is the second start's only.
    QCOMPARE(p.output(), QStringLiteral("start 2\n"));
}

void TestPeerProcess::aServerNeverReadyFailsWithItsState()
{
    PeerProcess p;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("starting it once more")));
    QVERIFY(!startShellServer(p, 3, 3000));
    QCOMPARE(starts(), 2);
    const QString error = p.errorString();
    QVERIFY2(error.contains(QRegularExpression(QStringLiteral(
                 "^/bin/sh was not ready after 3000 ms \\(process \\d+: state \\w"))),
             qPrintable(error));
    QVERIFY2(error.endsWith(QStringLiteral("\nstart 2\n")), qPrintable(error));
}

void TestPeerProcess::aServerThatExitsFailsWithItsOutput()
{
    PeerProcess p;
    QVERIFY(!p.start(
        QStringLiteral("/bin/sh"),
        {QStringLiteral("-c"), QStringLiteral("echo no such port; exit 3")}, [] { return false; },
        30000));
    QCOMPARE(p.errorString(),
             QStringLiteral("/bin/sh exited with code 3 before it was ready:\nno such port\n"));
}

QTEST_GUILESS_MAIN(TestPeerProcess)
#include "tst_peerprocess.moc"
