#pragma once

// The local MEGA API server of tests/peers/mega/mega-server.js, started on 127.0.0.1 for a test
// (accounts given on its command line, faults and counters over HTTP), and megajs, the
// third-party MEGA client, run against it through tests/peers/mega/megajs-client.mjs.

#include "peerprocess.h"
#include "testsupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

namespace mf::test {

class MegaPeer
{
public:
    struct Account
    {
        QString email;
        QString password;
        bool v1 = false;
        QString twoFactorCode; // empty: no two-factor authentication
    };

    static QString folder()
    {
        return QString(mf::test::testsSourceDir() + QStringLiteral("/peers/mega"));
    }
    static QString node()
    {
        const QString n = QStandardPaths::findExecutable(QStringLiteral("node"));
        return n.isEmpty() ? QStringLiteral("node") : n;
    }

    bool start(const QList<Account>& accounts, qint64 storageBytes = -1)
    {
        m_port = PeerProcess::freePort();
        QStringList args{folder() + QStringLiteral("/mega-server.js"), QStringLiteral("--port"),
                         QString::number(m_port), QStringLiteral("--data"), m_data.path()};
        if (storageBytes >= 0)
            args << QStringLiteral("--storage") << QString::number(storageBytes);
        for (const Account& a : accounts) {
            QString spec = a.email + QLatin1Char(':') + a.password;
            if (a.v1)
                spec += QStringLiteral(":v1");
            if (!a.twoFactorCode.isEmpty())
                spec += QStringLiteral(":mfa=") + a.twoFactorCode;
            args << QStringLiteral("--account") << spec;
        }
        const quint16 port = m_port;
        return m_process.start(
            node(), args, [port] { return PeerProcess::portAccepts(port); }, 60000);
    }
    QString errorString() const { return m_process.errorString(); }
    QString apiUrl() const { return QStringLiteral("http://127.0.0.1:%1/").arg(m_port); }
    PeerProcess& process() { return m_process; }

    QJsonObject stats() { return call("GET", QStringLiteral("_stats"), {}); }
    void reset() { call("POST", QStringLiteral("_reset"), {}); }
    QJsonObject faults(const QJsonObject& f) { return call("POST", QStringLiteral("_faults"), f); }

    // Runs megajs-client.mjs ACTION ARGS as `email` (password through the environment); true
    // when it exited 0. `output` gets its standard output, `errors` its standard error.
    bool megajs(const QString& email, const QString& password, const QStringList& actionArgs,
                QString* output, QString* errors = nullptr, int timeoutMs = 300000)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MEGA_PASSWORD"), password);
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(folder());
        p.start(node(),
                QStringList{folder() + QStringLiteral("/megajs-client.mjs"), apiUrl(), email} +
                    actionArgs);
        const bool done = p.waitForFinished(timeoutMs);
        *output = QString::fromUtf8(p.readAllStandardOutput());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        if (errors)
            *errors = err;
        if (!done || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            qWarning("megajs %s failed: %s", qPrintable(actionArgs.join(QLatin1Char(' '))),
                     qPrintable(err));
            return false;
        }
        return true;
    }

private:
    QJsonObject call(const QByteArray& method, const QString& path, const QJsonObject& body)
    {
        return PeerProcess::jsonCall(method, apiUrl() + path, body);
    }

    QTemporaryDir m_data;
    PeerProcess m_process;
    quint16 m_port = 0;
};

} // namespace mf::test
