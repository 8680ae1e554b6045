// `modelfloat-cli config redundancy` and the space figures of `stats`: a vault's redundancy is
// "copies N" or "shards K+M"; shards are refused, with the reason and nothing changed, when the
// vault has fewer providers than a chunk has shards; a float under a shards scheme places
// shards, one on each provider (tst_erasure_float reads them back); `stats` gives what fits under
// each scheme.
#include "clisandbox.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QtTest>

#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr int Failed = 1;
constexpr int Usage = 2;
constexpr qint64 GiB = qint64(1) << 30;

} // namespace

class TestCliRedundancy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void defaultIsTwoCopies();
    void shardsNeedAProviderEach();
    void badSpellingsAreRefused_data();
    void badSpellingsAreRefused();
    void copiesSetTheReplication();
    void floatPlacesShards();
    void statsGivesWhatFits();

private:
    CliResult run(const QStringList& args) const { return m_box->run(args); }
    QString redundancy() const;
    // The vault's own local provider gets 15 GiB, and four more stores 20, 10, 10 and 10 GiB:
    // the issue's free cloud.
    void addTheIssueProviders();

    std::unique_ptr<test::CliSandbox> m_box;
};

void TestCliRedundancy::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestCliRedundancy::cleanup()
{
    m_box.reset();
}

QString TestCliRedundancy::redundancy() const
{
    const CliResult r =
        run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("--json")});
    return r.code == 0 ? r.json().value(QStringLiteral("redundancy")).toString() : QString();
}

void TestCliRedundancy::addTheIssueProviders()
{
    const CliResult own =
        run({QStringLiteral("provider"), QStringLiteral("update"), QStringLiteral("local"),
             QStringLiteral("--quota"), QStringLiteral("15G")});
    QVERIFY2(own.code == 0, own.describe().constData());
    const QStringList quotas{QStringLiteral("20G"), QStringLiteral("10G"), QStringLiteral("10G"),
                             QStringLiteral("10G")};
    for (int i = 0; i < quotas.size(); ++i) {
        const QString name = QStringLiteral("store%1").arg(i);
        const CliResult added =
            run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"), name,
                 m_box->path(name), QStringLiteral("--quota"), quotas[i]});
        QVERIFY2(added.code == 0, added.describe().constData());
    }
}

void TestCliRedundancy::defaultIsTwoCopies()
{
    const CliResult r =
        run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.json().value(QStringLiteral("redundancy")).toString(), QStringLiteral("copies 2"));
    QCOMPARE(r.json().value(QStringLiteral("providers_needed")).toInt(), 2);
    const CliResult all = run({QStringLiteral("config"), QStringLiteral("--json")});
    QVERIFY2(all.code == 0, all.describe().constData());
    QCOMPARE(all.json().value(QStringLiteral("redundancy")).toString(), QStringLiteral("copies 2"));
}

void TestCliRedundancy::shardsNeedAProviderEach()
{
    // One provider: 3+2 needs five.
    const CliResult refused = run({QStringLiteral("config"), QStringLiteral("redundancy"),
                                   QStringLiteral("shards"), QStringLiteral("3+2")});
    QCOMPARE(refused.code, Failed);
    QVERIFY2(refused.err.contains("shards 3+2 needs 5 providers that take new copies, one for "
                                  "each shard of a chunk, and this vault has 1"),
             refused.describe().constData());
    QCOMPARE(redundancy(), QStringLiteral("copies 2"));

    addTheIssueProviders();
    // Five now: 4+2 still cannot be held, 3+2 can.
    const CliResult sixNeeded = run({QStringLiteral("config"), QStringLiteral("redundancy"),
                                     QStringLiteral("shards"), QStringLiteral("4+2")});
    QCOMPARE(sixNeeded.code, Failed);
    QVERIFY2(sixNeeded.err.contains("needs 6 providers") && sixNeeded.err.contains("has 5"),
             sixNeeded.describe().constData());
    QCOMPARE(redundancy(), QStringLiteral("copies 2"));

    const CliResult set =
        run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("shards"),
             QStringLiteral("3+2"), QStringLiteral("--json")});
    QVERIFY2(set.code == 0, set.describe().constData());
    QCOMPARE(set.json().value(QStringLiteral("redundancy")).toString(),
             QStringLiteral("shards 3+2"));
    QCOMPARE(set.json().value(QStringLiteral("description")).toString(),
             QStringLiteral("1.67× the model's size, survives losing any 2 of your 5 providers"));
    QCOMPARE(redundancy(), QStringLiteral("shards 3+2"));
    // The words, without --json, and what floats do meanwhile.
    const CliResult shown = run({QStringLiteral("config"), QStringLiteral("redundancy")});
    QVERIFY2(shown.out.contains("shards 3+2: 1.67× the model's size, survives losing any 2"),
             shown.describe().constData());
    QVERIFY2(shown.out.contains("New models are floated as shards"), shown.describe().constData());
}

