#pragma once

// A real WebDAV server for the tests: Debian's `rclone serve webdav` on 127.0.0.1, serving a
// folder with basic authentication.

#include "peerprocess.h"

#include <QDir>
#include <QStandardPaths>

#include <memory>

namespace mf::test {

class WebDavPeer
{
public:
    static QString user() { return QStringLiteral("mf"); }
    static QString password() { return QStringLiteral("peer-secret"); }

    // Serves `root` on a free port (or on `port` again, after a stop or kill).
    bool start(const QString& root, quint16 port = 0)
    {
        m_root = root;
        m_port = port ? port : PeerProcess::freePort();
        QDir().mkpath(root);
        const QString rclone = QStandardPaths::findExecutable(QStringLiteral("rclone"));
        if (rclone.isEmpty()) {
            m_error = QStringLiteral("rclone is not installed (apt-get install rclone)");
            return false;
        }
        m_process = std::make_unique<PeerProcess>();
        const quint16 p = m_port;
        const bool ok = m_process->start(
            rclone,
            {QStringLiteral("serve"), QStringLiteral("webdav"), root, QStringLiteral("--addr"),
             QStringLiteral("127.0.0.1:%1").arg(p), QStringLiteral("--user"), user(),
             QStringLiteral("--pass"), password(), QStringLiteral("--config"),
             QStringLiteral("/dev/null")},
            [p] { return PeerProcess::portAccepts(p); }, 30000);
        if (!ok)
            m_error = m_process->errorString();
        return ok;
    }
    void kill()
    {
        if (m_process)
            m_process->kill();
    }
    bool restart() { return start(m_root, m_port); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1/").arg(m_port); }
    quint16 port() const { return m_port; }
    QString root() const { return m_root; }
    QString errorString() const { return m_error; }

private:
    std::unique_ptr<PeerProcess> m_process;
    QString m_root;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace mf::test
