#pragma once

#include "requestcontext.h"
#include "transfer/existingfile.h"
#include "transfer/transferinfo.h"

#include <QHash>
#include <QJsonObject>
#include <QString>

namespace mf {

class Vault;

// Restore a model (or one of its files) into a folder. The queue names the model by id, the CLI
// by name. Stored keys: "modelId", "destination", "overwrite", "ask", "answers", "restored".
struct RestoreRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Restore;

    qint64 modelId = 0;
    QString modelName; // used when modelId is 0 (the CLI)
    QString filePath;  // empty: every file of the model
    QString destination;
    bool overwrite = false; // replace files already there
    bool ask = false; // files already there pause it and ask (the app's RestoreConflicts::Ask)
    ExistingFileAnswers answers;      // the answers given, by path in the model
    QHash<QString, QString> restored; // files earlier runs finished -> where they were written

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static RestoreRequest fromJson(const QJsonObject& json);
};

} // namespace mf
