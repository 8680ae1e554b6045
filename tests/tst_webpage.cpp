// The web page in a real browser: Debian's chromium, headless, driven by playwright-core
// (tests/peers/web-page-check.mjs) against the real `modelfloat-cli serve`, at a phone's
// viewport (390x844) and a desktop's (1400x900): signing in through one-time links, searching,
// opening a model, downloading a file bit-exact; uploads by picker and by drop (a 200 MB one
// floated whole, after one cancelled midway), a restore paused, resumed and followed to 100 %
// and compared bit-exact; a used link and a request without the CSRF token refused.

#include "apitestsupport.h"
#include "ggufwriter.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestWebPage final : public ApiTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { ApiTestBase::cleanupTestCase(); }
    void browserSignsInSearchesAndDownloads();

private:
    QString newLink();
    static QList<QPair<QString, qint64>> folderFiles()
    {
        return {{QStringLiteral("config.json"), 700},
                {QStringLiteral("weights/part 1.bin"), 1 * MiB + 17},
                {QStringLiteral("weights/part-2.bin"), 300 * KiB}};
    }
    QByteArray m_upload;
};

namespace {
const QString Chromium = QStringLiteral("/usr/bin/chromium");
// A function, not a constant: the tests' folder is found beside the running suite, which a
// constant built before QCoreApplication cannot know (the suite then skipped itself everywhere).
QString driver()
{
    return mf::test::testsSourceDir() +
           QStringLiteral("/peers/node_modules/playwright-core/package.json");
}
} // namespace

void TestWebPage::initTestCase()
{
    if (!QFileInfo(Chromium).isExecutable())
        QSKIP("Debian's chromium is not installed (/usr/bin/chromium): scripts/install-deps.sh "
              "installs it");
    if (!QFileInfo::exists(driver()))
        QSKIP("playwright-core is not installed: npm ci in tests/peers installs it");
    // Restores read at most 40 MB/s: the big model's takes seconds, time to pause and resume it.
    m_serveOptions = {QStringLiteral("--limit-download"), QStringLiteral("40M")};
    ApiTestBase::initTestCase();
    // A GGUF model, whose format and quantization the list shows and searches.
    const QString gguf = m_box->path(QStringLiteral("input/tiny.gguf"));
    QVERIFY(test::writeFile(gguf, test::sampleGguf().build()));
    const CliResult floated =
        m_box->run({QStringLiteral("float"), gguf, QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe());
    // What the browser uploads: one file floated whole, one big enough to cancel midway.
    m_upload = test::pseudoRandomBytes(3 * MiB + 5, 91);
    QVERIFY(test::writeFile(m_box->path(QStringLiteral("input/up.bin")), m_upload));
    QVERIFY(test::writeFile(m_box->path(QStringLiteral("input/big.bin")),
                            test::pseudoRandomBytes(200 * MiB, 92)));
    // A folder the browser drops: one model of its three files, by their paths in it.
    QVERIFY(QDir().mkpath(m_box->path(QStringLiteral("input/tinyfolder/weights"))));
    for (const auto& [path, size] : folderFiles())
        QVERIFY(test::writeFile(m_box->path(QStringLiteral("input/tinyfolder/") + path),
                                test::pseudoRandomBytes(size, int(size))));
}

QString TestWebPage::newLink()
{
    const Reply r =
        get(QStringLiteral("/api/v1/session/links"),
            {QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-d"), QString()});
    if (r.status != 201)
        qWarning("%s", r.describe().constData());
    return r.json().value(QStringLiteral("link")).toString();
}

void TestWebPage::browserSignsInSearchesAndDownloads()
{
    const QString phone = newLink();
    const QString desktop = newLink();
    QVERIFY(!phone.isEmpty() && !desktop.isEmpty());
    const QString sha256 =
        QString::fromLatin1(QCryptographicHash::hash(m_other, QCryptographicHash::Sha256).toHex());
    QString output;
    const bool ok = test::runProcess(
        QStringLiteral("node"),
        {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/web-page-check.mjs")),
         Chromium, url(QString()), QStringLiteral("other"), QStringLiteral("other.bin"), sha256,
         QStringLiteral("OTH"), m_box->path(QStringLiteral("input/up.bin")),
         QString::fromLatin1(
             QCryptographicHash::hash(m_upload, QCryptographicHash::Sha256).toHex()),
         m_box->path(QStringLiteral("input/big.bin")), m_box->path(QStringLiteral("restored")),
         m_box->path(QStringLiteral("input/tinyfolder")), phone, desktop},
        &output, 900'000);
    if (qEnvironmentVariableIsSet("WEBPAGE_VERBOSE") || !ok ||
        !output.contains(QLatin1String("all checks passed")))
        qWarning("%s", qPrintable(output)); // whole: QVERIFY2 cuts its message short
    QVERIFY(ok && output.contains(QLatin1String("all checks passed")));
    // Both viewports ran every check.
    QCOMPARE(output.count(QLatin1String("has its SHA-256")), 2);
    QVERIFY(output.contains(QLatin1String("the uploaded file downloads bit-exact")));
    QVERIFY(output.contains(QLatin1String("a dropped file is floated with its SHA-256")));
    QVERIFY2(output.contains(QLatin1String("nothing of a cancelled upload stays")),
             qPrintable(output));
    // After the browser: the server agrees that the uploads floated and the cancelled one left
    // nothing.
    QCOMPARE(get(QStringLiteral("/api/v1/models/up")).status, 200);
    QCOMPARE(get(QStringLiteral("/api/v1/models/dropped")).status, 200);
    // The big file, cancelled once, then dropped again and floated whole: its restore (paused
    // and resumed on the page) wrote it bit-exact.
    QCOMPARE(get(QStringLiteral("/api/v1/models/big")).status, 200);
    QVERIFY2(output.contains(QLatin1String("a restore is paused on the page before its end")),
             qPrintable(output));
    QVERIFY(output.contains(QLatin1String("the resumed restore is followed to 100 %")));
    QCOMPARE(test::opensslSha256Hex(m_box->path(QStringLiteral("restored/big.bin"))),
             test::opensslSha256Hex(m_box->path(QStringLiteral("input/big.bin"))));
    // The dropped folder's restore wrote each of its files bit-exact, where it was in the folder.
    QVERIFY(output.contains(QLatin1String("a dropped folder is one model of its files")));
    for (const auto& [path, size] : folderFiles())
        QCOMPARE(test::opensslSha256Hex(m_box->path(QStringLiteral("restored/") + path)),
                 test::opensslSha256Hex(m_box->path(QStringLiteral("input/tinyfolder/") + path)));
    // The restore the page followed wrote the file bit-exact; the model it then removed is gone.
    QFile restored(m_box->path(QStringLiteral("restored/other.bin")));
    QVERIFY(restored.open(QIODevice::ReadOnly));
    QVERIFY(restored.readAll() == m_other);
    QCOMPARE(get(QStringLiteral("/api/v1/models/other")).status, 404);
}

QTEST_GUILESS_MAIN(TestWebPage)
#include "tst_webpage.moc"
