#pragma once

#include <QByteArray>
#include <QString>

namespace mf::qrcode {

// A QR code's modules (libqrencode's, error correction level M), row by row, without the quiet
// zone around it.
struct Matrix
{
    int size = 0;       // modules per side; 0: the text could not be encoded
    QByteArray modules; // size * size bytes, 1 for a dark module
    bool dark(int x, int y) const { return modules.at(y * size + x) != 0; }
};

// The smallest QR code that holds `text` (as UTF-8 bytes); an empty Matrix if none can (over
// about 2 kB) or libqrencode fails.
Matrix encode(const QString& text);

// The quiet zone a reader needs around a code, in modules (ISO/IEC 18004 asks for 4).
constexpr int QuietZone = 4;

// The code as lines of text for a terminal: two rows of modules per line in Unicode half blocks
// (▀ ▄ █ and space), with the quiet zone. Most terminals draw text light on dark, so a light
// module is drawn (a block) and a dark one left blank, as `qrencode -t UTF8` does; on a light
// terminal the code shows inverted, which most phone cameras read too. Empty if the code is
// empty.
QString halfBlocks(const Matrix& code);

} // namespace mf::qrcode
