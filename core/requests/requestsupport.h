#pragma once
// What the requests share: the words they say (titles, reasons) in one translation context, and
// the model a request on one model names.

#include "registry/records.h"
#include "vault/vault.h"

#include <QCoreApplication>

#include <optional>

namespace mf::requestsupport {

inline QString tr(const char* text, int n = -1)
{
    return QCoreApplication::translate("mf::TransferRequest", text, nullptr, n);
}

// By id (the queue) or, when the id is 0, by name (the CLI).
inline std::optional<ModelRecord> modelOf(Vault& vault, qint64 modelId,
                                          const QString& modelName = {})
{
    return modelId ? vault.registry().modelRows().model(modelId)
                   : vault.registry().modelRows().modelByName(modelName);
}

} // namespace mf::requestsupport
