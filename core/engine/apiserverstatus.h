#pragma once

#include <QMetaType>
#include <QString>

namespace mf {

// The local HTTP API as the app runs it (docs/api.md): a value copied to the GUI thread.
struct ApiServerStatus
{
    bool wanted = false; // the setting is on
    QString url;         // the base URL while it serves, e.g. "http://127.0.0.1:8765"; else empty
    QString token;       // what requests must carry; empty until known
    QString error;       // why it does not serve although wanted; empty when it does
    bool hubWithoutToken = false; // its Hugging Face endpoints answer without the token
    // It listens beyond this computer (the user chose another address): say so.
    bool reachableFromOtherComputers = false;
};

} // namespace mf

Q_DECLARE_METATYPE(mf::ApiServerStatus)
