// `modelfloat-cli cat`: every write error is a failure (a full disk, /dev/full); a reader that
// goes away (`cat … | head`) ends it quietly; --range is read strictly; a chunk is verified before
// any of its bytes leave, another replica is used when one is bad, and a chunk known to have no
// good copy is reported before any output; and no spool file is ever left in the vault.

#include "clisandbox.h"
#include "storedchunks.h"
#include "testsupport.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace mf;
using test::CliResult;

namespace {

QStringList words(std::initializer_list<QString> parts)
{
    return QStringList(parts);
}

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr int Failed = 1;
constexpr int Usage = 2;
constexpr int IntegrityProblem = 4;
constexpr int ReaderWentAway = 141;

} // namespace

class TestCliCat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void rangeIsStrict();
    void writeErrorIsFailure();
    void readerGoingAwayIsQuiet();
    void killedCatLeavesNothing();
    void badReplicaIsNeverOutput();

private:
    // Floats a pseudo-random file of `size` bytes as model "m" (file "m.bin").
    QByteArray floatModel(qint64 size, const QStringList& extra = {});
    // Runs a shell command line (bash) in the sandbox, with $CLI set; returns what it said.
    CliResult shell(const QString& script);
    QStringList spoolLeftovers() const
    {
        return test::CliSandbox::filesBelow(m_box->vault() + QStringLiteral("/tmp"));
    }

    std::unique_ptr<test::CliSandbox> m_box;
};

void TestCliCat::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestCliCat::cleanup()
{
    m_box.reset();
}

QByteArray TestCliCat::floatModel(qint64 size, const QStringList& extra)
{
    const QByteArray bytes = test::pseudoRandomBytes(size, 77);
    const QString file = m_box->path(QStringLiteral("input/m.bin"));
    if (!test::writeFile(file, bytes))
        return {};
    const CliResult r = m_box->run(words({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                                          QStringLiteral("--chunk-size"), QStringLiteral("256K")}) +
                                   extra);
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return bytes;
}

CliResult TestCliCat::shell(const QString& script)
{
    QProcessEnvironment env = m_box->environment();
    env.insert(QStringLiteral("CLI"), test::CliSandbox::cli());
    CliResult r;
    static_cast<test::CliRun&>(r) = test::runWithInput(
        QStringLiteral("bash"), words({QStringLiteral("-c"), script}), {}, env, m_box->root());
    return r;
}

void TestCliCat::rangeIsStrict()
{
    const qint64 size = 600 * KiB + 5;
    const QByteArray bytes = floatModel(size);
    QVERIFY(!bytes.isEmpty());
    const QString last = QString::number(size - 1);
    const QStringList bad{
        QStringLiteral("0-18446744073709551616"), // 2^64: not 0, not byte 0
        QStringLiteral("18446744073709551615-"),  // 2^64 - 1: not the whole file
        QStringLiteral("9223372036854775808-"),   // 2^63
        QStringLiteral("0-9223372036854775808"),
        QStringLiteral("9223372036854775807-"), // fits, but past the end
        QStringLiteral("0-9223372036854775807"),
        QStringLiteral("99999999999999999999999999-1"),
        QStringLiteral("5-3"),
        QStringLiteral("abc"),
        QStringLiteral("1-2-3"),
        QStringLiteral("-5"),
        QStringLiteral(" 1-2"),
        QStringLiteral("+1-2"),
        QStringLiteral("0x10-"),
        QStringLiteral("1e3-"),
        QStringLiteral("-"),
        QString::number(size) + QLatin1Char('-'),
        QStringLiteral("0-") + QString::number(size),
    };
    for (const QString& range : bad) {
        const CliResult r =
            m_box->run(words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin"),
                              QStringLiteral("--range"), range}));
        const QByteArray what = range.toUtf8() + "\n" + r.describe();
        QVERIFY2(r.code == Usage, what.constData());
        QVERIFY2(r.out.isEmpty(), what.constData());
        QVERIFY2(r.errText().contains(QStringLiteral("range")), what.constData());
    }
    // The edges that are inside.
    struct Good
    {
        QString range;
        qint64 begin;
        qint64 end;
    };
    for (const Good& g :
         {Good{QStringLiteral("0-0"), 0, 1}, Good{last + QLatin1Char('-'), size - 1, size},
          Good{last + QLatin1Char('-') + last, size - 1, size},
          Good{QStringLiteral("000010-00019"), 10, 20}, Good{QStringLiteral("0-"), 0, size}}) {
        const CliResult r =
            m_box->run(words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin"),
                              QStringLiteral("--range"), g.range}));
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out == bytes.mid(g.begin, g.end - g.begin), qPrintable(g.range));
    }
}

void TestCliCat::writeErrorIsFailure()
{
    const QByteArray bytes = floatModel(3 * MiB + 11);
    QVERIFY(!bytes.isEmpty());

    const CliResult full = shell(QStringLiteral("\"$CLI\" cat m m.bin > /dev/full"));
    QVERIFY2(full.code == Failed, full.describe());
    QVERIFY2(full.errText().contains(QStringLiteral("No space left on device")), full.describe());
    QVERIFY2(full.errText().contains(QStringLiteral("Cannot write the output")), full.describe());

    // A 1 MiB file system for a 3 MiB file: the write fails part-way, and cat says so.
    const QString mount = m_box->path(QStringLiteral("small"));
    QVERIFY(QDir().mkpath(mount));
    if (!test::mountTmpfsOrRerunInNamespace(mount, QStringLiteral("1M"), "writeErrorIsFailure"))
        return;
    const CliResult cut = shell(QStringLiteral("\"$CLI\" cat m m.bin > small/out"));
    const qint64 written = QFileInfo(mount + QStringLiteral("/out")).size();
    test::unmountTmpfs(mount);
    QVERIFY2(cut.code == Failed, cut.describe());
    QVERIFY2(cut.errText().contains(QStringLiteral("No space left on device")), cut.describe());
    QVERIFY2(written < bytes.size(), cut.describe());
    QVERIFY(spoolLeftovers().isEmpty());
}

