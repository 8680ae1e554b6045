#pragma once

// A throw-away home for driving the real modelfloat-cli: a temporary folder with its own HOME
// and XDG folders, and a vault folder that is the default location ($MODELFLOAT_VAULT), so a
// test's first command makes the vault as a user's first command would. Commands run with the
// sandbox as their working folder.

#include "clitestsupport.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QTemporaryDir>

namespace mf::test {

// What a run said, for checks and for failure messages.
struct CliResult : CliRun
{
    QString errText() const { return QString::fromUtf8(err); }
    QString outText() const { return QString::fromUtf8(out); }
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
    bool isJson() const
    {
        QJsonParseError e;
        const QJsonDocument d = QJsonDocument::fromJson(out, &e);
        return e.error == QJsonParseError::NoError && d.isObject();
    }
};

class CliSandbox
{
public:
    CliSandbox()
    {
        for (const char* d : {"home", "xdg-data", "xdg-config", "xdg-cache", "input", "out"})
            QDir().mkpath(path(QString::fromUtf8(d)));
    }
    ~CliSandbox()
    {
        // MODELFLOAT_KEEP_SANDBOX=1 keeps the folder (vaults, registries, providers' objects)
        // for a look after a failure, such as a crash test's round that cannot be replayed.
        if (qEnvironmentVariableIsSet("MODELFLOAT_KEEP_SANDBOX")) {
            m_dir.setAutoRemove(false);
            qInfo("sandbox kept: %s", qPrintable(m_dir.path()));
        }
        // Make everything removable again, whatever a test changed.
        QDirIterator it(m_dir.path(), QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                        QDirIterator::Subdirectories);
        while (it.hasNext())
            QFile::setPermissions(it.next(),
                                  QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    bool ok() const { return m_dir.isValid(); }
    QString root() const { return m_dir.path(); }
    QString path(const QString& relative) const { return m_dir.filePath(relative); }
    QString vault() const { return path(QStringLiteral("vault")); }
    QString localStore() const { return vault() + QStringLiteral("/local-store"); }
    static QString cli() { return mf::test::cliPath(); }

    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MODELFLOAT_VAULT"), vault());
        env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("xdg-data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("xdg-config")));
        env.insert(QStringLiteral("XDG_CACHE_HOME"), path(QStringLiteral("xdg-cache")));
        env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
        return env;
    }

    // Gives the vault `to` names (arguments such as --vault DIR; empty: the default one) the
    // catalog key of the vault `from` names: what `vault key show` there and `vault key
    // import` here do for a user's second computer. The import's result.
    CliResult shareCatalogKey(const QStringList& from, const QStringList& to) const
    {
        const CliResult shown = run(QStringList{QStringLiteral("vault"), QStringLiteral("key"),
                                                QStringLiteral("show"), QStringLiteral("--json")} +
                                    from);
        if (shown.code != 0)
            return shown;
        return run(
            QStringList{QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("import")} +
                to,
            shown.json().value(QStringLiteral("recovery_key")).toString().toUtf8());
    }

    // Runs modelfloat-cli with `args` (on the default vault unless they say --vault).
    CliResult run(const QStringList& args, const QByteArray& input = {}) const
    {
        return runIn(environment(), args, input);
    }
    CliResult runIn(const QProcessEnvironment& env, const QStringList& args,
                    const QByteArray& input = {}) const
    {
        CliResult r;
        static_cast<CliRun&>(r) = runWithInput(cli(), args, input, env, root());
        return r;
    }

    // Every file below `dir`, relative to it, sorted (hidden ones too).
    static QStringList filesBelow(const QString& dir)
    {
        QStringList out;
        QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System,
                        QDirIterator::Subdirectories);
        while (it.hasNext())
            out << QDir(dir).relativeFilePath(it.next());
        out.sort();
        return out;
    }

private:
    QTemporaryDir m_dir;
};

} // namespace mf::test
