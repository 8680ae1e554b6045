#include "modelname.h"

namespace mf::modelname {

namespace {

enum class Kind { Fine, Control, Invisible, LineBreak, Undecodable, LoneSurrogate };

Kind kindOf(const QString& s, qsizetype i)
{
    const QChar c = s.at(i);
    if (c.isHighSurrogate())
        return i + 1 < s.size() && s.at(i + 1).isLowSurrogate() ? Kind::Fine : Kind::LoneSurrogate;
    if (c.isLowSurrogate())
        return i > 0 && s.at(i - 1).isHighSurrogate() ? Kind::Fine : Kind::LoneSurrogate;
    if (c == QChar::ReplacementCharacter)
        return Kind::Undecodable;
    switch (c.category()) {
    case QChar::Other_Control:
        return Kind::Control;
    case QChar::Other_Format:
        return Kind::Invisible;
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
        return Kind::LineBreak;
    default:
        return Kind::Fine;
    }
}

QString codeOf(QChar c)
{
    return QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')).toUpper();
}

} // namespace

QString escaped(const QString& name)
{
    QString out;
    out.reserve(name.size());
    for (qsizetype i = 0; i < name.size(); ++i) {
        if (kindOf(name, i) == Kind::Fine)
            out.append(name.at(i));
        else
            out.append(
                QStringLiteral("\\u{%1}").arg(name.at(i).unicode(), 4, 16, QLatin1Char('0')));
    }
    return out;
}

QString withSuffix(const QString& name, const QString& suffix)
{
    qsizetype keep = qMax<qsizetype>(0, qMin(name.size(), MaxLength - suffix.size()));
    if (keep > 0 && keep < name.size() && name.at(keep).isLowSurrogate())
        --keep; // the pair goes whole
    while (keep > 0 && name.at(keep - 1).isSpace())
        --keep;
    return name.left(keep) + suffix;
}

QString problem(const QString& name)
{
    if (name.isEmpty())
        return QStringLiteral("A model name cannot be empty");
    const QString shown = escaped(name);
    for (qsizetype i = 0; i < name.size(); ++i) {
        const QString code = codeOf(name.at(i));
        switch (kindOf(name, i)) {
        case Kind::Fine:
            continue;
        case Kind::Control:
            return QStringLiteral("The model name “%1” contains a control character (%2); a name "
                                  "must print as one line of text")
                .arg(shown, code);
        case Kind::LineBreak:
            return QStringLiteral("The model name “%1” contains a line break (%2); a name must "
                                  "print as one line of text")
                .arg(shown, code);
        case Kind::Invisible:
            return QStringLiteral("The model name “%1” contains an invisible formatting character "
                                  "(%2), which can make it read as something else")
                .arg(shown, code);
        case Kind::Undecodable:
            return QStringLiteral("The model name “%1” contains a byte that is not valid text "
                                  "(%2)")
                .arg(shown, code);
        case Kind::LoneSurrogate:
            return QStringLiteral("The model name “%1” is not valid text (a lone %2)")
                .arg(shown, code);
        }
    }
    if (name.front().isSpace() || name.back().isSpace())
        return QStringLiteral("The model name “%1” begins or ends with a space").arg(shown);
    if (name.size() > MaxLength)
        return QStringLiteral("The model name “%1…” is too long (%2 characters; at most %3)")
            .arg(shown.left(40))
            .arg(name.size())
            .arg(MaxLength);
    return {};
}

} // namespace mf::modelname
