#include "transferrequest.h"

#include "vault/vault.h"

#include <type_traits>

namespace mf {

TransferInfo::Kind kindOf(const TransferRequest& request)
{
    return std::visit([](const auto& r) { return std::decay_t<decltype(r)>::Kind; }, request);
}

qint64 modelIdOf(const TransferRequest& request)
{
    return std::visit(
        [](const auto& r) -> qint64 {
            using R = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<R, RestoreRequest> || std::is_same_v<R, VerifyRequest> ||
                          std::is_same_v<R, RemoveRequest> ||
                          std::is_same_v<R, MaterializeRequest> ||
                          std::is_same_v<R, RepairRequest> || std::is_same_v<R, OffloadRequest> ||
                          std::is_same_v<R, PinRequest> || std::is_same_v<R, UseInAppRequest> ||
                          std::is_same_v<R, ConvertRequest>)
                return r.modelId;
            else
                return 0;
        },
        request);
}

QString validate(const TransferRequest& request, Vault& vault, TransferInfo* shown)
{
    return std::visit([&](const auto& r) { return r.validate(vault, shown); }, request);
}

void settle(TransferRequest& request, Vault& vault)
{
    if (auto* f = std::get_if<FloatRequest>(&request); f && f->chunker.isEmpty())
        f->chunker = vault.defaultChunker().toString();
    if (auto* i = std::get_if<ImportRequest>(&request); i && i->chunker.isEmpty())
        i->chunker = vault.defaultChunker().toString();
}

MadeJob makeJob(const TransferRequest& request, Vault& vault, const JobContext& context)
{
    return std::visit([&](const auto& r) { return r.makeJob(vault, context); }, request);
}

QJsonObject toJson(const TransferRequest& request)
{
    return std::visit([](const auto& r) { return r.toJson(); }, request);
}

namespace {

template <typename... R>
std::optional<TransferRequest> fromJsonOf(TransferInfo::Kind kind, const QJsonObject& json,
                                          std::variant<R...>* /*which*/)
{
    std::optional<TransferRequest> out;
    // The one alternative whose Kind is `kind` reads the row.
    ((R::Kind == kind ? (void)(out = TransferRequest(R::fromJson(json))) : void()), ...);
    return out;
}

} // namespace

std::optional<TransferRequest> requestFromJson(TransferInfo::Kind kind, const QJsonObject& json)
{
    return fromJsonOf(kind, json, static_cast<TransferRequest*>(nullptr));
}

} // namespace mf
