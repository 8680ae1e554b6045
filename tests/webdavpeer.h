#pragma once

// Real WebDAV servers for the tests, on 127.0.0.1 with basic authentication: Debian's
// `rclone serve webdav` (lenient status codes) and Apache 2.4 mod_dav (RFC 4918's codes: 405 for
// an existing collection, 409 for a missing parent).

#include "peerprocess.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUrl>

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

// Apache 2.4 with mod_dav_fs from a private configuration file (the system's configuration is
// not touched). Apache refuses to serve as root, so its workers run as www-data, which owns the
// served folder.
class ApacheDavPeer
{
public:
    static QString user() { return WebDavPeer::user(); }
    static QString password() { return WebDavPeer::password(); }

    bool start()
    {
        if (!m_dir.isValid()) {
            m_error = QStringLiteral("no temporary folder");
            return false;
        }
        const QString apache = QStandardPaths::findExecutable(QStringLiteral("apache2"),
                                                              {QStringLiteral("/usr/sbin")});
        if (apache.isEmpty()) {
            m_error = QStringLiteral("Apache is not installed (apt-get install apache2)");
            return false;
        }
        const QString d = m_dir.path();
        QFile::setPermissions(d, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                     QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther |
                                     QFile::ExeOther);
        for (const char* sub : {"www", "lock", "run"})
            QDir().mkpath(d + QLatin1Char('/') + QLatin1String(sub));
        QString output;
        if (!runProcess(QStringLiteral("chown"),
                        {QStringLiteral("-R"), QStringLiteral("www-data:www-data"),
                         d + QStringLiteral("/www"), d + QStringLiteral("/lock"),
                         d + QStringLiteral("/run")},
                        &output) ||
            !runProcess(QStringLiteral("openssl"),
                        {QStringLiteral("passwd"), QStringLiteral("-apr1"), password()}, &output)) {
            m_error = QStringLiteral("cannot prepare Apache's folders: ") + output;
            return false;
        }
        const QString htpasswd = d + QStringLiteral("/htpasswd");
        if (!writeFile(htpasswd,
                       (user() + QLatin1Char(':') + output.trimmed() + QLatin1Char('\n')).toUtf8()))
            return false;
        m_port = PeerProcess::freePort();
        const QString m = QStringLiteral("/usr/lib/apache2/modules/");
        QString conf = QStringLiteral("ServerRoot /etc/apache2\nServerName 127.0.0.1\n"
                                      "Listen 127.0.0.1:%1\nPidFile %2/run/apache.pid\n"
                                      "DefaultRuntimeDir %2/run\nErrorLog %2/error.log\n"
                                      "User www-data\nGroup www-data\n")
                           .arg(m_port)
                           .arg(d);
        for (const char* mod : {"mpm_event", "authz_core", "authz_user", "authn_core", "authn_file",
                                "auth_basic", "dav", "dav_fs"})
            conf += QStringLiteral("LoadModule %1_module %2mod_%1.so\n").arg(QLatin1String(mod), m);
        conf += QStringLiteral("DAVLockDB %1/lock/DAVLock\nDocumentRoot %1/www\n"
                               "<Directory %1/www>\n Dav On\n AuthType Basic\n AuthName dav\n"
                               " AuthUserFile %1/htpasswd\n Require valid-user\n</Directory>\n")
                    .arg(d);
        const QString confPath = d + QStringLiteral("/httpd.conf");
        if (!writeFile(confPath, conf.toUtf8()))
            return false;
        const quint16 p = m_port;
        const bool ok = m_process.start(
            apache, {QStringLiteral("-f"), confPath, QStringLiteral("-DFOREGROUND")},
            [p] { return PeerProcess::portAccepts(p); }, 30000);
        if (!ok)
            m_error = m_process.errorString();
        return ok;
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1/").arg(m_port); }
    quint16 port() const { return m_port; }
    QString root() const { return m_dir.path() + QStringLiteral("/www"); }
    QString errorString() const { return m_error; }

private:
    QTemporaryDir m_dir;
    PeerProcess m_process; // declared after m_dir: stopped before the folder goes
    quint16 m_port = 0;
    QString m_error;
};

} // namespace mf::test
