#pragma once

#include <QObject>

class QSocketNotifier;

namespace mf::app {

// SIGTERM (logout, `systemctl --user stop`, `kill`), SIGINT (Ctrl-C in the terminal that started
// the app) and SIGHUP (that terminal closing; logind also sends it after SIGTERM when a session
// ends) become one Qt signal, quitRequested(), in the event loop of the thread that made this
// object, so the app quits the way its Quit action does: transfers stop where they resume, the
// vault closes. The handler only writes a byte to a pipe (async-signal-safe); a QSocketNotifier
// reads it. Every signal asks again and none ends the process at once (SIGTERM then SIGHUP is
// one logout). One instance at a time; its destructor restores the default actions.
class QuitSignals final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QuitSignals)

public:
    explicit QuitSignals(QObject* parent = nullptr);
    ~QuitSignals() override;

Q_SIGNALS:
    void quitRequested(int signalNumber);

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace mf::app
