// One version, set once (project() in CMakeLists.txt), said the same everywhere: both programs'
// --version, the About box, the AppStream release list, the Debian changelog, the package and
// the manual pages.
#include "engine/engine.h"
#include "mainwindow.h"
#include "testsupport.h"

#include <QAction>
#include <QApplication>
#include <QDate>
#include <QFile>
#include <QMessageBox>
#include <QProcess>
#include <QXmlStreamReader>
#include <QtTest>

using namespace mf;
using mf::ui::MainWindow;

namespace {

const QString Version = QStringLiteral(MODELFLOAT_VERSION);

// A program's standard output; `env` is its whole environment.
QString outputOf(const QString& program, const QStringList& args,
                 const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return QStringLiteral("<%1 failed: %2>").arg(program, QString::fromUtf8(p.readAll()));
    return QString::fromUtf8(p.readAllStandardOutput());
}

QString gunzipped(const QString& path)
{
    return outputOf(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
}

} // namespace

class TestUiVersion : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theProgramsSayIt()
    {
        QCOMPARE(outputOf(mf::test::cliPath(), {QStringLiteral("--version")}),
                 QStringLiteral("modelfloat-cli %1\n").arg(Version));
        // The desktop app answers --version (and --help) with no display at all.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
            env.remove(QString::fromLatin1(name));
        QCOMPARE(outputOf(mf::test::guiPath(), {QStringLiteral("--version")}, env),
                 QStringLiteral("ModelFloat %1\n").arg(Version));
        QVERIFY(outputOf(mf::test::guiPath(), {QStringLiteral("--help")}, env)
                    .contains(QStringLiteral("--vault")));
    }

    void theAboutBoxSaysIt()
    {
        // As app/gui/main.cpp sets it (checked through `modelfloat --version` above).
        QCoreApplication::setApplicationVersion(Version);
        Engine engine;
        MainWindow window(&engine);
        QAction* about = nullptr;
        for (QAction* a : window.findChildren<QAction*>())
            if (a->menuRole() == QAction::AboutRole)
                about = a;
        QVERIFY(about);
        about->trigger();
        QMessageBox* box = nullptr;
        QVERIFY(
            QTest::qWaitFor([&] { return (box = window.findChild<QMessageBox*>()) != nullptr; }));
        QVERIFY2(box->text().contains(QStringLiteral("ModelFloat ") + Version),
                 qPrintable(box->text()));
        box->close();
    }

    // resources/io.modelfloat.ModelFloat.metainfo.xml: newest release first, and that is this one.
    void theReleaseListStartsWithIt()
    {
        QFile f(QStringLiteral(MODELFLOAT_METAINFO));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&f);
        QStringList versions;
        QList<QDate> dates;
        while (!xml.atEnd()) {
            if (xml.readNext() == QXmlStreamReader::StartElement &&
                xml.name() == QLatin1String("release")) {
                versions.append(xml.attributes().value(QLatin1String("version")).toString());
                dates.append(QDate::fromString(
                    xml.attributes().value(QLatin1String("date")).toString(), Qt::ISODate));
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY(!versions.isEmpty());
        QCOMPARE(versions.first(), Version);
        for (int i = 0; i < dates.size(); ++i) {
            QVERIFY2(dates.at(i).isValid(), qPrintable(versions.at(i)));
            if (i > 0)
                QVERIFY2(dates.at(i) <= dates.at(i - 1), "the releases are not newest first");
        }
    }

    void thePackageSaysIt()
    {
        QFile cpack(QStringLiteral(MODELFLOAT_CPACK_CONFIG));
        QVERIFY(cpack.open(QIODevice::ReadOnly));
        QVERIFY(cpack.readAll().contains(
            QStringLiteral("set(CPACK_PACKAGE_VERSION \"%1\")").arg(Version).toUtf8()));
        const QString changelog = gunzipped(QStringLiteral(MODELFLOAT_CHANGELOG));
        QVERIFY2(changelog.startsWith(QStringLiteral("modelfloat (%1) ").arg(Version)),
                 qPrintable(changelog.left(200)));
#ifdef MODELFLOAT_MANPAGES
        for (const char* page : {"modelfloat", "modelfloat-cli"}) {
            const QString text = gunzipped(
                QStringLiteral(MODELFLOAT_MANPAGES "/%1.1.gz").arg(QString::fromLatin1(page)));
            QVERIFY2(text.contains(QStringLiteral(" %1\" \"User Commands\"").arg(Version)),
                     qPrintable(text.left(400)));
        }
#else
        qInfo("No manual pages in this build (a sanitizer build, or help2man is missing)");
#endif
    }
};

QTEST_MAIN(TestUiVersion)
#include "tst_ui_version.moc"
