// ProviderRows: whether each provider answers. A provider that has not answered a check for longer
// than the vault allows (a disk that is never mounted again, an account closed) is lost for the
// copies it holds: the check counts them missing, health says degraded, and repair makes them
// elsewhere, instead of "could not be checked" for ever.

#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

namespace {
constexpr qint64 DefaultUnreachableAfterSecs = 86400;
const QLatin1String UnreachableAfterKey("health.unreachable_after");
} // namespace

bool ProviderRows::recordProviderAnswer(qint64 providerId, bool answered)
{
    Query q(this, answered ? QStringLiteral("UPDATE providers SET unreachable_since = NULL WHERE "
                                            "id = ? AND unreachable_since IS NOT NULL")
                           : QStringLiteral("UPDATE providers SET unreachable_since = ? WHERE id "
                                            "= ? AND unreachable_since IS NULL"));
    if (!answered)
        q.bind(QDateTime::currentSecsSinceEpoch());
    return q.bind(providerId).exec();
}

qint64 ProviderRows::unreachableAfterSecs()
{
    bool ok = false;
    const qint64 secs = m_registry.settings().setting(UnreachableAfterKey).toLongLong(&ok);
    return ok && secs >= 0 ? secs : DefaultUnreachableAfterSecs;
}

bool ProviderRows::setUnreachableAfterSecs(qint64 secs)
{
    return m_registry.settings().setSetting(UnreachableAfterKey,
                                            QString::number(qMax<qint64>(0, secs)));
}

bool ProviderRows::providerLost(const ProviderRecord& provider)
{
    return provider.unreachableSince > 0 &&
           QDateTime::currentSecsSinceEpoch() - provider.unreachableSince >= unreachableAfterSecs();
}

} // namespace mf
