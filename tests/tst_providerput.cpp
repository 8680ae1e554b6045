// What Provider::put() decides once for every kind (PutJob, docs/providers.md "Where the policy
// lives"), against a real server of each kind (tests/everykind.h): a chunk the provider holds
// already is found and not sent again, not one byte of its source read; a torn object under
// the chunk's name (another size) is replaced, not trusted.

#include "chunking/cid.h"
#include "everykind.h"
#include "testsupport.h"

#include <QBuffer>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

// A put's source that counts the bytes read from it.
class CountingSource final : public QBuffer
{
public:
    CountingSource(const QByteArray& data, std::shared_ptr<qint64> read)
        : m_read(std::move(read))
    {
        setData(data);
        open(QIODevice::ReadOnly);
    }

protected:
    qint64 readData(char* data, qint64 maxSize) override
    {
        const qint64 n = QBuffer::readData(data, maxSize);
        if (n > 0)
            *m_read += n;
        return n;
    }

private:
    std::shared_ptr<qint64> m_read;
};

struct PutResult
{
    Error error;
    QString locator;
    bool alreadyStored = false;
    qint64 bytesRead = 0;     // from the source
    qint64 progressBytes = 0; // the most progress() said was sent
};

PutResult putChunk(Provider& p, const QString& id, const QByteArray& data)
{
    PutResult out;
    auto read = std::make_shared<qint64>(0);
    ProviderJob* job = p.put(id, std::make_unique<CountingSource>(data, read), data.size());
    QObject::connect(job, &ProviderJob::progress, job, [&out](qint64 done, qint64) {
        out.progressBytes = qMax(out.progressBytes, done);
    });
    out.error = Error::make(Error::Kind::Fatal, QStringLiteral("the put did not finish"));
    runProviderJob(job, [&](ProviderJob& j) {
        out.error = j.error();
        out.locator = j.locator();
        out.alreadyStored = j.alreadyStored();
    });
    out.bytesRead = *read;
    return out;
}

QByteArray getAll(Provider& p, const QString& locator, Error* error)
{
    BufferSink sink;
    *error = runProviderJob(p.get(locator, &sink));
    return sink.bytes();
}

} // namespace

class TestProviderPut final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_kinds.start(&error), qPrintable(error));
    }

    void storedChunkIsNotSentAgain_data() { EveryKind::addRows(); }
    void storedChunkIsNotSentAgain()
    {
        QFETCH(QString, kind);
        auto p = m_kinds.make(kind);
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(300 * 1024 + 3, 21);
        const QString id = cid::ofData(data);
        const PutResult first = putChunk(*p, id, data);
        QVERIFY2(first.error.ok(), qPrintable(first.error.message));
        QVERIFY(!first.alreadyStored);
        QCOMPARE(first.bytesRead, data.size());

        // The second put finds it: the same locator, nothing read from the source, nothing sent.
        const PutResult again = putChunk(*p, id, data);
        QVERIFY2(again.error.ok(), qPrintable(again.error.message));
        QVERIFY(again.alreadyStored);
        QCOMPARE(again.locator, first.locator);
        QCOMPARE(again.bytesRead, 0);
        QCOMPARE(again.progressBytes, 0);

        // So does a new adapter of the same store (another process, the next run).
        auto other = m_kinds.make(kind, p->displayName().section(QLatin1Char('-'), 1));
        QVERIFY(other);
        const PutResult fresh = putChunk(*other, id, data);
        QVERIFY2(fresh.error.ok(), qPrintable(fresh.error.message));
        QVERIFY(fresh.alreadyStored);
        QCOMPARE(fresh.bytesRead, 0);
        Error e;
        QCOMPARE(getAll(*other, fresh.locator, &e), data);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QCOMPARE(runProviderJob(p->remove(first.locator)).kind, Error::Kind::None);
    }

    // Kinds whose save() can leave an object of another size under a chunk's name (S3 checks
    // the body against the chunk's SHA-256, IPFS names a block by its hash, the drives name
    // files by id): a torn object there is removed and the chunk stored, not counted as stored.
    void tornObjectIsReplaced_data()
    {
        QTest::addColumn<QString>("kind");
        for (const char* k : {"local", "webdav", "apache"})
            QTest::newRow(k) << QString::fromLatin1(k);
    }
    void tornObjectIsReplaced()
    {
        QFETCH(QString, kind);
        auto p = m_kinds.make(kind);
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(200 * 1024, 22);
        const QString id = cid::ofData(data);
        const QByteArray torn = data.left(70 * 1024);
        QString tornLocator;
        runProviderJob(p->save(id, sourceOf(torn), torn.size()), [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            tornLocator = j.locator();
        });
        QCOMPARE(tornLocator, p->locatorFor(id, data.size()));

        const PutResult put = putChunk(*p, id, data);
        QVERIFY2(put.error.ok(), qPrintable(put.error.message));
        QVERIFY(!put.alreadyStored);
        QCOMPARE(put.bytesRead, data.size());
        Error e;
        QCOMPARE(getAll(*p, put.locator, &e), data);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QCOMPARE(runProviderJob(p->remove(put.locator)).kind, Error::Kind::None);
    }

private:
    EveryKind m_kinds;
};

QTEST_GUILESS_MAIN(TestProviderPut)
#include "tst_providerput.moc"
