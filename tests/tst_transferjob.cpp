// The lifecycle every transfer job gets from TransferJob (core/transfer/transferjob.h), on a job
// that does nothing of its own: one start, an abort that is safe twice and before start, exactly
// one finished(), always from the event loop, and only the first finish() counting.
#include "transfer/transferjob.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

using namespace mf;

namespace {

// A job whose work is whatever the test says, counting what the base asks of it.
class ProbeJob final : public TransferJob
{
public:
    enum class OnStart { Run, Succeed, FinishTwice };
    explicit ProbeJob(OnStart onStart = OnStart::Run)
        : m_onStart(onStart)
    {}

    using TransferJob::finish; // the test ends the "work" by hand
    int starts = 0;
    int aborts = 0;
    int endings = 0;
    // Set by ending(): the error replaces what finish() was given.
    bool replaceError = false;

private:
    void doStart() override
    {
        ++starts;
        if (m_onStart == OnStart::Succeed) {
            finish(Error::none());
        } else if (m_onStart == OnStart::FinishTwice) {
            finish(Error::make(Error::Kind::NotFound, QStringLiteral("first")));
            finish(Error::make(Error::Kind::Fatal, QStringLiteral("second")));
        }
    }
    void doAbort() override
    {
        ++aborts;
        finish(Error::make(Error::Kind::Cancelled, QStringLiteral("stopped")));
    }
    void ending(Error& error) override
    {
        ++endings;
        if (replaceError)
            error = Error::make(Error::Kind::Fatal, QStringLiteral("replaced"));
    }

    OnStart m_onStart;
};

// Delivers what is posted now (a queued finished()), without waiting for any time to pass.
void deliverPosted()
{
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
}

} // namespace

class TestTransferJob : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void abortBeforeStartFinishesOnceCancelled()
    {
        ProbeJob job;
        QSignalSpy finished(&job, &TransferJob::finished);
        job.abort();
        QCOMPARE(finished.count(), 0); // never from inside abort()
        QVERIFY(job.isFinished());
        QCOMPARE(job.error().kind, Error::Kind::Cancelled);
        job.abort(); // safe twice
        job.start(); // and starting it then does nothing
        QCOMPARE(job.starts, 0);
        QCOMPARE(job.aborts, 0);
        QTRY_COMPARE(finished.count(), 1);
        deliverPosted();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(job.endings, 1);
    }

    void finishInsideStartIsDeliveredQueued()
    {
        ProbeJob job(ProbeJob::OnStart::Succeed);
        QSignalSpy finished(&job, &TransferJob::finished);
        job.start();
        QCOMPARE(job.starts, 1);
        QVERIFY(job.isFinished());
        QCOMPARE(finished.count(), 0); // never from inside start()
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY(job.error().ok());
    }

    void secondFinishIsIgnored()
    {
        ProbeJob job(ProbeJob::OnStart::FinishTwice);
        QSignalSpy finished(&job, &TransferJob::finished);
        job.start();
        QTRY_COMPARE(finished.count(), 1);
        job.finish(Error::none()); // after the end, too
        deliverPosted();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(job.endings, 1);
        QCOMPARE(job.error().kind, Error::Kind::NotFound);
        QCOMPARE(job.error().message, QStringLiteral("first"));
    }

    void startTwiceIsIgnored()
    {
        ProbeJob job;
        job.start();
        job.start();
        QCOMPARE(job.starts, 1);
        QVERIFY(job.isStarted());
        QVERIFY(!job.isFinished());
        job.finish(Error::none());
        job.start();
        QCOMPARE(job.starts, 1);
    }

    void abortWhileRunningStopsTheWorkOnce()
    {
        ProbeJob job;
        QSignalSpy finished(&job, &TransferJob::finished);
        job.start();
        job.abort();
        job.abort();
        QCOMPARE(job.aborts, 1);
        QVERIFY(job.isAborting());
        QCOMPARE(finished.count(), 0);
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(job.error().kind, Error::Kind::Cancelled);
    }

    void abortAfterTheEndDoesNothing()
    {
        ProbeJob job(ProbeJob::OnStart::Succeed);
        QSignalSpy finished(&job, &TransferJob::finished);
        // What the queue does when a job it cancels has just ended: abort from finished().
        connect(&job, &TransferJob::finished, &job, [&job] { job.abort(); });
        job.start();
        job.abort(); // ended already, its finished() not yet delivered
        QTRY_COMPARE(finished.count(), 1);
        deliverPosted();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(job.aborts, 0);
        QVERIFY(!job.isAborting());
        QVERIFY(job.error().ok());
    }

    void endingMayReplaceTheError()
    {
        ProbeJob job;
        job.replaceError = true;
        QSignalSpy finished(&job, &TransferJob::finished);
        job.start();
        job.finish(Error::none());
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(job.error().message, QStringLiteral("replaced"));
    }

    void progressDefaultsToNothingCounted()
    {
        ProbeJob job;
        const TransferProgress p = job.progressNow();
        QCOMPARE(p.totalBytes, 0);
        QCOMPARE(p.bytesDone, 0);
        QCOMPARE(p.chunksTotal, -1);
        QCOMPARE(p.chunksDone, 0);
        QVERIFY(p.stage.isEmpty());
        QVERIFY(p.retryWait.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestTransferJob)
#include "tst_transferjob.moc"
