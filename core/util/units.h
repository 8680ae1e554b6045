#pragma once

#include <QString>

#include <optional>

namespace mf::units {

// "1.5 GiB", "512 B": binary units, one decimal, for people.
QString formatBytes(qint64 bytes);
// "312 MB/s": decimal units, as disk and network speeds are usually quoted.
QString formatRate(double bytesPerSecond);
// "1:02:03" or "4:05"; empty when seconds < 0 (unknown).
QString formatDuration(qint64 seconds);
// Parses "4096", "8M", "8MiB", "1.5G", "2 GiB" (binary multiples). nullopt when malformed.
std::optional<qint64> parseBytes(const QString& text);

} // namespace mf::units
