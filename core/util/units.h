#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace mf::units {

// "1.50 GiB", "15.0 GiB", "512 B": binary units, two decimals below 10 and one above.
QString formatBytes(qint64 bytes);
// "312 MB/s": decimal units, as disk and network speeds are usually quoted. Empty when the
// rate is unknown (not finite, or negative).
QString formatRate(double bytesPerSecond);
// "1:02:03" or "4:05"; empty when seconds < 0 (unknown).
QString formatDuration(qint64 seconds);
// How long ago `when` was, seen at `now`: "just now", "3 min ago", "5 h ago", "2 days ago";
// "never" when `when` is invalid. A time after `now` (a clock behind) reads "just now".
QString formatAge(const QDateTime& when, const QDateTime& now);
// "1 file" / "3 files": tr()'s %n plural forms need a loaded translation to drop the "(s)" of
// "%n file(s)", and the app ships none, so English plurals are chosen here. `many` has %1 for
// the number.
QString counted(qint64 n, const QString& one, const QString& many);
// Parses "4096", "8M", "8MiB", "1.5G", "2 GiB" (binary multiples). nullopt when malformed.
std::optional<qint64> parseBytes(const QString& text);

} // namespace mf::units
