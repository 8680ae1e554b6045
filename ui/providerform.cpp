#include "providerform.h"

#include "providers/providerfields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include <limits>

namespace mf::ui {

ProviderForm::ProviderForm(const ProviderKind& kind, const QJsonObject& settings, bool editing,
                           QWidget* parent)
    : QWidget(parent)
    , m_kind(kind)
    , m_editing(editing)
    , m_layout(new QFormLayout(this))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    for (const ProviderField& f : m_kind.fields) {
        const QJsonValue v = settings.contains(f.key) ? settings.value(f.key) : f.defaultValue;
        QWidget* editor = makeEditor(f, f.isSecret() ? QJsonValue() : v);
        const QString label = f.label + (f.required ? QStringLiteral(" *:") : QStringLiteral(":"));
        m_layout->addRow(label, editor);
    }
}

QWidget* ProviderForm::makeEditor(const ProviderField& f, const QJsonValue& v)
{
    QWidget* result = nullptr;
    QWidget* focus = nullptr;
    switch (f.type) {
    case ProviderField::Type::Text:
    case ProviderField::Type::Url:
    case ProviderField::Type::Size:
    case ProviderField::Type::Secret: {
        auto* edit = new QLineEdit(this);
        if (f.type == ProviderField::Type::Secret) {
            edit->setEchoMode(QLineEdit::Password);
            edit->setPlaceholderText(m_editing ? tr("unchanged") : f.placeholder);
        } else {
            edit->setPlaceholderText(f.placeholder);
            if (f.type == ProviderField::Type::Size && v.isDouble())
                edit->setText(QString::number(qint64(v.toDouble())));
            else
                edit->setText(v.toVariant().toString());
        }
        connect(edit, &QLineEdit::textChanged, this, &ProviderForm::changed);
        result = focus = edit;
        break;
    }
    case ProviderField::Type::Path: {
        auto* row = new QWidget(this);
        auto* layout = new QHBoxLayout(row);
        layout->setContentsMargins(0, 0, 0, 0);
        auto* edit = new QLineEdit(v.toString(), row);
        edit->setObjectName(QStringLiteral("pathEdit"));
        edit->setPlaceholderText(f.placeholder);
        auto* browse = new QPushButton(tr("Browse…"), row);
        browse->setAccessibleName(tr("Browse for %1").arg(f.label));
        layout->addWidget(edit, 1);
        layout->addWidget(browse);
        connect(edit, &QLineEdit::textChanged, this, &ProviderForm::changed);
        connect(browse, &QPushButton::clicked, this, [this, edit, f] {
            auto* dialog = new QFileDialog(this, f.label, edit->text());
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            dialog->setFileMode(QFileDialog::Directory);
            dialog->setOption(QFileDialog::ShowDirsOnly);
            connect(dialog, &QFileDialog::fileSelected, edit, &QLineEdit::setText);
            dialog->open();
        });
        result = row;
        focus = edit;
        break;
    }
    case ProviderField::Type::Number: {
        auto* spin = new QSpinBox(this);
        spin->setRange(0, std::numeric_limits<int>::max());
        spin->setValue(v.toInt());
        connect(spin, &QSpinBox::valueChanged, this, &ProviderForm::changed);
        result = focus = spin;
        break;
    }
    case ProviderField::Type::Bool: {
        auto* box = new QCheckBox(this);
        box->setChecked(v.toBool());
        connect(box, &QCheckBox::toggled, this, &ProviderForm::changed);
        result = focus = box;
        break;
    }
    case ProviderField::Type::Choice: {
        auto* combo = new QComboBox(this);
        combo->addItems(f.choices);
        const int at = int(f.choices.indexOf(v.toString()));
        combo->setCurrentIndex(qMax(0, at));
        connect(combo, &QComboBox::currentIndexChanged, this, &ProviderForm::changed);
        result = focus = combo;
        break;
    }
    }
    focus->setAccessibleName(f.label);
    focus->setToolTip(f.help);
    focus->setWhatsThis(f.help);
    m_editors.insert(f.key, result);
    return result;
}

QJsonValue ProviderForm::value(const ProviderField& f) const
{
    QWidget* w = m_editors.value(f.key);
    switch (f.type) {
    case ProviderField::Type::Text:
    case ProviderField::Type::Url:
    case ProviderField::Type::Size:
    case ProviderField::Type::Secret: {
        const QString text = static_cast<QLineEdit*>(w)->text();
        // Secrets are taken as typed: spaces may be part of them.
        const QString v = f.isSecret() ? text : text.trimmed();
        return v.isEmpty() ? QJsonValue() : QJsonValue(v);
    }
    case ProviderField::Type::Path: {
        const QString text = w->findChild<QLineEdit*>(QStringLiteral("pathEdit"))->text().trimmed();
        return text.isEmpty() ? QJsonValue() : QJsonValue(text);
    }
    case ProviderField::Type::Number:
        return static_cast<QSpinBox*>(w)->value();
    case ProviderField::Type::Bool:
        return static_cast<QCheckBox*>(w)->isChecked();
    case ProviderField::Type::Choice:
        return static_cast<QComboBox*>(w)->currentText();
    }
    return {};
}

QJsonObject ProviderForm::settings() const
{
    QJsonObject o;
    for (const ProviderField& f : m_kind.fields) {
        if (f.isSecret())
            continue;
        const QJsonValue v = value(f);
        if (!v.isUndefined() && !v.isNull())
            o.insert(f.key, v);
    }
    return o;
}

QJsonObject ProviderForm::secrets() const
{
    QJsonObject o;
    for (const ProviderField& f : m_kind.fields) {
        if (!f.isSecret())
            continue;
        const QJsonValue v = value(f);
        if (v.isString())
            o.insert(f.key, v);
    }
    return o;
}

QString ProviderForm::validate() const
{
    for (const ProviderField& f : m_kind.fields) {
        const QJsonValue v = value(f);
        const bool empty = v.isUndefined() || v.isNull();
        // When editing, an empty secret keeps the stored one.
        if (f.required && empty && !(f.isSecret() && m_editing))
            return tr("“%1” is required.").arg(f.label);
    }
    Error error;
    providerfields::normalizeSettings(m_kind, settings(), &error);
    if (!error.message.isEmpty())
        return error.message;
    if (!providerfields::checkSecrets(m_kind, secrets(), !m_editing, &error))
        return error.message;
    return {};
}

} // namespace mf::ui
