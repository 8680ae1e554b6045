#include "quitsignals.h"

#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace mf::app {

namespace {

constexpr int Watched[] = {SIGTERM, SIGINT, SIGHUP};
// Made once and kept open for the life of the process: a handler still running on another
// thread while a watcher goes away never writes into a descriptor that was closed and reused.
int g_pipe[2] = {-1, -1};
bool g_watching = false;

// Runs in signal context: only async-signal-safe calls, errno left as found.
void onSignal(int signalNumber)
{
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(signalNumber);
    // Non-blocking: when the pipe is full, a quit is pending already.
    [[maybe_unused]] const auto written = ::write(g_pipe[1], &byte, 1);
    errno = savedErrno;
}

} // namespace

QuitSignals::QuitSignals(QObject* parent)
    : QObject(parent)
{
    if (g_watching) {
        qWarning("QuitSignals: another instance already watches the quit signals");
        return;
    }
    if (g_pipe[0] < 0 && ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        qWarning("QuitSignals: no pipe (%s); SIGTERM ends the app without closing the vault",
                 strerror(errno));
        return;
    }
    g_watching = true;
    unsigned char stale = 0; // from signals that reached an earlier instance: not ours
    while (::read(g_pipe[0], &stale, 1) == 1) {
    }
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        unsigned char byte = 0;
        int last = 0;
        while (::read(g_pipe[0], &byte, 1) == 1)
            last = byte;
        if (last != 0)
            Q_EMIT quitRequested(last);
    });
    struct sigaction action
    {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int s : Watched)
        ::sigaction(s, &action, nullptr);
}

QuitSignals::~QuitSignals()
{
    if (!m_notifier)
        return;
    for (const int s : Watched)
        ::signal(s, SIG_DFL);
    g_watching = false;
}

} // namespace mf::app
