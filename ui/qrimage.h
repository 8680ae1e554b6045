#pragma once

#include "util/qrcode.h"

#include <QImage>

namespace mf::ui {

// The QR code as an image to show: dark modules black on white, with the quiet zone, each module
// `moduleSize` pixels square (crisp at any scale: nothing is smoothed). A null image if the code
// is empty.
QImage qrImage(const qrcode::Matrix& code, int moduleSize);

} // namespace mf::ui
