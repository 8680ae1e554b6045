#include "qrimage.h"

#include <algorithm>

namespace mf::ui {

QImage qrImage(const qrcode::Matrix& code, int moduleSize)
{
    if (code.size == 0 || moduleSize < 1)
        return {};
    const int side = (code.size + 2 * qrcode::QuietZone) * moduleSize;
    // Black on white whatever the theme: a camera reads the code as printed, not inverted.
    QImage image(side, side, QImage::Format_Grayscale8);
    image.fill(255);
    for (int y = 0; y < code.size; ++y)
        for (int x = 0; x < code.size; ++x) {
            if (!code.dark(x, y))
                continue;
            const int left = (x + qrcode::QuietZone) * moduleSize;
            const int top = (y + qrcode::QuietZone) * moduleSize;
            for (int dy = 0; dy < moduleSize; ++dy) {
                uchar* line = image.scanLine(top + dy);
                std::fill(line + left, line + left + moduleSize, uchar(0));
            }
        }
    return image;
}

} // namespace mf::ui
