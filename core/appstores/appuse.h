#pragma once
// `modelfloat-cli use`: one materialized copy of a model registered in the apps people run
// models in, each app's store pointing at the same bytes (sharedcopy.h: a hard link, else a
// reflink, else a copy) in the layout the app reads (docs/appstores.md says where each layout
// comes from). Everything written is recorded (hub/appuses.h) so that taking the model out
// removes exactly that, and only while it is still what was written.

#include "appstore.h"
#include "hub/appuses.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mf::appstores {

std::optional<App> appFromKey(const QString& key); // "ollama", "lmstudio", "hf-cache", "llama.cpp"
// The store folder the app reads first (storeRoots()).
QString defaultStoreRoot(App app, const QProcessEnvironment& env, const QString& home);
// The "name:tag" Ollama runs a model as when `use` is given none: its name, tag latest.
QString defaultOllamaName(const QString& modelName);

// A model as the materialized cache holds it (hub/materializejob.h, HfCache layout).
struct MaterializedModel
{
    struct File
    {
        QString path; // inside the model
        qint64 size = 0;
        QByteArray sha256;
        QJsonObject metadata; // registry files.metadata (formats/modelinspector.h)
    };
    QString model;      // the vault's name for it
    QString repoId;     // "org/name" (the Hub's, or "modelfloat/<name>")
    QString commit;     // 40 hex
    QString repoFolder; // <cache>/models--org--name
    QList<File> files;
};

// Registers `model` in the app's store at `root`. `ollamaName` is "name:tag" (Ollama; empty: the
// model's name, tag "latest"). On success `use` says what was written; on failure nothing is
// left behind and *error says why. `warnings` gets a sentence for each copy (with its cost in
// disk) and each thing left as it was.
bool placeModel(App app, const QString& root, const MaterializedModel& model,
                const QString& ollamaName, AppUses::Use* use, QStringList* warnings,
                QString* error);

// Removes what `use` wrote, each file only while it is the one written; `warnings` names those
// left. Empty folders `use` made are removed too.
void takeOut(const AppUses::Use& use, QStringList* warnings);

} // namespace mf::appstores
