// Provider budgets: a provider that takes no more until a time (a daily cap it reports, the
// daily upload budget the user set) is paused for every process on the vault, the distributor
// places chunks elsewhere meanwhile, `provider list` tells until when, and the queue resumes
// the provider's work at that time by itself. Real local-folder providers; the one provider
// that reports a cap wraps a local provider and answers every put "no more until T".
#include "clitestsupport.h"
#include "engine/engine.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

const ChunkerParams Small = ChunkerParams::contentDefined(64 * KiB, 128 * KiB, 256 * KiB);

FloatJob::Request floatRequest(const QString& path, const QString& name, int replication)
{
    FloatJob::Request r;
    r.paths = {path};
    r.modelName = name;
    r.options.replication = replication;
    r.options.chunker = Small;
    return r;
}

bool setDailyUpload(Registry& r, qint64 id, qint64 bytes)
{
    auto p = r.providerRows().provider(id);
    if (!p)
        return false;
    p->settings.insert(QStringLiteral("dailyUpload"), bytes);
    return r.providerRows().updateProvider(*p);
}

// Writes to the registry as another process would (its own connection): the day of a budget
// that started long ago, so that it (and the pause it caused) ends `endsInMs` from now: time
// passing, without waiting for it.
bool ageBudgetDay(const QString& vaultDir, qint64 providerId, qint64 usedBytes, qint64 endsInMs)
{
    const QString name = QStringLiteral("age-%1").arg(providerId);
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(vaultDir + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral(
                "INSERT INTO provider_budgets (provider_id, day_start, day_bytes) VALUES (?, ?, ?) "
                "ON CONFLICT (provider_id) DO UPDATE SET day_start = excluded.day_start, "
                "day_bytes = excluded.day_bytes, upload_paused_until = CASE WHEN "
                "upload_paused_until IS NULL THEN NULL ELSE excluded.day_start + ? END"));
            q.addBindValue(providerId);
            q.addBindValue(QDateTime::currentMSecsSinceEpoch() - ProviderRows::BudgetDayMs +
                           endsInMs);
            q.addBindValue(usedBytes);
            q.addBindValue(
                ProviderRows::BudgetDayMs); // the pause the budget made ends with its day
            ok = q.exec();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

// Stored copies of every chunk of the model, on each provider.
QHash<qint64, int> copiesPerProvider(Registry& r, qint64 modelId, int* minCopies)
{
    QHash<qint64, int> out;
    *minCopies = INT_MAX;
    const auto all = r.placementRows().placementsOfModel(modelId);
    for (auto it = all.cbegin(); it != all.cend(); ++it) {
        int copies = 0;
        for (const Placement& p : it.value())
            if (p.state == PlacementState::Stored) {
                out[p.providerId]++;
                copies++;
            }
        *minCopies = qMin(*minCopies, copies);
    }
    return out;
}

qint64 storedBytes(Registry& r, qint64 providerId)
{
    return r.healthRows().storedBytesByProvider().value(providerId);
}

// A local folder whose uploads the provider refuses with "no more until T", as Drive does
// after its daily upload cap; everything else is the local provider's.
class CappedProvider final : public Provider
{
public:
    CappedProvider(const QString& name, const QString& root, qint64 resetMs)
        : Provider(name)
        , m_local(name, root, {})
        , m_resetMs(resetMs)
    {}
    QString kind() const override { return QStringLiteral("capped"); }
    ProviderJob* save(const QString&, std::unique_ptr<QIODevice>, qint64) override
    {
        return new RefusedPut(m_resetMs);
    }
    ProviderJob* get(const QString& l, ByteSink* s, qint64 o, qint64 n) override
    {
        return m_local.get(l, s, o, n);
    }
    ProviderJob* stat(const QString& l) override { return m_local.stat(l); }
    ProviderJob* remove(const QString& l) override { return m_local.remove(l); }
    ProviderJob* list() override { return m_local.list(); }
    ProviderJob* usage() override { return m_local.usage(); }

private:
    class RefusedPut final : public ProviderJob
    {
    public:
        explicit RefusedPut(qint64 resetMs)
            : m_resetMs(resetMs)
        {}

    private:
        void doStart() override
        {
            finish(
                Error::outOfBudget(QStringLiteral("the daily upload limit is reached"), m_resetMs));
        }
        void doAbort() override { finish(Error::make(Error::Kind::Cancelled, {})); }
        qint64 m_resetMs;
    };

    LocalProvider m_local;
    qint64 m_resetMs;
};

} // namespace

