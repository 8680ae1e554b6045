#include "providerfields.h"

#include "util/units.h"

#include <QDir>
#include <QUrl>

namespace mf::providerfields {

namespace {

Error invalid(const QString& message)
{
    return Error::make(Error::Kind::Fatal, message);
}

bool isEmptyValue(const QJsonValue& v)
{
    return v.isUndefined() || v.isNull() || (v.isString() && v.toString().trimmed().isEmpty());
}

// Converts one value; on failure sets *error (naming the field) and returns undefined.
QJsonValue convert(const ProviderField& f, const QJsonValue& v, Error* error)
{
    const QString text = v.isString() ? v.toString().trimmed() : QString();
    switch (f.type) {
    case ProviderField::Type::Text:
        if (v.isString())
            return text;
        break;
    case ProviderField::Type::Url: {
        if (!v.isString())
            break;
        const QUrl url(text, QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || url.host().isEmpty() ||
            (scheme != QLatin1String("http") && scheme != QLatin1String("https"))) {
            *error = invalid(QStringLiteral("“%1” must be an http:// or https:// URL, such as %2")
                                 .arg(f.label, f.placeholder));
            return {};
        }
        // A password in a URL would end up in the registry, logs and messages.
        if (!url.userInfo().isEmpty()) {
            *error = invalid(QStringLiteral("“%1” must not contain a user name or password; "
                                            "give those in their own fields (secrets are read "
                                            "from a prompt or standard input)")
                                 .arg(f.label));
            return {};
        }
        return text;
    }
    case ProviderField::Type::Path:
        if (!v.isString())
            break;
        return QDir::cleanPath(QDir(text).absolutePath());
    case ProviderField::Type::Number: {
        if (v.isDouble() && v.toDouble() == double(qint64(v.toDouble())))
            return qint64(v.toDouble());
        bool ok = false;
        const qint64 n = text.toLongLong(&ok);
        if (v.isString() && ok)
            return n;
        *error = invalid(QStringLiteral("“%1” must be a whole number").arg(f.label));
        return {};
    }
    case ProviderField::Type::Size: {
        if (v.isDouble() && v.toDouble() >= 0)
            return qint64(v.toDouble());
        const auto bytes = v.isString() ? units::parseBytes(text) : std::nullopt;
        if (bytes && *bytes >= 0)
            return *bytes;
        *error = invalid(QStringLiteral("“%1” must be a size such as 512M or 5G").arg(f.label));
        return {};
    }
    case ProviderField::Type::Bool: {
        if (v.isBool())
            return v;
        const QString t = text.toLower();
        if (t == QLatin1String("yes") || t == QLatin1String("true") || t == QLatin1String("1") ||
            t == QLatin1String("on"))
            return true;
        if (t == QLatin1String("no") || t == QLatin1String("false") || t == QLatin1String("0") ||
            t == QLatin1String("off"))
            return false;
        *error = invalid(QStringLiteral("“%1” must be yes or no").arg(f.label));
        return {};
    }
    case ProviderField::Type::Choice:
        if (v.isString() && f.choices.contains(text))
            return text;
        *error = invalid(QStringLiteral("“%1” must be one of: %2")
                             .arg(f.label, f.choices.join(QStringLiteral(", "))));
        return {};
    case ProviderField::Type::Secret:
        break;
    }
    *error = invalid(QStringLiteral("“%1” has a value of the wrong type").arg(f.label));
    return {};
}

} // namespace

QJsonObject normalizeSettings(const ProviderKind& kind, const QJsonObject& input, Error* error)
{
    *error = Error::none();
    QJsonObject out;
    for (auto it = input.begin(); it != input.end(); ++it) {
        const ProviderField* f = kind.field(it.key());
        if (!f) {
            *error = invalid(QStringLiteral("A provider of kind “%1” has no setting “%2”")
                                 .arg(kind.id, it.key()));
            return {};
        }
        if (f->isSecret()) {
            *error = invalid(QStringLiteral("“%1” is a secret: it goes to the credential store, "
                                            "never to the provider's settings")
                                 .arg(f->label));
            return {};
        }
        if (isEmptyValue(it.value()))
            continue; // an empty optional field is the same as an absent one
        const QJsonValue v = convert(*f, it.value(), error);
        if (*error)
            return {};
        out.insert(f->key, v);
    }
    for (const ProviderField& f : kind.fields)
        if (f.required && !f.isSecret() && !out.contains(f.key)) {
            *error = invalid(QStringLiteral("“%1” is required").arg(f.label));
            return {};
        }
    return out;
}

bool checkSecrets(const ProviderKind& kind, const QJsonObject& secrets, bool requireAll,
                  Error* error)
{
    *error = Error::none();
    for (auto it = secrets.begin(); it != secrets.end(); ++it) {
        const ProviderField* f = kind.field(it.key());
        if (!f || !f->isSecret()) {
            *error = invalid(QStringLiteral("A provider of kind “%1” has no secret “%2”")
                                 .arg(kind.id, it.key()));
            return false;
        }
        if (!it.value().isString() || it.value().toString().isEmpty()) {
            *error = invalid(QStringLiteral("The secret “%1” is empty").arg(f->label));
            return false;
        }
    }
    if (requireAll)
        for (const ProviderField& f : kind.fields)
            if (f.required && f.isSecret() && !secrets.contains(f.key)) {
                *error = invalid(QStringLiteral("The secret “%1” is required").arg(f.label));
                return false;
            }
    return true;
}

QString optionName(const QString& fieldKey)
{
    QString out;
    for (const QChar c : fieldKey) {
        if (c.isUpper()) {
            if (!out.isEmpty())
                out += QLatin1Char('-');
            out += c.toLower();
        } else {
            out += c == QLatin1Char('_') ? QLatin1Char('-') : c;
        }
    }
    return out;
}

QString whereOf(const ProviderKind& kind, const QJsonObject& settings)
{
    for (const ProviderField& f : kind.fields)
        if (f.type == ProviderField::Type::Url || f.type == ProviderField::Type::Path)
            if (settings.contains(f.key))
                return settings.value(f.key).toVariant().toString();
    return {};
}

QString valueHint(const ProviderField& field)
{
    switch (field.type) {
    case ProviderField::Type::Url:
        return QStringLiteral("URL");
    case ProviderField::Type::Path:
        return QStringLiteral("DIR");
    case ProviderField::Type::Number:
        return QStringLiteral("N");
    case ProviderField::Type::Size:
        return QStringLiteral("SIZE");
    case ProviderField::Type::Bool:
        return QStringLiteral("yes|no");
    case ProviderField::Type::Choice:
        return field.choices.join(QLatin1Char('|'));
    case ProviderField::Type::Secret:
        return QStringLiteral("SECRET");
    case ProviderField::Type::Text:
        break;
    }
    return QStringLiteral("TEXT");
}

ProviderField concurrencyField()
{
    return {QStringLiteral("concurrency"),
            QStringLiteral("Most requests at once"),
            ProviderField::Type::Number,
            false,
            QString::number(DefaultConcurrency),
            QStringLiteral("The most requests run at the same time. ModelFloat starts with two "
                           "and runs more while that makes transfers faster, fewer when the "
                           "server asks to slow down."),
            DefaultConcurrency,
            {}};
}

ProviderField dailyUploadField()
{
    return {DailyUploadKey,
            QStringLiteral("Daily upload budget"),
            ProviderField::Type::Size,
            false,
            QStringLiteral("700G"),
            QStringLiteral("Upload at most this much per day (empty: no limit); once it is used, "
                           "new chunks go to other providers until the day ends."),
            {},
            {}};
}

int settingInt(const QJsonObject& settings, const QString& key, int fallback)
{
    const QJsonValue v = settings.value(key);
    if (v.isString()) {
        bool ok = false;
        const int n = v.toString().toInt(&ok);
        return ok ? n : fallback;
    }
    return v.toInt(fallback);
}

} // namespace mf::providerfields
