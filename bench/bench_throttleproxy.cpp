// A slow link for the benchmarks: the tests' fault proxy (tests/faultproxy.h) in front of a
// server on 127.0.0.1, relaying its answers at a fixed rate, and reading the requests at another
// if given. bench/swarm_restore.sh and bench/swarm_float.sh put one in front of each S3 server.
//
//   bench_throttleproxy UPSTREAM_PORT BYTES_PER_SECOND [PORT_FILE [UPLOAD_BYTES_PER_SECOND]]
//
// Prints the port it listens on (and writes it to PORT_FILE), then runs until killed; on
// SIGTERM it prints how many bytes it relayed.

#include "faultproxy.h"

#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace {
int g_signalFds[2] = {-1, -1};
void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_signalFds[0], &c, 1);
}
} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    bool portOk = false;
    bool rateOk = false;
    const quint16 upstream = args.value(1).toUShort(&portOk);
    const qint64 rate = args.value(2).toLongLong(&rateOk);
    bool uploadOk = true;
    const qint64 uploadRate = args.size() > 4 ? args.at(4).toLongLong(&uploadOk) : 0;
    if (args.size() < 3 || !portOk || !rateOk || rate < 0 || !uploadOk || uploadRate < 0) {
        std::fprintf(stderr, "usage: bench_throttleproxy UPSTREAM_PORT BYTES_PER_SECOND "
                             "[PORT_FILE [UPLOAD_BYTES_PER_SECOND]]\n");
        return 2;
    }
    mf::test::FaultProxy proxy(upstream);
    if (!proxy.listen()) {
        std::fprintf(stderr, "cannot listen on 127.0.0.1\n");
        return 1;
    }
    proxy.setRateLimit(rate);
    proxy.setUploadRateLimit(uploadRate);
    // SIGTERM ends the event loop through a socket pair (a handler may only write(2)).
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return 1;
    QSocketNotifier notifier(g_signalFds[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, &QCoreApplication::quit);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    std::printf("%u\n", unsigned(proxy.port()));
    std::fflush(stdout);
    if (args.size() > 3) {
        QFile portFile(args.at(3));
        if (!portFile.open(QIODevice::WriteOnly) ||
            portFile.write(QByteArray::number(proxy.port()) + '\n') < 0)
            return 1;
    }
    const int rc = app.exec();
    std::printf("relayed %lld bytes\n", static_cast<long long>(proxy.bytesRelayed()));
    return rc;
}
