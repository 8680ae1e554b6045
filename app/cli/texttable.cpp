#include "texttable.h"

#include "registry/modelname.h"

#include <cwchar>

namespace mf::cli {

namespace {
constexpr int Gap = 2; // spaces between columns

// Terminal columns of one code point: printable ASCII (nearly every cell of a long table) without
// asking the C library.
int glyphWidth(char32_t code)
{
    if (code >= 0x20 && code < 0x7f)
        return 1;
    const int w = ::wcwidth(wchar_t(code));
    return w < 0 ? 1 : w;
}

// The code points of `text`, each with the columns it takes.
QList<QPair<QString, int>> glyphs(const QString& text)
{
    QList<QPair<QString, int>> out;
    for (qsizetype i = 0; i < text.size();) {
        const bool pair =
            text.at(i).isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate();
        const QString g = text.mid(i, pair ? 2 : 1);
        const char32_t code = pair ? QChar::surrogateToUcs4(text.at(i), text.at(i + 1))
                                   : char32_t(text.at(i).unicode());
        out.append({g, glyphWidth(code)});
        i += g.size();
    }
    return out;
}
} // namespace

TextTable::TextTable(QStringList header, QList<int> maxWidths)
    : m_header(std::move(header))
    , m_maxWidths(std::move(maxWidths))
{}

void TextTable::addRow(const QStringList& cells)
{
    m_rows.append(cells);
}

int TextTable::displayWidth(const QString& text)
{
    // Without glyphs(): measuring every cell of a table of 10,000 rows must not allocate.
    int width = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        char32_t code = text.at(i).unicode();
        if (text.at(i).isHighSurrogate() && i + 1 < text.size() &&
            text.at(i + 1).isLowSurrogate()) {
            code = QChar::surrogateToUcs4(text.at(i), text.at(i + 1));
            ++i;
        }
        width += glyphWidth(code);
    }
    return width;
}

QString TextTable::fit(const QString& text, int width)
{
    // The naming rule's escaping: no control, line-breaking or invisible character gets through.
    const QString shown = modelname::escaped(text);
    if (width < 1 || displayWidth(shown) <= width)
        return shown;
    const auto all = glyphs(shown);
    // Keep a head and a tail around "…", the tail a little shorter.
    const int room = width - 1;
    const int tailRoom = room / 2;
    const int headRoom = room - tailRoom;
    QString head, tail;
    int used = 0;
    for (const auto& g : all) {
        if (used + g.second > headRoom)
            break;
        head += g.first;
        used += g.second;
    }
    used = 0;
    for (auto it = all.crbegin(); it != all.crend(); ++it) {
        if (used + it->second > tailRoom)
            break;
        tail.prepend(it->first);
        used += it->second;
    }
    return head + QStringLiteral("…") + tail;
}

QStringList TextTable::lines() const
{
    const int columns = int(m_header.size());
    QList<int> widths(columns, 0);
    QList<QStringList> cells;
    cells.append(m_header);
    cells.append(m_rows);
    for (QStringList& row : cells) {
        for (int c = 0; c < columns; ++c) {
            const int max =
                c < m_maxWidths.size() && m_maxWidths.at(c) > 0 ? m_maxWidths.at(c) : 1 << 20;
            row[c] = fit(row.value(c), max);
            widths[c] = qMax(widths.at(c), displayWidth(row.at(c)));
        }
    }
    QStringList out;
    for (const QStringList& row : std::as_const(cells)) {
        QString line;
        for (int c = 0; c < columns; ++c) {
            line += row.at(c);
            if (c + 1 < columns)
                line += QString(widths.at(c) - displayWidth(row.at(c)) + Gap, QLatin1Char(' '));
        }
        out.append(line);
    }
    return out;
}

} // namespace mf::cli
