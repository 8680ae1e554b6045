#pragma once

#include "providers/providerkind.h"

#include <QHash>
#include <QJsonObject>
#include <QWidget>

class QFormLayout;

namespace mf::ui {

// The settings form of one provider kind, generated from its ProviderField list: a line edit for
// Text/Url/Size, a line edit with "Browse…" for Path, a masked one for Secret, a spin box for
// Number, a check box for Bool, a combo box for Choice. A new kind needs no code here.
class ProviderForm final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderForm)

public:
    // `settings`: values to show (editing); secrets are never shown, and when editing an empty
    // secret field means "keep the stored one".
    ProviderForm(const ProviderKind& kind, const QJsonObject& settings, bool editing,
                 QWidget* parent = nullptr);

    const ProviderKind& kind() const { return m_kind; }
    // Non-secret values as typed JSON (what ProviderSetup checks and stores).
    QJsonObject settings() const;
    // Secrets typed in; empty fields are left out.
    QJsonObject secrets() const;
    // The first problem (a required field left empty, a malformed value), or empty.
    QString validate() const;
    QWidget* editor(const QString& key) const { return m_editors.value(key); }
    // Its rows (ProviderDialog gives its labels the width of the dialog's others).
    QFormLayout* formLayout() const { return m_layout; }

Q_SIGNALS:
    void changed();

private:
    QWidget* makeEditor(const ProviderField& field, const QJsonValue& value);
    QJsonValue value(const ProviderField& field) const;

    ProviderKind m_kind;
    bool m_editing;
    QFormLayout* m_layout;
    QHash<QString, QWidget*> m_editors; // by field key
};

} // namespace mf::ui
