#include "error.h"

namespace mf {

QString Error::kindName(Kind kind)
{
    switch (kind) {
    case Kind::None:
        return QStringLiteral("ok");
    case Kind::Retryable:
        return QStringLiteral("temporary failure");
    case Kind::Authentication:
        return QStringLiteral("authentication failed");
    case Kind::QuotaExceeded:
        return QStringLiteral("quota exceeded");
    case Kind::NotFound:
        return QStringLiteral("not found");
    case Kind::Corrupt:
        return QStringLiteral("corrupt");
    case Kind::Cancelled:
        return QStringLiteral("cancelled");
    case Kind::Fatal:
        return QStringLiteral("failed");
    }
    return {};
}

} // namespace mf
