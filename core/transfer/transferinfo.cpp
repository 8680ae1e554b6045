#include "transferinfo.h"

#include <QCoreApplication>

namespace mf {

QString TransferInfo::stateName(State state)
{
    switch (state) {
    case State::Queued:
        return QCoreApplication::translate("mf::TransferInfo", "Queued");
    case State::Running:
        return QCoreApplication::translate("mf::TransferInfo", "Running");
    case State::Paused:
        return QCoreApplication::translate("mf::TransferInfo", "Paused");
    case State::Done:
        return QCoreApplication::translate("mf::TransferInfo", "Done");
    case State::Failed:
        return QCoreApplication::translate("mf::TransferInfo", "Failed");
    case State::Cancelled:
        return QCoreApplication::translate("mf::TransferInfo", "Cancelled");
    case State::Degraded:
        return QCoreApplication::translate("mf::TransferInfo", "Degraded");
    }
    return {};
}

QString TransferInfo::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Float:
        return QCoreApplication::translate("mf::TransferInfo", "Float");
    case Kind::Restore:
        return QCoreApplication::translate("mf::TransferInfo", "Restore");
    case Kind::Verify:
        return QCoreApplication::translate("mf::TransferInfo", "Verify");
    case Kind::Remove:
        return QCoreApplication::translate("mf::TransferInfo", "Remove");
    case Kind::Import:
        return QCoreApplication::translate("mf::TransferInfo", "Import");
    case Kind::Materialize:
        return QCoreApplication::translate("mf::TransferInfo", "Materialize");
    case Kind::Repair:
        return QCoreApplication::translate("mf::TransferInfo", "Repair");
    case Kind::Drain:
        return QCoreApplication::translate("mf::TransferInfo", "Drain");
    case Kind::Scrub:
        return QCoreApplication::translate("mf::TransferInfo", "Scrub");
    case Kind::Offload:
        return QCoreApplication::translate("mf::TransferInfo", "Free up space");
    case Kind::Pin:
        return QCoreApplication::translate("mf::TransferInfo", "Keep on this computer");
    case Kind::UseInApp:
        return QCoreApplication::translate("mf::TransferInfo", "Use in app");
    case Kind::Convert:
        return QCoreApplication::translate("mf::TransferInfo", "Change redundancy");
    }
    return {};
}

QString TransferInfo::stageName(Kind kind)
{
    switch (kind) {
    case Kind::Float:
        return QCoreApplication::translate("mf::TransferInfo", "Reading, hashing and sending");
    case Kind::Restore:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Fetching chunks, checking them and writing files");
    case Kind::Verify:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Reading every copy back and checking it");
    case Kind::Remove:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Deleting the copies no other model uses");
    case Kind::Import:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Downloading from Hugging Face and sending");
    case Kind::Materialize:
        return QCoreApplication::translate("mf::TransferInfo", "Fetching chunks and writing files");
    case Kind::Repair:
        return QCoreApplication::translate("mf::TransferInfo", "Making the missing copies");
    case Kind::Drain:
        return QCoreApplication::translate("mf::TransferInfo", "Copying chunks to other providers");
    case Kind::Scrub:
        return QCoreApplication::translate("mf::TransferInfo", "Checking the copies are there");
    case Kind::Offload:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Making sure the copies elsewhere are there, then "
                                           "removing the ones on this computer");
    case Kind::Pin:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Bringing the chunks back to this computer");
    case Kind::UseInApp:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Writing the model's one shared copy for the app");
    case Kind::Convert:
        return QCoreApplication::translate("mf::TransferInfo",
                                           "Putting the new scheme's objects, then retiring the "
                                           "old ones");
    }
    return {};
}

} // namespace mf
