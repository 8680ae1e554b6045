#include "materializedialog.h"

#include "growtofit.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace mf::ui {

MaterializeDialog::MaterializeDialog(const QString& modelName, const QString& source,
                                     QWidget* parent)
    : QDialog(parent)
    , m_modelName(modelName)
    , m_plain(new QRadioButton(tr("&Plain folder: the model's files under the destination"), this))
    , m_cache(new QRadioButton(tr("&Hugging Face cache: tools that read the cache find it offline"),
                               this))
    , m_destination(new QLineEdit(this))
    , m_browse(new QPushButton(tr("&Browse…"), this))
    , m_hint(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
    , m_ok(m_buttons->addButton(tr("&Materialize"), QDialogButtonBox::AcceptRole))
{
    setWindowTitle(tr("Materialize %1").arg(modelName));
    m_destination->setAccessibleName(tr("Destination folder"));
    m_hint->setWordWrap(true);
    m_plain->setChecked(true);
    const bool fromHub =
        source.startsWith(QLatin1String("hf:")) && source.contains(QLatin1Char('@'));
    m_cache->setEnabled(fromHub);
    if (!fromHub)
        m_cache->setToolTip(tr("Only for models imported from the Hugging Face Hub: the cache "
                               "layout needs the repository and commit they came from."));

    auto* destinationRow = new QHBoxLayout;
    destinationRow->addWidget(m_destination, 1);
    destinationRow->addWidget(m_browse);
    // A label of its own: addRow(text, layout) gives its mnemonic to no one ("&Destination:").
    auto* destinationLabel = new QLabel(tr("&Destination:"), this);
    destinationLabel->setBuddy(m_destination);
    auto* form = new QFormLayout;
    form->addRow(destinationLabel, destinationRow);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Layout:"), this));
    layout->addWidget(m_plain);
    layout->addWidget(m_cache);
    layout->addLayout(form);
    layout->addWidget(m_hint);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    // As tall as what it holds: a fixed height left an empty band above the buttons.
    setMinimumWidth(fontMetrics().averageCharWidth() * 70);

    connect(m_plain, &QRadioButton::toggled, this, &MaterializeDialog::layoutChanged);
    connect(m_destination, &QLineEdit::textChanged, this, &MaterializeDialog::updateButton);
    connect(m_browse, &QPushButton::clicked, this, &MaterializeDialog::browse);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (!m_ok->isEnabled())
            return;
        Q_EMIT materializeRequested(choice());
        accept();
    });
    layoutChanged();
}

QString MaterializeDialog::defaultHfCache()
{
    const QString hubCache = qEnvironmentVariable("HF_HUB_CACHE");
    if (!hubCache.isEmpty())
        return hubCache;
    const QString home = qEnvironmentVariable("HF_HOME");
    if (!home.isEmpty())
        return QDir(home).filePath(QStringLiteral("hub"));
    return QDir::home().filePath(QStringLiteral(".cache/huggingface/hub"));
}

void MaterializeDialog::layoutChanged()
{
    if (m_cache->isChecked()) {
        m_plainDestination = m_destination->text();
        m_destination->setText(defaultHfCache());
        m_hint->setText(tr("Written as models--org--name with blobs, snapshots/<commit> and "
                           "refs/main; blobs already in the cache are reused."));
    } else {
        m_destination->setText(m_plainDestination);
        m_hint->setText(tr("Each file is restored, verified, and only then put in place."));
    }
    growToFit(this); // the cache layout's hint takes two lines
    updateButton();
}

void MaterializeDialog::browse()
{
    // open(), not exec(): no nested event loop.
    auto* dialog = new QFileDialog(this, tr("Materialize into"), m_destination->text());
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this,
            [this](const QString& folder) { m_destination->setText(folder); });
    dialog->open();
}

void MaterializeDialog::updateButton()
{
    m_ok->setEnabled(!m_destination->text().trimmed().isEmpty());
}

MaterializeDialog::Choice MaterializeDialog::choice() const
{
    Choice c;
    c.modelName = m_modelName;
    c.destination = QDir::cleanPath(m_destination->text().trimmed());
    c.layout = m_cache->isChecked() ? Layout::HfCache : Layout::Plain;
    return c;
}

} // namespace mf::ui
