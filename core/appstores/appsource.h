#pragma once
// A model another app keeps, as `modelfloat-cli float --from` names it, made into what a float
// of it needs: the files, each one's name in the model, the SHA-256 its app named its bytes by
// (checked as the float reads them, so a damaged copy is never completed), and the source the
// model records (docs/appstores.md).

#include "appstore.h"

#include <QHash>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <optional>

namespace mf::appstores {

struct AppSource
{
    QStringList paths; // files, or a folder
    QStringList names; // for each path that is a file, its path in the model
    QHash<QString, QByteArray> expectedSha256; // by path in the model
    QString source;        // "ollama:<host>/<namespace>/<name>:<tag>", "hf:<repo>@<commit>", ...
    QString suggestedName; // the model's name when none is given
};

// Where a model floated from Ollama keeps the layers Ollama runs it with besides the GGUF:
// "ollama/template" and "ollama/params" (`layer` is "template" or "params").
QString ollamaLayerPath(const QString& layer);

// `spec` is one of:
//  - "ollama:NAME[:TAG]" (NAME as `ollama list` shows it, "llama3.2" or "me/model"; TAG
//    "latest" when left out): the model's GGUF, named "<name>-<tag>.gguf", and its template
//    and parameters layers when it has them (ollamaLayerPath());
//  - "hf-cache:ORG/NAME[@REF]" (REF a branch or a commit; "main" when left out): every file of
//    that snapshot, recorded as imported from the Hub ("hf:ORG/NAME@COMMIT");
//  - "lmstudio:PUBLISHER/REPO[/FILE]": that folder's model files, or one of them.
// Looked up where the apps keep their models (storeRoots(env, home)) unless `root` names the
// folder. nullopt, with a sentence that says what is missing, when there is no such model.
std::optional<AppSource> resolveAppSource(const QString& spec, const QProcessEnvironment& env,
                                          const QString& home, const QString& root, QString* error);

} // namespace mf::appstores
