#pragma once
// The requests of the background sync, which the user may also ask for (repair now, remove a
// provider): repair, drain and scrub.

#include "requestcontext.h"
#include "transfer/transferinfo.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace mf {

class Vault;

// Make again the copies a model's chunks (modelId 0: every model's) are short of, reading them
// from the files at `fromPaths` where those match the model's files (RepairJob::Options). Stored:
// "modelId", "fromPaths".
struct RepairRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Repair;
    qint64 modelId = 0;
    QStringList fromPaths = {};

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static RepairRequest fromJson(const QJsonObject& json);
};

// Move a provider's copies elsewhere (and remove it after). Stored: "providerId", "force",
// "removeAfter".
struct DrainRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Drain;
    qint64 providerId = 0;
    bool force = false;
    bool removeAfter = false;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static DrainRequest fromJson(const QJsonObject& json);
};

// Check (or read back) the copies the scrub schedule says are due, or every copy ("Check
// everything now"). Stored: "read", "every".
struct ScrubRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Scrub;
    bool read = false;
    bool everyCopy = false; // every copy, due or not

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static ScrubRequest fromJson(const QJsonObject& json);
};

} // namespace mf
