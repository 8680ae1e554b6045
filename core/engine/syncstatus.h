#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace mf {

// What the background sync is doing, for the tray and the status bar: a value copied to the GUI
// thread in queued signals.
struct SyncStatus
{
    bool paused = false;
    QString deferReason;      // heavy work waits: "metered network", "on battery"; empty: it runs
    QString running;          // the background task running ("repair", "drain", ...); empty: idle
    int degradedModels = 0;   // complete models with chunks short of copies (or shards)
    int degradedSharded = 0;  // of them, those stored as shards
    int drains = 0;           // providers being drained
    QDateTime lastRepair;     // when a background repair last made copies (or shards)
    int lastRepairCopies = 0; // and how many (copies and rebuilt shards)
    QDateTime lastScrub;      // when a background scrub last ended
    // When the background check of the copies (scrub) runs next, as far as the schedule says;
    // invalid: nothing to check (no copies yet).
    QDateTime nextCheck;
    QString problem; // what could not be repaired last, empty when nothing
};

} // namespace mf

Q_DECLARE_METATYPE(mf::SyncStatus)
