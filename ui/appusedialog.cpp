#include "appusedialog.h"

#include "appstores/appuse.h"
#include "engine/engine.h"
#include "roomfortext.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace mf::ui {

AppUseDialog::AppUseDialog(Engine* engine, qint64 modelId, const QString& modelName,
                           QWidget* parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_modelId(modelId)
    , m_modelName(modelName)
    , m_app(new QComboBox(this))
    , m_name(new QLineEdit(appstores::defaultOllamaName(modelName), this))
    , m_folder(new QLineEdit(this))
{
    setWindowTitle(tr("Use “%1” in an app").arg(modelName));
    setAttribute(Qt::WA_DeleteOnClose);
    using appstores::App;
    for (App app : {App::Ollama, App::LmStudio, App::HfCache, App::LlamaCpp})
        m_app->addItem(appstores::appName(app), appstores::appKey(app));
    m_name->setToolTip(tr("The NAME:TAG that “ollama run” takes"));
    auto* browse = new QPushButton(tr("&Browse…"), this);
    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    // A label of its own: addRow(text, layout) gives its mnemonic to no one.
    auto* folderLabel = new QLabel(tr("Its &models folder:"), this);
    folderLabel->setBuddy(m_folder);
    auto* form = new QFormLayout(this);
    form->addRow(tr("&App:"), m_app);
    form->addRow(tr("&Name in Ollama:"), m_name);
    form->addRow(folderLabel, folderRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(tr("&Use"), QDialogButtonBox::AcceptRole);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &AppUseDialog::useIt);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_app, &QComboBox::currentIndexChanged, this, &AppUseDialog::onApp);
    connect(browse, &QPushButton::clicked, this, [this] {
        // Opened, not exec'd: no event loop of its own.
        auto* picker = new QFileDialog(this, tr("The app's models folder"), m_folder->text());
        picker->setFileMode(QFileDialog::Directory);
        picker->setOption(QFileDialog::ShowDirsOnly);
        picker->setAttribute(Qt::WA_DeleteOnClose);
        connect(picker, &QFileDialog::fileSelected, m_folder, &QLineEdit::setText);
        picker->open();
    });
    onApp();
    makeRoomForText(m_name);
    makeRoomForTitle(this);
}

QString AppUseDialog::defaultFolder() const
{
    const auto app = appstores::appFromKey(m_app->currentData().toString());
    return app ? appstores::defaultStoreRoot(*app, QProcessEnvironment::systemEnvironment(),
                                             QDir::homePath())
               : QString();
}

void AppUseDialog::onApp()
{
    m_name->setEnabled(m_app->currentData().toString() ==
                       appstores::appKey(appstores::App::Ollama));
    m_folder->setText(defaultFolder());
    makeRoomForText(m_folder); // the path it prefilled, whole
}

void AppUseDialog::useIt()
{
    const QString key = m_app->currentData().toString();
    const bool ollama = key == appstores::appKey(appstores::App::Ollama);
    QString name = ollama ? m_name->text().trimmed() : QString();
    if (name == appstores::defaultOllamaName(m_modelName))
        name.clear();
    QString folder = m_folder->text().trimmed();
    if (!folder.isEmpty())
        folder = QDir(folder).absolutePath();
    if (folder == QDir(defaultFolder()).absolutePath())
        folder.clear();
    if (m_engine)
        m_queued = m_engine->useModelIn(m_modelId, key, false, name, folder);
    accept();
}

} // namespace mf::ui
