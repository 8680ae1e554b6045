#pragma once

// Helpers for suites that drive modelfloat-cli with secrets: run it with bytes on stdin, read
// the registry files as bytes (to look for a secret in them), and find a provider kind with a
// required secret together with values for its required settings (so the suites follow the
// kinds as they are registered).

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

namespace mf::test {

struct CliRun
{
    int code = -1; // -1: did not start, crashed or did not finish
    QByteArray out;
    QByteArray err;
    QByteArray all() const { return out + err; }
    QByteArray describe() const
    {
        return "exit " + QByteArray::number(code) + "\n--- stdout:\n" + out + "\n--- stderr:\n" +
               err;
    }
};

inline CliRun
runWithInput(const QString& program, const QStringList& args, const QByteArray& input = {},
             const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
             const QString& workingDirectory = {})
{
    CliRun r;
    QProcess p;
    p.setProcessEnvironment(env);
    if (!workingDirectory.isEmpty())
        p.setWorkingDirectory(workingDirectory);
    p.start(program, args);
    if (!p.waitForStarted(30000))
        return r;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

// Every byte of a vault's registry files (database, WAL, shared memory, journal).
inline QByteArray registryBytes(const QString& vaultDir)
{
    QByteArray all;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        QFile f(vaultDir + QStringLiteral("/registry.sqlite") + QLatin1String(suffix));
        if (f.open(QIODevice::ReadOnly))
            all += f.readAll();
    }
    return all;
}

// A kind with a required secret that it stores as typed, as `provider kinds --json` describes
// it.
struct SecretKind
{
    QString kind;                // empty: this build has none
    QString secretKey;           // the required secret's key, e.g. "secretAccessKey"
    QString secretOption;        // its option name, e.g. "secret-access-key"
    int secretCount = 0;         // how many secret fields the kind has
    QStringList requiredOptions; // "--endpoint", "http://127.0.0.1:9/", ...
};

inline SecretKind findSecretKind(const QByteArray& kindsJson)
{
    const QJsonArray kinds =
        QJsonDocument::fromJson(kindsJson).object().value(QStringLiteral("kinds")).toArray();
    for (const QJsonValue& k : kinds) {
        // A kind that signs in (MEGA) would need its service to answer: not a plain secret.
        if (k.toObject().value(QStringLiteral("signs_in")).toBool())
            continue;
        SecretKind found;
        for (const QJsonValue& fv : k.toObject().value(QStringLiteral("fields")).toArray()) {
            const QJsonObject f = fv.toObject();
            const bool required = f.value(QStringLiteral("required")).toBool();
            if (f.value(QStringLiteral("secret")).toBool()) {
                ++found.secretCount;
                if (required && found.secretKey.isEmpty()) {
                    found.secretKey = f.value(QStringLiteral("key")).toString();
                    found.secretOption = f.value(QStringLiteral("option")).toString();
                }
                continue;
            }
            if (!required)
                continue;
            const QString type = f.value(QStringLiteral("type")).toString();
            found.requiredOptions << QStringLiteral("--") +
                                         f.value(QStringLiteral("option")).toString()
                                  << (type == QLatin1String("URL")
                                          ? QStringLiteral("http://127.0.0.1:9/")
                                      : type == QLatin1String("N")    ? QStringLiteral("1")
                                      : type == QLatin1String("SIZE") ? QStringLiteral("1M")
                                      : type == QLatin1String("DIR")  ? QStringLiteral("/tmp")
                                      : type.contains(QLatin1Char('|'))
                                          ? type.section(QLatin1Char('|'), 0, 0)
                                          : QStringLiteral("x"));
        }
        if (!found.secretKey.isEmpty()) {
            found.kind = k.toObject().value(QStringLiteral("kind")).toString();
            return found;
        }
    }
    return {};
}

} // namespace mf::test
