#pragma once
// Every kind of transfer the queue runs, as one value type: the GUI, the CLI, the local API and
// the scheduler build one of these requests; the queue validates it, shows its title, makes its
// job, and keeps it in the jobs table (toJson/fromJson, nowhere else). A value, so it crosses
// from the GUI thread to the engine thread as it is, with no JSON on the way.
//
// A new kind: its struct (validate, makeJob, toJson, fromJson, Kind) in a header here, one entry
// in the variant below (requestFromJson() finds it by its Kind), its key in
// transfer/transferrows.cpp, and how the queue wires its job's signals (core/engine).

#include "convertrequest.h"
#include "floatrequest.h"
#include "localcopyrequests.h"
#include "modelrequests.h"
#include "restorerequest.h"
#include "syncrequests.h"

#include <QMetaType>

#include <optional>
#include <variant>

namespace mf {

using TransferRequest =
    std::variant<FloatRequest, RestoreRequest, VerifyRequest, RemoveRequest, ImportRequest,
                 MaterializeRequest, RepairRequest, DrainRequest, ScrubRequest, OffloadRequest,
                 PinRequest, UseInAppRequest, ConvertRequest>;

TransferInfo::Kind kindOf(const TransferRequest& request);
// The model it is about; 0: none named (a float or import, whose model is made by its run; a
// repair of the whole vault; a drain or scrub).
qint64 modelIdOf(const TransferRequest& request);
// Fills what the queue shows (title, total bytes, destination, model) and says why it cannot
// run (empty: it can).
QString validate(const TransferRequest& request, Vault& vault, TransferInfo* shown);
// What it is queued with that must not change between runs (the chunker of a float or import:
// a resume cuts the same chunks).
void settle(TransferRequest& request, Vault& vault);
MadeJob makeJob(const TransferRequest& request, Vault& vault, const JobContext& context);
// The request's own keys of a jobs-table row (the queue adds its record's: title, state, ...).
QJsonObject toJson(const TransferRequest& request);
// A row's request, by the row's kind; rows written by every earlier version read back.
std::optional<TransferRequest> requestFromJson(TransferInfo::Kind kind, const QJsonObject& json);

} // namespace mf

Q_DECLARE_METATYPE(mf::TransferRequest)
