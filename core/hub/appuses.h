#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace mf {

// Which apps use which model of a materialized cache (`modelfloat-cli use`): for each model and
// app, the files `use` wrote into the app's store, each with the file system identity it had
// then, so that taking the model out again removes only those files and only while they are
// still what `use` wrote. Kept as a small JSON file beside the cache index (written atomically);
// MaterializedCache never evicts a model that is in use, and `rm` refuses to remove one.
class AppUses final
{
public:
    struct File
    {
        QString path;
        QString kind;   // "shared" (the model's bytes), "written" (a small file), "symlink"
        QString target; // symlink: where it points
        quint64 device = 0;
        quint64 inode = 0;
        qint64 bytes = 0;
    };
    struct Use
    {
        QString model;
        QString app;           // appstores::appKey(): "ollama", "lmstudio", "hf-cache", "llama.cpp"
        QString appName;       // "Ollama", "LM Studio", ...
        QString label;         // how the app names it: "tiny:latest", "org/name/tiny.gguf", ...
        QString root;          // the app's store folder
        QString method;        // "hard link", "reflink" or "copy": how the model's bytes got there
        qint64 bytesSaved = 0; // bytes the app did not need a second copy of
        QList<File> files;
    };

    explicit AppUses(const QString& cacheRoot)
        : m_root(cacheRoot)
    {}

    // The record of the materialized cache of the vault in `vaultDirectory`.
    static AppUses ofVault(const QString& vaultDirectory);

    QList<Use> all() const;
    QList<Use> of(const QString& model) const;
    // "Ollama, LM Studio": the apps using `model`; empty when none does.
    QStringList appsUsing(const QString& model) const;
    // Empty when no app uses `model`; else the sentence that refuses to remove it from the vault
    // (the GUI, the API and `rm` say the same).
    QString removalRefusal(const QString& model) const;
    // Adds (or replaces) the use of `use.model` by `use.app`.
    bool add(const Use& use, QString* error);
    // Forgets the use of `model` by `app` (after its files were taken out).
    bool forget(const QString& model, const QString& app, QString* error);

private:
    bool save(const QList<Use>& uses, QString* error) const;
    QString path() const;
    QString m_root;
};

} // namespace mf
