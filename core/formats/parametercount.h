#pragma once

#include <QString>

namespace mf::formats {

// "8.03B", "494M", "135K", "812": how model sizes are usually quoted (decimal, three significant
// digits). Empty for a negative (unknown) count.
QString formatParameterCount(qint64 count);

} // namespace mf::formats
