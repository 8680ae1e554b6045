#include "qrcode.h"

#include <qrencode.h>

#include <memory>

namespace mf::qrcode {

Matrix encode(const QString& text)
{
    const QByteArray utf8 = text.toUtf8();
    // Version 0: the smallest that fits. Level M survives a smudge or a glare on a screen.
    std::unique_ptr<QRcode, decltype(&QRcode_free)> made(
        QRcode_encodeData(int(utf8.size()), reinterpret_cast<const unsigned char*>(utf8.data()), 0,
                          QR_ECLEVEL_M),
        &QRcode_free);
    Matrix out;
    if (!made || made->width <= 0)
        return out;
    out.size = made->width;
    out.modules.resize(qsizetype(out.size) * out.size);
    // Each byte's lowest bit is the module's colour; the others say what part of the code it is.
    for (qsizetype i = 0; i < out.modules.size(); ++i)
        out.modules[i] = char(made->data[i] & 1);
    return out;
}

QString halfBlocks(const Matrix& code)
{
    if (code.size == 0)
        return {};
    const int side = code.size + 2 * QuietZone;
    // Light (outside the code, or a light module) is what a terminal draws.
    const auto light = [&](int x, int y) {
        x -= QuietZone;
        y -= QuietZone;
        return x < 0 || y < 0 || x >= code.size || y >= code.size || !code.dark(x, y);
    };
    QString out;
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; ++x) {
            const bool top = light(x, y);
            const bool bottom = y + 1 < side ? light(x, y + 1) : false;
            out += top && bottom ? QChar(0x2588) // █
                   : top         ? QChar(0x2580) // ▀
                   : bottom      ? QChar(0x2584) // ▄
                                 : QLatin1Char(' ');
        }
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace mf::qrcode
