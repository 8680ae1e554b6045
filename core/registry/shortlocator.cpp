#include "shortlocator.h"

namespace mf {

bool shortLocator(const QString& cid, const QString& locator, QVariant* kept)
{
    if (locator == cid) {
        *kept = QVariant();
        return true;
    }
    if (locator.endsWith(QLatin1Char('/')))
        return false;
    if (!cid.isEmpty() && locator.size() > cid.size() && locator.endsWith(cid) &&
        locator.at(locator.size() - cid.size() - 1) == QLatin1Char('/')) {
        *kept = locator.left(locator.size() - cid.size());
        return true;
    }
    // A pending put's empty locator stays '' (RegistryQuery::bind writes a null one as '').
    *kept = locator;
    return true;
}

QString unkeptLocator(const QString& locator)
{
    return QStringLiteral("the object name “%1” ends in '/', which a placement cannot keep")
        .arg(locator);
}

} // namespace mf
