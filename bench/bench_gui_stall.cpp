// How smooth the GUI thread stays while the Engine floats a large file: a QTimer on the GUI
// thread ticks every 5 ms and records the gaps between ticks while the transfers page (model,
// view and progress delegate) follows the float. Target: worst gap under 50 ms.
//
//   bench_gui_stall [--size-mib 2048] [--dir /path/with/space] [--interval-ms 5]
//
// Runs with any Qt platform; QT_QPA_PLATFORM=offscreen where there is no display.
#include "engine/engine.h"
#include "transfersmodel.h"
#include "transfersview.h"
#include "vault/vault.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace mf;

namespace {

bool writeRandomFile(const QString& path, qint64 size)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    std::mt19937_64 rng(42);
    QByteArray block(4 << 20, Qt::Uninitialized);
    for (qint64 done = 0; done < size;) {
        auto* words = reinterpret_cast<quint64*>(block.data());
        for (qsizetype i = 0; i < block.size() / 8; ++i)
            words[i] = rng();
        const qint64 n = qMin<qint64>(block.size(), size - done);
        if (f.write(block.constData(), n) != n)
            return false;
        done += n;
    }
    return f.flush();
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("size-mib"), QStringLiteral("File size in MiB."),
                 QStringLiteral("n"), QStringLiteral("2048")});
    p.addOption({QStringLiteral("dir"), QStringLiteral("Folder for the file and the vault."),
                 QStringLiteral("path")});
    p.addOption({QStringLiteral("interval-ms"), QStringLiteral("Timer interval."),
                 QStringLiteral("ms"), QStringLiteral("5")});
    p.process(app);
    const qint64 size = p.value(QStringLiteral("size-mib")).toLongLong() << 20;
    const int interval = p.value(QStringLiteral("interval-ms")).toInt();

    QTemporaryDir tmp(p.isSet(QStringLiteral("dir"))
                          ? p.value(QStringLiteral("dir")) + QStringLiteral("/gui-stall-XXXXXX")
                          : QString());
    if (!tmp.isValid()) {
        std::fprintf(stderr, "cannot create a temporary folder\n");
        return 1;
    }
    const QString source = tmp.filePath(QStringLiteral("model.bin"));
    std::fprintf(stderr, "writing %lld MiB of test data...\n", size >> 20);
    if (!writeRandomFile(source, size)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(source));
        return 1;
    }

    Engine engine;
    ui::TransfersModel model(&engine);
    ui::TransfersView view(&engine, &model);
    view.resize(900, 300);
    view.show();

    QList<qint64> gaps;
    QElapsedTimer clock;
    QElapsedTimer wall;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(interval);
    QObject::connect(&ticker, &QTimer::timeout, &app, [&] { gaps.append(clock.restart()); });

    qint64 floatId = 0;
    int exitCode = 0;
    QObject::connect(&engine, &Engine::opened, &app, [&](const QString& error) {
        if (!error.isEmpty()) {
            std::fprintf(stderr, "open: %s\n", qPrintable(error));
            QCoreApplication::exit(1);
            return;
        }
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("stall-bench");
        wall.start();
        clock.start();
        ticker.start();
        floatId = engine.floatFiles(request);
    });
    auto onTransfer = [&](const TransferInfo& info) {
        if (info.id != floatId || !info.isFinished())
            return;
        ticker.stop();
        if (info.state != TransferInfo::State::Done) {
            std::fprintf(stderr, "float %s: %s\n", qPrintable(TransferInfo::stateName(info.state)),
                         qPrintable(info.error));
            exitCode = 1;
        }
        QCoreApplication::exit(exitCode);
    };
    QObject::connect(&engine, &Engine::transferChanged, &app, onTransfer);
    QObject::connect(&engine, &Engine::transferAdded, &app, onTransfer);
    engine.open(tmp.filePath(QStringLiteral("vault")));
    if (app.exec() != 0 || gaps.isEmpty())
        return 1;
    const double seconds = double(wall.elapsed()) / 1000.0;

    QList<qint64> sorted = gaps;
    std::sort(sorted.begin(), sorted.end());
    const qint64 worst = sorted.last();
    const qint64 p99 = sorted.at(qMin<qsizetype>(sorted.size() - 1, sorted.size() * 99 / 100));
    const qint64 p50 = sorted.at(sorted.size() / 2);
    const auto over =
        std::count_if(sorted.cbegin(), sorted.cend(), [](qint64 g) { return g > 50; });
    QTextStream out(stdout);
    out << "GUI-thread timer every " << interval << " ms while floating " << (size >> 20)
        << " MiB through the Engine (platform " << QGuiApplication::platformName() << ")\n"
        << "  ticks:        " << gaps.size() << "\n"
        << "  median gap:   " << p50 << " ms\n"
        << "  p99 gap:      " << p99 << " ms\n"
        << "  worst gap:    " << worst << " ms (target < 50 ms)\n"
        << "  gaps > 50 ms: " << over << "\n"
        << "  float wall:   " << QString::number(seconds, 'f', 1) << " s ("
        << QString::number(double(size) / (1 << 20) / seconds, 'f', 0) << " MiB/s)\n";
    return worst < 50 ? 0 : 2;
}
