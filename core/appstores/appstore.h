#pragma once
// The model stores of the apps people run models in: Ollama, LM Studio, the Hugging Face cache
// and llama.cpp's own cache. Where each keeps its files, and reading them (docs/appstores.md says
// where each fact comes from). Everything read here is another program's: bounded and checked
// before it names a file.

#include <QByteArray>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace mf::appstores {

enum class App { Ollama, LmStudio, HfCache, LlamaCpp };

QString appKey(App app);  // "ollama", "lmstudio", "hf-cache", "llama.cpp"
QString appName(App app); // "Ollama", "LM Studio", ...

// One folder an app keeps models in, and why we look there ("$OLLAMA_MODELS", "default").
struct StoreRoot
{
    App app = App::Ollama;
    QString path;
    QString because;
};

// The folders to look in, from the environment the apps read and the user's home, in the
// order the apps themselves prefer them. Folders that do not exist are listed too.
QList<StoreRoot> storeRoots(const QProcessEnvironment& env, const QString& home);

// One model file as an app keeps it.
struct FoundCopy
{
    App app = App::Ollama;
    QString label; // how the app names it: "llama3.2:latest", "org/repo/file.gguf", ...
    QString path;  // the file as the app opens it
    // The app's own entry that names the file, when it is not the file itself: Ollama's
    // manifest, the cache's snapshot link. Removing the model from the app removes it too.
    QString entry;
    QString root;       // the store folder it was found in
    QString fileName;   // the model file's own name where the app keeps one, else empty
    qint64 size = 0;    // bytes on disk
    QByteArray claimed; // SHA-256 (hex) the app says the bytes have; empty: it says none
    // Where it came from, as the app recorded it: {"repo", "revision"} for the Hub's layouts,
    // {"model", "tag", "template", "params"} (blob digests) for Ollama.
    QList<QPair<QString, QString>> origin;
};

// Reads one store. `warnings` gets a sentence for each entry skipped (a manifest that is not
// JSON, a digest that is not one, a link out of the store), naming the file.
QList<FoundCopy> scanStore(const StoreRoot& root, QStringList* warnings);

} // namespace mf::appstores
