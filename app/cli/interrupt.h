#pragma once

#include <QObject>

class QSocketNotifier;

namespace mf::cli {

// Turns SIGINT and SIGTERM into a Qt signal (through a self-pipe), so a command can cancel its
// job cleanly and leave the registry consistent for a later resume. A second Ctrl-C while
// cancelling quits at once: everything recorded so far is still consistent.
class Interrupt final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Interrupt)

public:
    explicit Interrupt(QObject* parent = nullptr);
    ~Interrupt() override;

Q_SIGNALS:
    void interrupted();

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace mf::cli