void TestCliCat::readerGoingAwayIsQuiet()
{
    const QByteArray bytes = floatModel(3 * MiB + 11);
    QVERIFY(!bytes.isEmpty());
    for (int i = 0; i < 3; ++i) {
        const CliResult r = shell(QStringLiteral(
            "\"$CLI\" cat m m.bin | head -c 10 > head.out; echo \"status=${PIPESTATUS[0]}\""));
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out.contains("status=141"), r.describe());
        QVERIFY2(r.err.isEmpty(), r.describe());
        QFile head(m_box->path(QStringLiteral("head.out")));
        QVERIFY(head.open(QIODevice::ReadOnly));
        QCOMPARE(head.readAll(), bytes.left(10));
        QCOMPARE(spoolLeftovers(), QStringList());
    }
    // A range that ends at once is read whole and ends as usual.
    const CliResult whole = shell(QStringLiteral("\"$CLI\" cat m m.bin --range 0-9 | head -c 10"));
    QVERIFY2(whole.code == 0, whole.describe());
    QCOMPARE(whole.out, bytes.left(10));
}

void TestCliCat::killedCatLeavesNothing()
{
    QVERIFY(!floatModel(8 * MiB + 11).isEmpty());
    // Killed while it writes (its reader is slow): the spool dies with it, nameless.
    QProcess cat;
    cat.setProcessEnvironment(m_box->environment());
    cat.start(test::CliSandbox::cli(),
              words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin")}));
    QVERIFY(cat.waitForStarted());
    QVERIFY(cat.waitForReadyRead(60000));
    ::kill(pid_t(cat.processId()), SIGKILL);
    QVERIFY(cat.waitForFinished());
    QCOMPARE(spoolLeftovers(), QStringList());
}

void TestCliCat::badReplicaIsNeverOutput()
{
    // Two copies of every chunk: a corrupt one on the first provider is passed over. With no
    // chunk cache: this is about the copies on the providers, which a chunk verified and cached
    // by an earlier read would stand in for (that is what the cache is for).
    const CliResult noCache = m_box->run(
        words({QStringLiteral("config"), QStringLiteral("read-cache"), QStringLiteral("0")}));
    QVERIFY2(noCache.code == 0, noCache.describe());
    const QString second = m_box->path(QStringLiteral("second"));
    const CliResult add =
        m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                          QStringLiteral("local"), QStringLiteral("second"), second}));
    QVERIFY2(add.code == 0, add.describe());
    const QByteArray bytes =
        floatModel(2 * MiB + 11, words({QStringLiteral("--replicas"), QStringLiteral("2")}));
    QVERIFY(!bytes.isEmpty());
    const QList<test::ChunkRow> chunks =
        test::fileManifest(m_box->vault(), QStringLiteral("m.bin"));
    QVERIFY(chunks.size() >= 4);
    const test::ChunkRow& bad = chunks.at(2);
    QVERIFY(test::flipOneByte(test::chunkObjectBelow(m_box->localStore(), bad.cid)));
    const CliResult fallback =
        m_box->run(words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin")}));
    QVERIFY2(fallback.code == 0, fallback.describe());
    QVERIFY(fallback.out == bytes);
    QVERIFY2(fallback.errText().contains(bad.cid), fallback.describe());

    // Now the other copy is bad too: the bytes before it are delivered (each verified), none of
    // it, and the reason is given.
    QVERIFY(test::flipOneByte(test::chunkObjectBelow(second, bad.cid)));
    const CliResult lost =
        m_box->run(words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin")}));
    QVERIFY2(lost.code == IntegrityProblem, lost.describe());
    QVERIFY2(lost.out == bytes.left(bad.offset), lost.describe().left(2000));
    QVERIFY2(lost.errText().contains(bad.cid), lost.describe().left(2000));

    // Known now: the reason comes before any byte, however early the range starts.
    for (const QString& range : QStringList{
             QStringLiteral("0-"), QStringLiteral("0-") + QString::number(bad.offset + 5)}) {
        const CliResult first =
            m_box->run(words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin"),
                              QStringLiteral("--range"), range}));
        QVERIFY2(first.code == IntegrityProblem, first.describe().left(2000));
        QVERIFY2(first.out.isEmpty(), first.describe().left(2000));
        QVERIFY2(first.errText().contains(bad.cid), first.describe());
    }
    // A range that does not touch the bad chunk is still served.
    const CliResult before = m_box->run(
        words({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin"),
               QStringLiteral("--range"), QStringLiteral("0-") + QString::number(bad.offset - 1)}));
    QVERIFY2(before.code == 0, before.describe().left(2000));
    QVERIFY(before.out == bytes.left(bad.offset));
    QCOMPARE(spoolLeftovers(), QStringList());
}

QTEST_GUILESS_MAIN(TestCliCat)
#include "tst_cli_cat.moc"
