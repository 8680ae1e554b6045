#pragma once

#include <QColor>

namespace mf::ui {

// WCAG 2 contrast ratio of two colours, from 1 (the same) to 21 (black on white).
double contrastRatio(const QColor& a, const QColor& b);

// `colour` as it is when it already stands out from `background` by `minimumRatio`, else made
// lighter (on a dark background) or darker (on a light one), keeping its hue, until it does.
// A theme's accent colour (the selection blue of a dark GTK theme, say) is meant for a filled
// selection, not for text or thin lines on the base colour, where it can all but vanish.
QColor readableOn(const QColor& colour, const QColor& background, double minimumRatio);

// The ratios WCAG asks for: text, and graphics such as a plotted line.
inline constexpr double TextContrast = 4.5;
inline constexpr double GraphicsContrast = 3.0;

} // namespace mf::ui