class TestBudgets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The user's daily budget: once used, the provider is paused until its day ends and the
    // chunks go to the other providers, each still with its two copies.
    void dailyBudgetPlacesElsewhere()
    {
        TestVault v(2);
        QVERIFY(v.ok());
        const QList<qint64> ids = v.providerIds();
        const qint64 budgeted = ids.at(2);
        QVERIFY(setDailyUpload(v.registry(), budgeted, 512 * KiB));
        const QString source = v.path(QStringLiteral("model.bin"));
        QVERIFY(writePseudoRandomFile(source, 3 * MiB, 7));

        FloatJob job(v.vault.get(), floatRequest(source, QStringLiteral("b"), 2));
        QSignalSpy warnings(&job, &FloatJob::warning);
        QVERIFY(run(job));
        QCOMPARE(job.failure(), FloatJob::Failure::None);
        int minCopies = 0;
        const auto copies = copiesPerProvider(
            v.registry(), v.registry().modelRows().modelByName(QStringLiteral("b"))->id,
            &minCopies);
        QCOMPARE(minCopies, 2);
        QCOMPARE(job.totals().underReplicatedChunks, 0);
        QVERIFY(copies.value(budgeted) > 0);
        QVERIFY2(storedBytes(v.registry(), budgeted) <= 512 * KiB,
                 qPrintable(QString::number(storedBytes(v.registry(), budgeted))));
        QCOMPARE(job.budgetResetMs(), -1); // nothing waits: the others took every copy

        const ProviderBudget b = v.registry().providerRows().providerBudget(budgeted);
        QVERIFY(b.uploadPaused());
        QCOMPARE(b.dailyUploadBytes, 512 * KiB);
        QCOMPARE(b.uploadedTodayBytes, storedBytes(v.registry(), budgeted));
        QCOMPARE(b.uploadPausedUntilMs, b.dayEndsMs);
        const qint64 dayLeft = b.dayEndsMs - QDateTime::currentMSecsSinceEpoch();
        QVERIFY(dayLeft > ProviderRows::BudgetDayMs - 600000 &&
                dayLeft <= ProviderRows::BudgetDayMs);
        QVERIFY(b.uploadPauseReason.contains(QStringLiteral("daily upload budget")));
        bool warned = false;
        for (const QVariantList& w : warnings)
            warned |= w.first().toString().contains(QStringLiteral("takes no uploads until"));
        QVERIFY(warned);
        // The other providers are not paused.
        QVERIFY(!v.registry().providerRows().providerBudget(ids.at(0)).uploadPaused());
    }

    // Too few other providers: the chunks wait for the paused one (fewer copies now), the float
    // says until when, and the same float run after the day ended makes the missing copies.
    void waitsAndTopsUpAfterTheDay()
    {
        TestVault v(1);
        QVERIFY(v.ok());
        const qint64 budgeted = v.providerIds().at(1);
        QVERIFY(setDailyUpload(v.registry(), budgeted, 512 * KiB));
        const QString source = v.path(QStringLiteral("model.bin"));
        QVERIFY(writePseudoRandomFile(source, 1536 * KiB, 8));

        {
            FloatJob job(v.vault.get(), floatRequest(source, QStringLiteral("w"), 2));
            QVERIFY(run(job));
            QCOMPARE(job.failure(), FloatJob::Failure::None);
            QVERIFY(job.totals().underReplicatedChunks > 0);
            const ProviderBudget b = v.registry().providerRows().providerBudget(budgeted);
            QVERIFY(b.uploadPaused());
            QCOMPARE(job.budgetResetMs(), b.uploadPausedUntilMs);
        }
        // Run again the same day: nothing can be done yet, and it still says so.
        {
            FloatJob job(v.vault.get(), floatRequest(source, QStringLiteral("w"), 2));
            QVERIFY(run(job));
            QCOMPARE(job.failure(), FloatJob::Failure::None);
            QVERIFY(job.budgetResetMs() > QDateTime::currentMSecsSinceEpoch());
        }
        // The day is over (as if 24 h had passed): the same float makes missing copies, up to
        // the day's budget, and says it waits again while some are left. Three 512 KiB days
        // hold 1.5 MiB; chunks do not divide it exactly, so it may take a fourth.
        qint64 before = storedBytes(v.registry(), budgeted);
        int days = 1;
        for (;;) {
            QVERIFY(ageBudgetDay(v.vault->directory(), budgeted, 512 * KiB, -1000));
            QVERIFY(!v.registry().providerRows().providerBudget(budgeted).uploadPaused());
            FloatJob job(v.vault.get(), floatRequest(source, QStringLiteral("w"), 2));
            QVERIFY(run(job));
            QCOMPARE(job.failure(), FloatJob::Failure::None);
            QVERIFY(!job.alreadyFloated());
            const qint64 now = storedBytes(v.registry(), budgeted);
            QVERIFY2(now > before, "a new day made no copy");
            QVERIFY(now - before <= 512 * KiB);
            before = now;
            ++days;
            if (job.budgetResetMs() < 0) {
                QCOMPARE(job.totals().underReplicatedChunks, 0);
                break;
            }
            QVERIFY(job.totals().underReplicatedChunks > 0);
            QVERIFY2(days < 6, "the copies never all got made");
        }
        QVERIFY(days >= 3);
        int minCopies = 0;
        copiesPerProvider(v.registry(),
                          v.registry().modelRows().modelByName(QStringLiteral("w"))->id,
                          &minCopies);
        QCOMPARE(minCopies, 2);
        // And once every copy is there, the same float is "nothing to do" again.
        FloatJob again(v.vault.get(), floatRequest(source, QStringLiteral("w"), 2));
        QVERIFY(run(again));
        QVERIFY(again.alreadyFloated());
    }

    // A provider that answers "no more until T" is paused in the registry (every process sees
    // it), its chunks go elsewhere, and `provider list` shows until when and why.
    void providerAnswerPausesIt()
    {
        TestVault v(2);
        QVERIFY(v.ok());
        const qint64 resetMs = QDateTime::currentMSecsSinceEpoch() + 3 * 3600 * 1000;
        ProviderKind kind;
        kind.id = QStringLiteral("capped");
        kind.displayName = QStringLiteral("Capped");
        v.vault->providerFactory().registerKind(
            kind, [resetMs](const ProviderRecord& r, const ProviderContext&, QString*) {
                return std::unique_ptr<Provider>(new CappedProvider(
                    r.name, r.settings.value(QStringLiteral("path")).toString(), resetMs));
            });
        ProviderRecord capped;
        capped.kind = QStringLiteral("capped");
        capped.name = QStringLiteral("capped");
        capped.settings.insert(QStringLiteral("path"), v.path(QStringLiteral("store-capped")));
        QDir().mkpath(v.path(QStringLiteral("store-capped")));
        const qint64 cappedId = v.registry().providerRows().addProvider(capped).value_or(0);
        QVERIFY(cappedId > 0);
        const QString source = v.path(QStringLiteral("model.bin"));
        QVERIFY(writePseudoRandomFile(source, 2 * MiB, 9));

        // Four copies wanted: every chunk needs the capped provider, whose copies wait.
        FloatJob::Request request = floatRequest(source, QStringLiteral("c"), 4);
        FloatJob job(v.vault.get(), request);
        QVERIFY(run(job));
        QCOMPARE(job.failure(), FloatJob::Failure::None);
        QCOMPARE(job.budgetResetMs(), resetMs);
        const ProviderBudget b = v.registry().providerRows().providerBudget(cappedId);
        QCOMPARE(b.uploadPausedUntilMs, resetMs);
        QVERIFY(b.uploadPauseReason.contains(QStringLiteral("daily upload limit")));
        QVERIFY(!b.downloadPaused());
        QCOMPARE(v.registry().placementRows().beginPlacement(QStringLiteral("x"), cappedId),
                 PlacementRows::PlacementIntent::Paused);
        int minCopies = 0;
        const auto copies = copiesPerProvider(
            v.registry(), v.registry().modelRows().modelByName(QStringLiteral("c"))->id,
            &minCopies);
        QCOMPARE(minCopies, 3);
        QCOMPARE(copies.value(cappedId), 0);

        // A pause whose time has passed is no pause.
        QVERIFY(v.registry().providerRows().pauseProvider(cappedId, BudgetDirection::Download,
                                                          QDateTime::currentMSecsSinceEpoch() - 1,
                                                          QStringLiteral("over")));
        QVERIFY(!v.registry().providerRows().providerBudget(cappedId).downloadPaused());

        // `provider list` (another process) reads the same pause.
        const QString dir = v.vault->directory();
        v.vault.reset();
        const CliRun list = runWithInput(
            mf::test::cliPath(), {QStringLiteral("provider"), QStringLiteral("list"),
                                  QStringLiteral("--vault"), dir, QStringLiteral("--json")});
        QVERIFY2(list.code == 0, list.describe().constData());
        const QJsonArray providers =
            QJsonDocument::fromJson(list.out).object().value(QStringLiteral("providers")).toArray();
        bool found = false;
        for (const QJsonValue p : providers) {
            if (p[QStringLiteral("name")].toString() != QLatin1String("capped"))
                continue;
            found = true;
            const QJsonObject budget = p[QStringLiteral("budget")].toObject();
            QCOMPARE(QDateTime::fromString(
                         budget[QStringLiteral("uploads_paused_until")].toString(), Qt::ISODate)
                         .toSecsSinceEpoch(),
                     resetMs / 1000);
            QVERIFY(budget[QStringLiteral("upload_pause_reason")].toString().contains(
                QStringLiteral("daily upload limit")));
        }
        QVERIFY(found);
        const CliRun text =
            runWithInput(mf::test::cliPath(), {QStringLiteral("provider"), QStringLiteral("list"),
                                               QStringLiteral("--vault"), dir});
        QVERIFY2(text.out.contains("uploads paused until"), text.describe().constData());
    }

    // The queue: a float whose second copies wait for a paused provider is queued for the time
    // the pause ends, and runs again then by itself: every chunk gets its two copies.
    void queueResumesAtTheTime()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        tv.vault->setDefaultChunker(Small);
        const qint64 budgeted = tv.providerIds().at(1);
        QVERIFY(setDailyUpload(tv.registry(), budgeted, 4 * MiB));
        const QString dir = tv.vault->directory();
        tv.vault.reset();
        // Its day's budget is used, and the day ends in 4 s.
        QVERIFY(ageBudgetDay(dir, budgeted, 4 * MiB, 4000));
        const QString source = tv.path(QStringLiteral("in/model.bin"));
        QDir().mkpath(QFileInfo(source).path());
        QVERIFY(writePseudoRandomFile(source, 1536 * KiB, 10));

        Engine engine;
        QList<TransferInfo> seen;
        connect(&engine, &Engine::transferChanged, this,
                [&seen](const TransferInfo& i) { seen.append(i); });
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());

        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("q");
        const qint64 id = engine.floatFiles(request);
        // First it waits (queued, with a time), then it is done: nobody asked it to go on.
        QVERIFY(QTest::qWaitFor(
            [&] {
                return std::any_of(seen.cbegin(), seen.cend(), [&](const TransferInfo& i) {
                    return i.id == id && i.state == TransferInfo::State::Queued &&
                           i.waitingUntil.isValid();
                });
            },
            JobTimeoutMs));
        QVERIFY(QTest::qWaitFor(
            [&] {
                return !seen.isEmpty() && seen.last().id == id &&
                       seen.last().state == TransferInfo::State::Done;
            },
            JobTimeoutMs));
        QVERIFY(!seen.last().waitingUntil.isValid());

        // Closed, the vault shows every chunk with its two copies.
        QSignalSpy busy(&engine, &Engine::busyChanged);
        QVERIFY(QTest::qWaitFor([&] { return !engine.isBusy(); }));
        QString error;
        auto vault = Vault::open(dir, Vault::OpenMode::Existing, &error);
        QVERIFY2(vault, qPrintable(error));
        int minCopies = 0;
        copiesPerProvider(vault->registry(),
                          vault->registry().modelRows().modelByName(QStringLiteral("q"))->id,
                          &minCopies);
        QCOMPARE(minCopies, 2);
    }
};

QTEST_GUILESS_MAIN(TestBudgets)
#include "tst_budgets.moc"
