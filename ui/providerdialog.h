#pragma once

#include "registry/records.h"

#include <QDialog>
#include <QMessageBox>
#include <QPointer>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QFormLayout;
class QVBoxLayout;

namespace mf {
class Engine;
}

namespace mf::ui {

class ProviderForm;

// Adds or edits a provider: its kind (when adding), a name, a quota, and the kind's own form
// (ProviderForm, generated from the kind's fields). "Test connection" tries the settings before
// they are saved. Saving goes through the Engine; the dialog closes when the Engine reports the
// providers changed and stays open with the Engine's error otherwise.
class ProviderDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProviderDialog)

public:
    // `existing`: the provider to edit; nullopt to add one. `takenNames`: names in use.
    ProviderDialog(Engine* engine, const std::optional<ProviderRecord>& existing,
                   const QStringList& takenNames, QWidget* parent = nullptr);

    ProviderForm* form() const { return m_form; }
    QComboBox* kindBox() const { return m_kind; }
    QLineEdit* nameEdit() const { return m_name; }
    QString message() const;
    QString validate() const;
    // A line above the form saying what this dialog is for (empty: none).
    void setIntro(const QString& text);
    // A row below the provider's own fields (the attach dialog's recovery key).
    void addRow(const QString& label, QWidget* field);

public Q_SLOTS:
    void accept() override;

private:
    void setKind(const QString& kindId);
    void testConnection();
    void showMessage(const QString& text, bool problem);
    void alignLabelColumns();

    Engine* m_engine;
    std::optional<ProviderRecord> m_existing;
    QStringList m_takenNames;
    QComboBox* m_kind = nullptr;
    QLabel* m_description = nullptr;
    QLabel* m_intro = nullptr;
    QLineEdit* m_name = nullptr;
    QLineEdit* m_quota = nullptr;
    QFormLayout* m_top = nullptr; // kind, name, quota
    QVBoxLayout* m_formArea = nullptr;
    QFormLayout* m_extra = nullptr;
    ProviderForm* m_form = nullptr;
    QPushButton* m_test = nullptr;
    QLabel* m_message = nullptr;
    bool m_saving = false;
    bool m_testing = false;
    // Why the last connection test failed, while the settings it tested are unchanged: saving
    // them then asks first.
    QString m_failedTest;
    QPointer<QMessageBox> m_saveAnyway; // that question, while it is open
};

} // namespace mf::ui
