#include "providerdialog.h"

#include "engine/engine.h"
#include "growtofit.h"
#include "icons.h"
#include "providerform.h"
#include "util/units.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

ProviderDialog::ProviderDialog(Engine* engine, const std::optional<ProviderRecord>& existing,
                               const QStringList& takenNames, QWidget* parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_existing(existing)
    , m_takenNames(takenNames)
{
    setWindowTitle(existing ? tr("Edit provider “%1”").arg(existing->name) : tr("Add a provider"));
    setWindowIcon(icon(QStringLiteral("providers")));
    setMinimumWidth(480);
    auto* layout = new QVBoxLayout(this);
    m_intro = new QLabel(this);
    m_intro->setWordWrap(true);
    m_intro->hide();
    layout->addWidget(m_intro);
    auto* top = m_top = new QFormLayout;
    m_kind = new QComboBox(this);
    m_kind->setAccessibleName(tr("Provider kind"));
    const ProviderFactory& factory = engine->providerFactory();
    QStringList kinds = factory.kinds();
    kinds.sort();
    // The embedded local folder first: the one that always works.
    if (kinds.removeOne(QStringLiteral("local")))
        kinds.prepend(QStringLiteral("local"));
    for (const QString& id : kinds)
        if (const ProviderKind* k = factory.kind(id))
            m_kind->addItem(providerKindIcon(id), k->displayName, id);
    top->addRow(tr("&Kind:"), m_kind);
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_description->setForegroundRole(QPalette::PlaceholderText);
    top->addRow(QString(), m_description);
    m_name = new QLineEdit(existing ? existing->name : QString(), this);
    m_name->setAccessibleName(tr("Provider name"));
    top->addRow(tr("&Name:"), m_name);
    m_quota = new QLineEdit(this);
    m_quota->setPlaceholderText(tr("no limit, or a size such as 500G"));
    m_quota->setAccessibleName(tr("Quota"));
    if (existing && existing->quotaBytes >= 0)
        m_quota->setText(units::formatBytes(existing->quotaBytes).remove(QLatin1Char(' ')));
    top->addRow(tr("&Quota:"), m_quota);
    layout->addLayout(top);

    m_formArea = new QVBoxLayout;
    layout->addLayout(m_formArea);
    m_extra = new QFormLayout;
    layout->addLayout(m_extra);

    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setAccessibleName(tr("Result"));
    m_message->hide();
    layout->addWidget(m_message);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_test = buttons->addButton(tr("&Test connection"), QDialogButtonBox::ActionRole);
    m_test->setIcon(icon(QStringLiteral("test")));
    connect(m_test, &QPushButton::clicked, this, &ProviderDialog::testConnection);
    connect(buttons, &QDialogButtonBox::accepted, this, &ProviderDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ProviderDialog::reject);
    layout->addWidget(buttons);

    connect(m_kind, &QComboBox::currentIndexChanged, this,
            [this] { setKind(m_kind->currentData().toString()); });
    if (existing) {
        m_kind->setCurrentIndex(qMax(0, m_kind->findData(existing->kind)));
        m_kind->setEnabled(false); // a provider's objects are laid out by its kind
    }
    setKind(m_kind->currentData().toString());

    connect(
        m_engine, &Engine::providerTested, this,
        [this](qint64 id, const QString& error, qint64 roundTripMs, qint64 used, qint64 available) {
            const qint64 expected = m_existing ? m_existing->id : 0;
            if (!m_testing || (id != 0 && id != expected))
                return;
            m_testing = false;
            m_test->setEnabled(true);
            if (!error.isEmpty()) {
                m_failedTest = error;
                showMessage(tr("Connection failed: %1").arg(error), true);
                return;
            }
            m_failedTest.clear();
            QString text = tr("Connected in %1 ms.").arg(roundTripMs);
            if (used >= 0)
                text += QLatin1Char(' ') + tr("%1 used.").arg(units::formatBytes(used));
            if (available >= 0)
                text += QLatin1Char(' ') + tr("%1 available.").arg(units::formatBytes(available));
            showMessage(text, false);
        });
    connect(m_engine, &Engine::providerError, this, [this](const QString& message) {
        if (!m_saving)
            return;
        m_saving = false;
        showMessage(message, true);
    });
    connect(m_engine, &Engine::providersChanged, this, [this] {
        if (m_saving)
            QDialog::accept();
    });
}

void ProviderDialog::setKind(const QString& kindId)
{
    const ProviderKind* kind = m_engine->providerFactory().kind(kindId);
    if (m_form) {
        // Out of the layout now, so that the new form's room is measured without it.
        m_formArea->removeWidget(m_form);
        m_form->hide();
        m_form->deleteLater();
        m_form = nullptr;
    }
    if (!kind)
        return;
    m_description->setText(kind->description);
    m_form = new ProviderForm(*kind, m_existing ? m_existing->settings : QJsonObject(),
                              m_existing.has_value(), this);
    connect(m_form, &ProviderForm::changed, m_message, &QLabel::hide);
    connect(m_form, &ProviderForm::changed, this, [this] { m_failedTest.clear(); });
    m_failedTest.clear();
    m_formArea->addWidget(m_form);
    m_form->show(); // now, not on the next turn of the event loop: growToFit() measures it
    if (!m_existing && m_name->text().isEmpty())
        m_name->setPlaceholderText(kind->displayName);
    m_message->hide();
    alignLabelColumns();
    growToFit(this); // a longer description or more fields: room for them
}

// Three forms (the common fields, the kind's own, the rows added below them) with one label
// column: each form sizes its own to its longest label, which left "Folder" and "Daily upload
// budget" starting further right than Kind, Name and Quota.
void ProviderDialog::alignLabelColumns()
{
    QList<QFormLayout*> forms{m_top, m_extra};
    if (m_form)
        forms.append(m_form->formLayout());
    QList<QWidget*> labels;
    int width = 0;
    for (QFormLayout* form : std::as_const(forms))
        for (int row = 0; row < form->rowCount(); ++row)
            if (QLayoutItem* item = form->itemAt(row, QFormLayout::LabelRole))
                if (QWidget* label = item->widget()) {
                    labels.append(label);
                    width = qMax(width, label->sizeHint().width());
                }
    for (QWidget* label : std::as_const(labels))
        label->setMinimumWidth(width);
}

QString ProviderDialog::validate() const
{
    const QString name = m_name->text().trimmed();
    if (name.isEmpty())
        return tr("Give the provider a name.");
    if (m_takenNames.contains(name, Qt::CaseInsensitive) &&
        !(m_existing && m_existing->name.compare(name, Qt::CaseInsensitive) == 0))
        return tr("A provider called “%1” already exists.").arg(name);
    const QString quota = m_quota->text().trimmed();
    if (!quota.isEmpty() && !units::parseBytes(quota))
        return tr("The quota must be a size such as 500G, or empty for no limit.");
    if (!m_form)
        return tr("Choose a kind of provider.");
    return m_form->validate();
}

void ProviderDialog::showMessage(const QString& text, bool problem)
{
    QPalette pal = palette();
    if (problem)
        pal.setColor(QPalette::WindowText, QColor(0xd0, 0x46, 0x3f));
    m_message->setPalette(pal);
    m_message->setText(text);
    m_message->setAccessibleDescription(text);
    m_message->show();
    growToFit(this);
}

QString ProviderDialog::message() const
{
    return m_message->isHidden() ? QString() : m_message->text();
}

void ProviderDialog::testConnection()
{
    if (!m_form)
        return;
    const QString problem = m_form->validate();
    if (!problem.isEmpty()) {
        showMessage(problem, true);
        return;
    }
    m_testing = true;
    m_test->setEnabled(false);
    showMessage(tr("Testing…"), false);
    // Editing without re-typing the secret: test the saved provider, whose secret is stored.
    if (m_existing && m_form->secrets().isEmpty() && m_form->kind().hasSecrets())
        m_engine->testProvider(m_existing->id);
    else
        m_engine->testProviderSettings(m_form->kind().id, m_form->settings(), m_form->secrets());
}

void ProviderDialog::addRow(const QString& label, QWidget* field)
{
    m_extra->addRow(label, field);
    alignLabelColumns();
}

void ProviderDialog::setIntro(const QString& text)
{
    m_intro->setText(text);
    m_intro->setVisible(!text.isEmpty());
    growToFit(this);
}

void ProviderDialog::accept()
{
    const QString problem = validate();
    if (!problem.isEmpty()) {
        showMessage(problem, true);
        return;
    }
    if (m_saving || m_saveAnyway)
        return;
    // A provider that just failed its test is saved only when the user says so: its floats
    // would otherwise wait on it in silence.
    if (!m_failedTest.isEmpty()) {
        m_saveAnyway = new QMessageBox(QMessageBox::Warning, tr("Save a provider that failed?"),
                                       tr("The connection test failed:\n%1\n\nSave “%2” anyway? "
                                          "Nothing is stored there until it can be reached.")
                                           .arg(m_failedTest, m_name->text().trimmed()),
                                       QMessageBox::Cancel, this);
        QPushButton* save = m_saveAnyway->addButton(tr("Save anyway"), QMessageBox::AcceptRole);
        m_saveAnyway->setDefaultButton(QMessageBox::Cancel);
        m_saveAnyway->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_saveAnyway, &QMessageBox::finished, this, [this, save] {
            if (m_saveAnyway && m_saveAnyway->clickedButton() == save) {
                m_failedTest.clear();
                QMetaObject::invokeMethod(this, &ProviderDialog::accept, Qt::QueuedConnection);
            }
        });
        m_saveAnyway->open();
        return;
    }
    const QString quotaText = m_quota->text().trimmed();
    const qint64 quota = quotaText.isEmpty() ? -1 : units::parseBytes(quotaText).value_or(-1);
    m_saving = true;
    // Typed secrets of a kind that signs in are exchanged first (MEGA's password, Google's
    // consent in the browser), which can take the user a while.
    if (m_form->kind().signIn && !m_form->secrets().isEmpty())
        showMessage(tr("Signing in… If a sign-in page opened in your browser, allow ModelFloat "
                       "there; this form goes on when it says you can close the page."),
                    false);
    else
        showMessage(tr("Saving…"), false);
    if (m_existing)
        m_engine->updateProvider(m_existing->id, m_name->text().trimmed(), m_form->settings(),
                                 m_form->secrets(), quota);
    else
        m_engine->addProvider(m_form->kind().id, m_name->text().trimmed(), m_form->settings(),
                              m_form->secrets(), quota);
}

} // namespace mf::ui
