#pragma once
// Changing how a floated model is kept, in place: from whole copies to shards, back, or from one
// shard scheme to another (docs/erasure.md). The app's "Change redundancy…" and `modelfloat-cli
// convert` build this one request; it runs the repair's job with a target scheme
// (RepairJob::Options::convertTo).

#include "chunking/redundancyscheme.h"
#include "requestcontext.h"
#include "transfer/transferinfo.h"

#include <QJsonObject>
#include <QString>

namespace mf {

class Registry;
class Vault;

// Stored: "modelId", "scheme" (RedundancyScheme's words: "copies 2", "shards 4+2").
struct ConvertRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Convert;
    qint64 modelId = 0;
    QString scheme;

    // Why a model kept as `from` cannot become `to`, judged without asking a provider (empty
    // `why`: it can). `usage`: the change asked for is not one a conversion makes (copies to
    // other copies, or copies other than `vaultCopies`, HealthRows::wantedCopies(), by which health
    // and repair judge every model of copies); otherwise the `providers` that take new copies
    // cannot hold `to`.
    // One rule for the app's dialog, the queue and the CLI.
    struct Refusal
    {
        QString why;
        bool usage = false;
    };
    static Refusal refusal(const QString& model, const RedundancyScheme& from,
                           const RedundancyScheme& to, int vaultCopies, int providers);
    // The model's scheme now: the one recorded, or the copies wanted for a model floated before
    // schemes were recorded.
    static RedundancyScheme schemeOf(Registry& registry, qint64 modelId);
    // refusal() for this request in a vault's registry (the engine's, or the app's read-only
    // one), the scheme's words and the model checked first.
    Refusal refusal(Registry& registry) const;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static ConvertRequest fromJson(const QJsonObject& json);
};

} // namespace mf
