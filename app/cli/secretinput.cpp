#include "secretinput.h"

#include "providers/providerfields.h"

#include <QJsonDocument>

#include <cstdio>
#include <cstring>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace mf::cli::secretinput {

namespace {

const ProviderField* secretField(const ProviderKind& kind, const QString& name)
{
    for (const ProviderField& f : kind.fields)
        if (f.isSecret() && (f.key == name || providerfields::optionName(f.key) == name))
            return &f;
    return nullptr;
}

QList<const ProviderField*> secretFields(const ProviderKind& kind)
{
    QList<const ProviderField*> out;
    for (const ProviderField& f : kind.fields)
        if (f.isSecret())
            out.append(&f);
    return out;
}

QString knownNames(const ProviderKind& kind)
{
    QStringList names;
    for (const ProviderField* f : secretFields(kind))
        names << f->key;
    return names.join(QStringLiteral(", "));
}

// One line from the terminal with echo off; the typed text never appears on screen.
bool readHiddenLine(const QString& promptText, QString* line)
{
    // Echo goes off before the prompt shows, so nothing typed after it can appear; TCSANOW
    // keeps what was typed ahead (TCSAFLUSH would drop it).
    termios saved = {};
    const bool haveTerm = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (haveTerm) {
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::fputs(promptText.toLocal8Bit().constData(), stderr);
    std::fflush(stderr);
    std::string text;
    int c = 0;
    bool gotAny = false;
    while ((c = std::fgetc(stdin)) != EOF) {
        gotAny = true;
        if (c == '\n')
            break;
        text.push_back(char(c));
    }
    if (haveTerm)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (!gotAny)
        return false;
    if (!text.empty() && text.back() == '\r')
        text.pop_back();
    *line = QString::fromStdString(text);
    std::fill(text.begin(), text.end(), '\0');
    return true;
}

} // namespace

bool stdinIsTerminal()
{
    return ::isatty(STDIN_FILENO) == 1;
}

QByteArray readAllStdin()
{
    QByteArray data;
    char buffer[4096];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0)
        data.append(buffer, qsizetype(n));
    return data;
}

QByteArray readLine(const QString& promptText, int maxBytes)
{
    if (stdinIsTerminal()) {
        std::fputs(promptText.toLocal8Bit().constData(), stderr);
        std::fflush(stderr);
    }
    QByteArray line(maxBytes + 1, '\0');
    if (!std::fgets(line.data(), maxBytes + 1, stdin))
        return {};
    line.truncate(qsizetype(std::strlen(line.constData())));
    return line.trimmed();
}

QJsonObject parse(const ProviderKind& kind, const QByteArray& input, QString* error)
{
    const QByteArray trimmed = input.trimmed();
    if (trimmed.isEmpty()) {
        *error = QStringLiteral("--secret-stdin read nothing from standard input");
        return {};
    }
    if (trimmed.startsWith('{')) {
        const QJsonDocument doc = QJsonDocument::fromJson(trimmed);
        if (!doc.isObject()) {
            *error = QStringLiteral("The secrets on standard input start with “{” but are not "
                                    "one JSON object");
            return {};
        }
        return doc.object();
    }
    QJsonObject out;
    const QList<QByteArray> lines = input.split('\n');
    QList<QByteArray> content;
    for (QByteArray line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.trimmed().isEmpty() || line.trimmed().startsWith('#'))
            continue;
        content.append(line);
    }
    const auto fields = secretFields(kind);
    for (const QByteArray& line : content) {
        const int eq = line.indexOf('=');
        const ProviderField* f =
            eq > 0 ? secretField(kind, QString::fromUtf8(line.left(eq).trimmed())) : nullptr;
        if (!f) {
            // The bare value of the only secret a kind has (it may itself contain '=').
            if (content.size() == 1 && fields.size() == 1) {
                out.insert(fields.first()->key, QString::fromUtf8(line));
                return out;
            }
            *error = QStringLiteral("Each line on standard input must be “key=value” with key "
                                    "one of: %1")
                         .arg(knownNames(kind));
            return {};
        }
        out.insert(f->key, QString::fromUtf8(line.mid(eq + 1)));
    }
    return out;
}

QJsonObject prompt(const ProviderKind& kind, QString* error)
{
    QJsonObject out;
    for (const ProviderField* f : secretFields(kind)) {
        QString value;
        const QString text =
            f->required
                ? QStringLiteral("%1 (input hidden): ").arg(f->label)
                : QStringLiteral("%1 (optional, input hidden, Enter to skip): ").arg(f->label);
        if (!readHiddenLine(text, &value)) {
            *error = QStringLiteral("Standard input ended before “%1” was entered").arg(f->label);
            return {};
        }
        if (value.isEmpty()) {
            if (f->required) {
                *error = QStringLiteral("“%1” is required").arg(f->label);
                return {};
            }
            continue;
        }
        out.insert(f->key, value);
    }
    return out;
}

} // namespace mf::cli::secretinput
