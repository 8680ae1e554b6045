#include "transferrows.h"

#include "registry/registry.h"
#include "util/processidentity.h"
#include "util/temporaries.h"

#include <QDateTime>
#include <QElapsedTimer>

namespace mf {

namespace transferrows {

const QString RowKind = QStringLiteral("transfer");

QString kindKey(TransferInfo::Kind kind)
{
    switch (kind) {
    case TransferInfo::Kind::Float:
        return QStringLiteral("float");
    case TransferInfo::Kind::Restore:
        return QStringLiteral("restore");
    case TransferInfo::Kind::Verify:
        return QStringLiteral("verify");
    case TransferInfo::Kind::Remove:
        return QStringLiteral("remove");
    case TransferInfo::Kind::Import:
        return QStringLiteral("import");
    case TransferInfo::Kind::Materialize:
        return QStringLiteral("materialize");
    case TransferInfo::Kind::Repair:
        return QStringLiteral("repair");
    case TransferInfo::Kind::Drain:
        return QStringLiteral("drain");
    case TransferInfo::Kind::Scrub:
        return QStringLiteral("scrub");
    case TransferInfo::Kind::Offload:
        return QStringLiteral("offload");
    case TransferInfo::Kind::Pin:
        return QStringLiteral("pin");
    case TransferInfo::Kind::UseInApp:
        return QStringLiteral("use");
    case TransferInfo::Kind::Convert:
        return QStringLiteral("convert");
    }
    return {};
}

std::optional<TransferInfo::Kind> kindFromKey(const QString& key)
{
    for (auto kind :
         {TransferInfo::Kind::Float, TransferInfo::Kind::Restore, TransferInfo::Kind::Verify,
          TransferInfo::Kind::Remove, TransferInfo::Kind::Import, TransferInfo::Kind::Materialize,
          TransferInfo::Kind::Repair, TransferInfo::Kind::Drain, TransferInfo::Kind::Scrub,
          TransferInfo::Kind::Offload, TransferInfo::Kind::Pin, TransferInfo::Kind::UseInApp,
          TransferInfo::Kind::Convert})
        if (kindKey(kind) == key)
            return kind;
    return std::nullopt;
}

// A row of no process (older vaults, or one a process gave up when it closed), of a process of
// this host that is gone, or — from another host, whose processes cannot be checked from here —
// one that nobody has touched for a day.
bool mayTakeOver(const JobRow& row)
{
    if (row.owner.isEmpty() || row.owner == leaseowner::processLeaseOwner())
        return true;
    if (row.owner.section(QLatin1Char('|'), 0, 0) != processidentity::hostName())
        return QDateTime::currentSecsSinceEpoch() - row.updatedSecs >
               temporaries::UnknownOwnerAgeSecs;
    return leaseowner::isProcessGone(row.owner, row.updatedSecs);
}

bool resumesFromStoredChunks(TransferInfo::Kind kind)
{
    return kind == TransferInfo::Kind::Float || kind == TransferInfo::Kind::Import;
}

qint64 nowMs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer c;
        c.start();
        return c;
    }();
    return clock.elapsed();
}

} // namespace transferrows

} // namespace mf
