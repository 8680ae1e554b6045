#pragma once
// The requests on a model's copies on this computer: free up space, keep here (core/offload),
// and hand the model to another app or take it back (core/appstores, `use`).

#include "requestcontext.h"
#include "transfer/transferinfo.h"

#include <QJsonObject>

namespace mf {

class Vault;

// Free this computer of a model whose copies are safe elsewhere (OffloadJob). Stored: "modelId".
struct OffloadRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Offload;
    qint64 modelId = 0;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static OffloadRequest fromJson(const QJsonObject& json);
};

// Keep a model on this computer (PinJob). Stored: "modelId".
struct PinRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Pin;
    qint64 modelId = 0;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static PinRequest fromJson(const QJsonObject& json);
};

// Put a model into another app's store, or take it out again (AppUseJob). Stored: "modelId",
// "app" (appstores::appKey), "as" (Ollama's name:tag, empty: the model's), "root" (empty: the
// app's own folder), "remove".
struct UseInAppRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::UseInApp;
    qint64 modelId = 0;
    QString app;
    QString as;
    QString root;
    bool remove = false;
    // "replace" or "remove": the apps' own copies of the model freed instead, in every app's
    // stores (AppUseJob::Request::Free); `app` is then not needed.
    QString free;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static UseInAppRequest fromJson(const QJsonObject& json);
};

} // namespace mf
