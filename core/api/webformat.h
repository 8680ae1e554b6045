#pragma once

#include <QString>

// The web page's ways of writing numbers and times (core/api/web/dom.js), for the list the
// server renders into the page: the same text, character for character, so that the rows read
// the same once the page's modules take them over (a row they would write otherwise is
// replaced, which is what this avoids).
namespace mf::api::webformat {

// formatBytes(): "512 B", "1.13 KiB", "24.5 GiB"; empty for a number that is not finite.
QString bytes(double n);
// formatCount(): 8030261248 -> "8.03B"; empty for none (0 or less).
QString count(double n);
// formatDate(): "2026-11-26 23:47" in this computer's time zone (the browser writes its own,
// the same when both are on this computer); "never" when empty; the text as it is when it is no
// date.
QString date(const QString& iso);
// JavaScript's Number.prototype.toFixed() for 0 <= x < 2^17 and digits <= 2: of two equally
// near results, the larger.
QString toFixed(double x, int digits);
// JavaScript's String(n) for a number.
QString number(double n);

} // namespace mf::api::webformat
