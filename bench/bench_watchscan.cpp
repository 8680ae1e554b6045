// Wall time of one rescan of a watched folder (watchscan::scan: what FolderWatcher does on its
// own thread at every look): a tree of N files (default 2,000) in 100 folders, a GGUF file, a
// safetensors model or other files in each, as a models folder holds them. Prints each run and
// the median. The files were just written, so the figures are those of a warm cache, as a
// periodic rescan of folders in use sees them.
//
// Usage: bench_watchscan [files] [runs]

#include "watch/watchscan.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace mf;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int files = qMax(1, args.value(1, QStringLiteral("2000")).toInt());
    const int runs = qMax(1, args.value(2, QStringLiteral("9")).toInt());
    QTemporaryDir root;
    constexpr int Folders = 100;
    for (int i = 0; i < files; ++i) {
        const int folder = i % Folders;
        const QString dir =
            root.filePath(QStringLiteral("publisher%1/model%2").arg(folder % 10).arg(folder));
        QDir().mkpath(dir);
        QString name;
        if (folder % 3 == 0)
            name = i < Folders ? QStringLiteral("model.safetensors")
                               : QStringLiteral("f%1.json").arg(i);
        else
            name = i < Folders ? QStringLiteral("m%1.Q4_K_M.gguf").arg(i)
                               : QStringLiteral("f%1.txt").arg(i);
        QFile f(dir + QLatin1Char('/') + name);
        if (!f.open(QIODevice::WriteOnly) || f.write("x") != 1) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(f.fileName()));
            return 1;
        }
    }
    QList<double> ms;
    int units = 0;
    int seen = 0;
    for (int run = 0; run < runs; ++run) {
        QElapsedTimer timer;
        timer.start();
        const watchscan::Result r = watchscan::scan(root.path());
        ms.append(double(timer.nsecsElapsed()) / 1e6);
        units = int(r.units.size());
        seen = r.files;
        std::printf("run %d: %.2f ms (%d files, %d models)\n", run + 1, ms.last(), seen, units);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("median of %d runs: %.2f ms for %d files\n", runs, ms.at(ms.size() / 2), seen);
    return seen == files ? 0 : 1;
}