void TestCliRedundancy::badSpellingsAreRefused_data()
{
    QTest::addColumn<QStringList>("value");
    QTest::addColumn<QString>("says");
    const QString forms = QStringLiteral("“copies N” (N from 1 to 16) or “shards K+M”");
    QTest::newRow("copies 0") << QStringList{QStringLiteral("copies"), QStringLiteral("0")}
                              << forms;
    QTest::newRow("copies 17") << QStringList{QStringLiteral("copies"), QStringLiteral("17")}
                               << forms;
    QTest::newRow("shards 4") << QStringList{QStringLiteral("shards"), QStringLiteral("4")}
                              << forms;
    QTest::newRow("shards 4+0") << QStringList{QStringLiteral("shards"), QStringLiteral("4+0")}
                                << QStringLiteral("4+0 is not one");
    QTest::newRow("shards 30+3") << QStringList{QStringLiteral("shards"), QStringLiteral("30+3")}
                                 << QStringLiteral("at most 32 shards");
    QTest::newRow("mirror 2") << QStringList{QStringLiteral("mirror"), QStringLiteral("2")}
                              << forms;
}

void TestCliRedundancy::badSpellingsAreRefused()
{
    QFETCH(QStringList, value);
    QFETCH(QString, says);
    const CliResult r =
        run(QStringList{QStringLiteral("config"), QStringLiteral("redundancy")} + value);
    QCOMPARE(r.code, Usage);
    QVERIFY2(QString::fromUtf8(r.err).contains(says), r.describe().constData());
    QCOMPARE(redundancy(), QStringLiteral("copies 2"));
}

void TestCliRedundancy::copiesSetTheReplication()
{
    addTheIssueProviders();
    QCOMPARE(run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("shards"),
                  QStringLiteral("4+1")})
                 .code,
             0);
    const CliResult r =
        run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("copies"),
             QStringLiteral("3"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.json().value(QStringLiteral("redundancy")).toString(), QStringLiteral("copies 3"));
    const CliResult all = run({QStringLiteral("config"), QStringLiteral("--json")});
    QCOMPARE(all.json().value(QStringLiteral("replication")).toInt(), 3);
    QCOMPARE(all.json().value(QStringLiteral("redundancy")).toString(), QStringLiteral("copies 3"));

    // `config replication N` (and the app's copies setting) names a copies scheme too: a shards
    // scheme set before gives way to it instead of staying on beside it.
    QCOMPARE(run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("shards"),
                  QStringLiteral("4+1")})
                 .code,
             0);
    const CliResult replication =
        run({QStringLiteral("config"), QStringLiteral("replication"), QStringLiteral("2")});
    QVERIFY2(replication.code == 0, replication.describe().constData());
    QCOMPARE(redundancy(), QStringLiteral("copies 2"));
}

void TestCliRedundancy::floatPlacesShards()
{
    addTheIssueProviders();
    QCOMPARE(run({QStringLiteral("config"), QStringLiteral("redundancy"), QStringLiteral("shards"),
                  QStringLiteral("3+2")})
                 .code,
             0);
    const QString file = m_box->path(QStringLiteral("input/model.bin"));
    QVERIFY(test::writePseudoRandomFile(file, 300 * 1024 + 7, 5));
    const CliResult floated = run({QStringLiteral("float"), file, QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
    QVERIFY2(!floated.err.contains("do not place shards"), floated.describe().constData());
    // One chunk (300 KiB is under the chunker's smallest cut): its five shards, one on each
    // provider, and no copy of the chunk itself.
    const CliResult info = run({QStringLiteral("stats"), QStringLiteral("--json")});
    QCOMPARE(info.json().value(QStringLiteral("placements")).toInt(), 5);
}

void TestCliRedundancy::statsGivesWhatFits()
{
    addTheIssueProviders();
    const CliResult r = run({QStringLiteral("stats"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.json().value(QStringLiteral("redundancy")).toString(), QStringLiteral("copies 2"));
    QHash<QString, qint64> fits;
    const QJsonArray schemes = r.json().value(QStringLiteral("schemes")).toArray();
    QVERIFY(!schemes.isEmpty());
    QCOMPARE(schemes.first().toObject().value(QStringLiteral("scheme")).toString(),
             QStringLiteral("copies 2"));
    QVERIFY(schemes.first().toObject().value(QStringLiteral("current")).toBool());
    for (const auto& v : schemes) {
        const QJsonObject o = v.toObject();
        fits.insert(o.value(QStringLiteral("scheme")).toString(),
                    o.value(QStringLiteral("fits_bytes")).toInteger());
    }
    QCOMPARE(fits.value(QStringLiteral("copies 2")), 65 * GiB / 2);
    QCOMPARE(fits.value(QStringLiteral("shards 3+2")), 30 * GiB);
    QCOMPARE(fits.value(QStringLiteral("shards 4+1")), 40 * GiB);
    QCOMPARE(fits.value(QStringLiteral("shards 4+2")), 0);
    const CliResult text = run({QStringLiteral("stats")});
    QVERIFY2(text.out.contains("free space of 5 providers with a quota"),
             text.describe().constData());
    QVERIFY2(text.out.contains("but needs 6 providers and the vault has 5"),
             text.describe().constData());
}

QTEST_GUILESS_MAIN(TestCliRedundancy)
#include "tst_cli_redundancy.moc"
