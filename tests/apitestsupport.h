#pragma once

// The fixture of the local API suites that run the real `modelfloat-cli serve` (tst_api,
// tst_apihub): a sandboxed vault with two floated models, the server and its token, and curl
// against it.

#include "api/apiresponse.h"
#include "clisandbox.h"
#include "curlreply.h"
#include "storedchunks.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QtTest>

#include <memory>

namespace mf::test {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;

// A model floated here made as if imported from the Hub: its source is what an import records.
inline bool setSource(const QString& vault, const QString& model, const QString& source)
{
    const QString name = QStringLiteral("source-writer");
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(vault + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("UPDATE models SET source = ? WHERE name = ?"));
            q.addBindValue(source);
            q.addBindValue(model);
            ok = q.exec() && q.numRowsAffected() == 1;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

using Reply = test::CurlReply;

// The fixture every suite of this family derives from: its state and helpers; each suite
// forwards its fixture slots (initTestCase, cleanupTestCase) here.
class ApiTestBase : public QObject
{
protected:
    void initTestCase();
    void cleanupTestCase();
    // The real @huggingface/hub client (tests/peers/hub-client-check.mjs) lists and downloads
    // every file of `repo` from this server, checking each against its listed SHA-256.
    // Starts a second `serve --port 0` with `options` in `server`; its port (0 on failure), and
    // what it printed until `until` appeared (or 10 s passed) in `said`.
    quint16 startServer(QProcess& server, const QStringList& options, const QByteArray& until,
                        QByteArray* said);
    // `token` empty: the client sends none. With `cacheDir`, it also downloads every file into
    // that Hugging Face cache with downloadFileToCacheDir at "main".
    QString hubClientCheck(const QString& repo, const QByteArray& token,
                           const QString& cacheDir = QString());
    QByteArray floatModel(const QString& name, qint64 size, int seed);
    // curl against the server: `path` as is (no "../" folding), with the token unless `extra`
    // says otherwise.
    Reply get(const QString& path, const QStringList& extra = {}, bool withToken = true);
    QString url(const QString& path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path);
    }

    std::unique_ptr<test::CliSandbox> m_box;
    QProcess m_server;
    quint16 m_port = 0;
    QStringList m_serveOptions; // more options for the server initTestCase() starts
    QByteArray m_token;
    QByteArray m_bytes; // model "m", file "m.bin"
    QByteArray m_other; // model "other", file "other.bin"
};

inline void ApiTestBase::initTestCase()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
    // The token lives in the credential store; this sandbox has no keychain.
    const CliResult made = m_box->run({QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe());
    const CliResult optIn =
        m_box->run({QStringLiteral("config"), QStringLiteral("credentials"),
                    QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe());
    // A removal frees its chunks at once (the grace period is tst_catalogcollect's).
    const CliResult noGrace = m_box->run({QStringLiteral("config"), QStringLiteral("collect-grace"),
                                          QStringLiteral("0"), QStringLiteral("--expert")});
    QVERIFY2(noGrace.code == 0, noGrace.describe());
    const CliResult add =
        m_box->run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                    QStringLiteral("second"), m_box->path(QStringLiteral("second"))});
    QVERIFY2(add.code == 0, add.describe());
    m_bytes = floatModel(QStringLiteral("m"), 2 * MiB + 11, 77);
    QVERIFY(!m_bytes.isEmpty());
    m_other = floatModel(QStringLiteral("other"), 300 * KiB, 78);
    QVERIFY(!m_other.isEmpty());

    // The token is made on first use and the same ever after.
    const CliResult token = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QVERIFY2(token.code == 0, token.describe());
    m_token = token.out.trimmed();
    QVERIFY(m_token.size() >= 32);
    QVERIFY2(m_token.startsWith("hf_"), "Hugging Face clients refuse a token without hf_");
    const CliResult again = m_box->run({QStringLiteral("serve"), QStringLiteral("--print-token")});
    QCOMPARE(again.out.trimmed(), m_token);

    m_server.setProcessEnvironment(m_box->environment());
    m_server.setWorkingDirectory(m_box->root());
    m_server.start(
        test::CliSandbox::cli(),
        QStringList{QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0")} +
            m_serveOptions);
    QVERIFY(m_server.waitForStarted());
    static const QRegularExpression urlLine(QStringLiteral("http://127\\.0\\.0\\.1:(\\d+)/"));
    QByteArray said;
    while (m_port == 0 && m_server.waitForReadyRead(60'000)) {
        said += m_server.readAllStandardOutput();
        const auto m = urlLine.match(QString::fromUtf8(said));
        if (m.hasMatch())
            m_port = quint16(m.captured(1).toUInt());
    }
    QVERIFY2(m_port != 0, QByteArray(said + m_server.readAllStandardError()).constData());
}

inline void ApiTestBase::cleanupTestCase()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.terminate(); // SIGTERM: as Ctrl-C
        QVERIFY(m_server.waitForFinished(60'000));
        QCOMPARE(m_server.exitCode(), 0);
    }
    m_box.reset();
}

inline QByteArray ApiTestBase::floatModel(const QString& name, qint64 size, int seed)
{
    const QByteArray bytes = test::pseudoRandomBytes(size, seed);
    const QString file = m_box->path(QStringLiteral("input/") + name + QStringLiteral(".bin"));
    if (!test::writeFile(file, bytes))
        return {};
    const CliResult r = m_box->run({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                                    QStringLiteral("--chunk-size"), QStringLiteral("256K"),
                                    QStringLiteral("--replicas"), QStringLiteral("2")});
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return bytes;
}

inline Reply ApiTestBase::get(const QString& path, const QStringList& extra, bool withToken)
{
    QStringList args;
    if (withToken)
        args << QStringLiteral("-H")
             << QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token);
    return test::curlRequest(url(path), args + extra, m_box->path(QStringLiteral("out")));
}

inline QString ApiTestBase::hubClientCheck(const QString& repo, const QByteArray& token,
                                           const QString& cacheDir)
{
    QString output;
    QStringList args{
        QString(mf::test::testsSourceDir() + QStringLiteral("/peers/hub-client-check.mjs")),
        url(QString()), repo, QString::fromLatin1(token)};
    if (!cacheDir.isEmpty())
        args << cacheDir;
    test::runProcess(QStringLiteral("node"), args, &output);
    return output;
}

// A second server, started with the Hub's endpoints open and room for two connections: the Hub
// client downloads without a token while the rest of the API still asks for one; a third
// connection takes the slot of one still sending its request, and is told to come back when
// both are serving, until one of them has gone.
inline quint16 ApiTestBase::startServer(QProcess& server, const QStringList& options,
                                        const QByteArray& until, QByteArray* said)
{
    server.setProcessEnvironment(m_box->environment());
    server.setWorkingDirectory(m_box->root());
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(
        test::CliSandbox::cli(),
        QStringList{QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0")} +
            options);
    if (!server.waitForStarted())
        return 0;
    static const QRegularExpression urlLine(QStringLiteral("http://127\\.0\\.0\\.1:(\\d+)/"));
    quint16 port = 0;
    while (port == 0 && server.waitForReadyRead(60'000)) {
        *said += server.readAllStandardOutput();
        const auto m = urlLine.match(QString::fromUtf8(*said));
        if (m.hasMatch())
            port = quint16(m.captured(1).toUInt());
    }
    while (port != 0 && !said->contains(until) && server.waitForReadyRead(10'000))
        *said += server.readAllStandardOutput();
    return port;
}

} // namespace mf::test
