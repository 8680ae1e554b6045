#include "hex.h"

namespace mf {

bool isLowerHex(QByteArrayView text, qsizetype length)
{
    if (text.size() != length)
        return false;
    for (const char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

} // namespace mf
