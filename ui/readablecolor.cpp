#include "readablecolor.h"

#include <cmath>

namespace mf::ui {

namespace {

double channel(double c)
{
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double relativeLuminance(const QColor& c)
{
    const QColor rgb = c.toRgb();
    return 0.2126 * channel(rgb.redF()) + 0.7152 * channel(rgb.greenF()) +
           0.0722 * channel(rgb.blueF());
}

} // namespace

double contrastRatio(const QColor& a, const QColor& b)
{
    const double la = relativeLuminance(a);
    const double lb = relativeLuminance(b);
    return (qMax(la, lb) + 0.05) / (qMin(la, lb) + 0.05);
}

QColor readableOn(const QColor& colour, const QColor& background, double minimumRatio)
{
    if (contrastRatio(colour, background) >= minimumRatio)
        return colour;
    // Move the lightness away from the background's in small steps; black or white, the end
    // of the way, stands out from any background by at least 4.58.
    const bool lighten = relativeLuminance(background) < 0.18;
    QColor c = colour.toHsl();
    const float hue = c.hslHueF();
    const float saturation = c.hslSaturationF();
    for (float lightness = c.lightnessF(); lightness >= 0.0f && lightness <= 1.0f;
         lightness += lighten ? 0.02f : -0.02f) {
        c.setHslF(hue, saturation, lightness, colour.alphaF());
        if (contrastRatio(c, background) >= minimumRatio)
            return c.toRgb();
    }
    return lighten ? QColor(Qt::white) : QColor(Qt::black);
}

} // namespace mf::ui
