#pragma once

// Reading back the QR codes the program draws, with Debian's zbarimg (zbar-tools): an oracle
// that shares no code with libqrencode.

#include <QFile>
#include <QProcess>
#include <QStringList>

#include <algorithm>

namespace mf::test {

// What zbarimg reads in the image file (its text, without the trailing line break); empty if it
// finds no code. *said: its whole output, for a failure's message.
inline QString zbarDecode(const QString& imagePath, QString* said = nullptr)
{
    // Its standard output only: it also complains on stderr of a D-Bus it finds no use for.
    QProcess zbar;
    zbar.start(QStringLiteral("zbarimg"),
               {QStringLiteral("--quiet"), QStringLiteral("--raw"), QStringLiteral("-Sdisable"),
                QStringLiteral("-Sqrcode.enable"), imagePath});
    const bool ran = zbar.waitForFinished(60'000);
    QString output = QString::fromUtf8(zbar.readAllStandardOutput());
    if (said)
        *said = output + QString::fromUtf8(zbar.readAllStandardError());
    if (!ran || zbar.exitStatus() != QProcess::NormalExit || zbar.exitCode() != 0)
        return {};
    while (output.endsWith(QLatin1Char('\n')))
        output.chop(1);
    return output;
}

// A terminal's rendering of lines of Unicode half blocks (a block drawn light, a blank dark, as
// a terminal shows them light on dark) written as a plain PBM image, `scale` pixels a half
// block. Lines of any other character are left out. False if nothing was drawn.
inline bool halfBlocksToPbm(const QString& text, const QString& path, int scale = 4)
{
    QList<QString> lines;
    for (const QString& line : text.split(QLatin1Char('\n'))) {
        const bool drawing =
            !line.trimmed().isEmpty() && std::all_of(line.cbegin(), line.cend(), [](QChar c) {
                return c == QLatin1Char(' ') || c == QChar(0x2580) || c == QChar(0x2584) ||
                       c == QChar(0x2588);
            });
        if (drawing)
            lines.append(line);
    }
    if (lines.isEmpty())
        return false;
    qsizetype width = 0;
    for (const QString& line : lines)
        width = qMax(width, line.size());
    // PBM: 1 is black. The terminal's background (a blank) is dark.
    QByteArray pbm = "P1\n" + QByteArray::number(width * scale) + ' ' +
                     QByteArray::number(lines.size() * 2 * scale) + '\n';
    for (const QString& line : lines)
        for (int half = 0; half < 2; ++half) {
            QByteArray row;
            for (qsizetype x = 0; x < width; ++x) {
                const QChar c = x < line.size() ? line.at(x) : QLatin1Char(' ');
                const bool light =
                    c == QChar(0x2588) || (half == 0 ? c == QChar(0x2580) : c == QChar(0x2584));
                for (int s = 0; s < scale; ++s)
                    row += light ? "0 " : "1 ";
            }
            row += '\n';
            for (int s = 0; s < scale; ++s)
                pbm += row;
        }
    QFile out(path);
    return out.open(QIODevice::WriteOnly) && out.write(pbm) == pbm.size();
}

} // namespace mf::test
