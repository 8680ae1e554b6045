// Wall time of FileScanner over one file (chunking, a SHA-256 per chunk and the whole-file
// SHA-256 on a second thread), to set against `openssl dgst -sha256` on the same file.
//
// Usage: bench_scanner [file] [params] [runs]
// Defaults: /tmp/modelfloat-bench-2g.bin (written by bench_chunker), ChunkerParams::defaults(),
// 3 runs. Run it once beforehand, or cat the file to /dev/null, so the page cache is warm and
// the figure is the scanner's, not the disk's.

#include "chunking/filescanner.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace mf;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const QString path = args.value(1, QStringLiteral("/tmp/modelfloat-bench-2g.bin"));
    ChunkerParams params = ChunkerParams::defaults();
    if (args.size() > 2 && !args.at(2).isEmpty()) {
        QString error;
        const auto parsed = ChunkerParams::fromString(args.at(2), &error);
        if (!parsed) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        params = *parsed;
    }
    const int runs = args.value(3, QStringLiteral("3")).toInt();

    int failures = 0;
    for (int run = 0; run < runs; ++run) {
        FileScanner scanner(path, params);
        qint64 chunks = 0;
        QElapsedTimer timer;
        QObject::connect(&scanner, &FileScanner::chunkScanned, &scanner,
                         [&](const ScannedChunk& chunk) {
                             ++chunks;
                             scanner.acknowledge(chunk);
                         });
        QObject::connect(&scanner, &FileScanner::finished, &app, [&] {
            const double seconds = double(timer.nsecsElapsed()) / 1e9;
            if (!scanner.errorString().isEmpty()) {
                std::fprintf(stderr, "%s\n", qPrintable(scanner.errorString()));
                ++failures;
            }
            std::printf("run %d: %lld bytes, %lld chunks, %.3f s, %.0f MB/s, sha256 %s\n", run + 1,
                        scanner.fileSize(), chunks, seconds,
                        double(scanner.fileSize()) / 1e6 / seconds,
                        scanner.fileSha256().toHex().constData());
            std::fflush(stdout);
            app.quit();
        });
        timer.start();
        scanner.start();
        app.exec();
    }
    return failures == 0 ? 0 : 1;
}
