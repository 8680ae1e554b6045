#pragma once

#include <QObject>
#include <QStringList>

class QLocalServer;
class QLocalSocket;

namespace mf::ui {

// One running app per user and vault. start() first tries to reach a running instance over a
// local socket: if one answers, it is handed the file arguments (it raises its window and
// floats them) and handedOff() is emitted, after which this process should quit. Otherwise
// this process becomes the instance (primary()) and emits activated() for every later launch.
// Everything is asynchronous: nothing waits on the socket.
class SingleInstance final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SingleInstance)

public:
    // `vaultDirectory` is part of the name, so two vaults may each have their own app. The
    // socket lives in $XDG_RUNTIME_DIR; the server removes it when it goes (a quit, SIGTERM).
    explicit SingleInstance(const QString& vaultDirectory, QObject* parent = nullptr);
    ~SingleInstance() override;

    // The socket's path: $XDG_RUNTIME_DIR/modelfloat-<hash of uid and vault>.
    static QString serverName(const QString& vaultDirectory);
    QString serverName() const { return m_name; }

    // `files`: absolute paths to float in the running instance (may be empty: just raise it).
    void start(const QStringList& files);

Q_SIGNALS:
    void primary();                           // this is the instance
    void handedOff();                         // another instance has the files now
    void activated(const QStringList& files); // a later launch, with its files
    void failed(const QString& error);        // neither reached one nor could listen

private:
    void becomePrimary();
    void onNewConnection();

    QString m_name;
    QStringList m_files;
    QLocalSocket* m_client = nullptr;
    QLocalServer* m_server = nullptr;
    bool m_decided = false;
};

} // namespace mf::ui
