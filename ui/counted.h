#pragma once

#include <QString>

namespace mf::ui {

// "1 file" / "3 files": tr()'s %n plural forms need a loaded translation to drop the "(s)", and
// the app ships none, so English plurals are chosen here. `many` has %1 for the number.
inline QString counted(qint64 n, const QString& one, const QString& many)
{
    return n == 1 ? one : many.arg(n);
}

} // namespace mf::ui
