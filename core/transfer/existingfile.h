#pragma once

#include <QHash>
#include <QJsonObject>
#include <QString>

namespace mf {

// What a restore does with a file that is already where it would write one. Refuse is the only
// answer nobody has to give: the restore then ends before any byte is written, naming the files,
// and the caller asks (the GUI) or tells the user how to choose (the CLI's --force).
enum class ExistingFile {
    Refuse,
    Replace,  // the restored file takes its place (atomically, once whole and verified)
    KeepBoth, // the restored file gets a free name beside it: "model (2).gguf"
    Skip      // that file is not restored; the others are
};

// Per file of a model (its path inside the model): the answers a user gave.
using ExistingFileAnswers = QHash<QString, ExistingFile>;

// A name beside `path` that nothing has yet, in the style file managers use: "model.gguf" ->
// "model (2).gguf", then "model (3).gguf"; "README" -> "README (2)". The caller still publishes
// without replacing, so a name taken meanwhile is refused, never clobbered.
QString keepBothName(const QString& path);

// For a transfer's payload in the registry: {"path in model": "replace"|"keep-both"|"skip"}.
QJsonObject existingFileAnswersToJson(const ExistingFileAnswers& answers);
ExistingFileAnswers existingFileAnswersFromJson(const QJsonObject& json);

} // namespace mf
