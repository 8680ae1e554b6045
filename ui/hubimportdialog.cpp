#include "hubimportdialog.h"

#include "hub/hubclient.h"
#include "hubsearchlist.h"
#include "registry/modelname.h"
#include "util/units.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace mf::ui {

namespace {
enum Column { NameColumn, FormatColumn, FilesColumn, SizeColumn };
constexpr int VariantIndexRole = Qt::UserRole + 1;
// Typing searches the Hub once it pauses this long: a request per word, not per key.
constexpr int SearchDelayMs = 400;

// What the box holds names a repo to look up ("org/name", "hf:org/name@rev", a URL) rather than
// words to search for.
bool namesARepo(const QString& text)
{
    const QString t = text.trimmed();
    return t.contains(QLatin1Char('/')) || t.startsWith(QLatin1String("hf:"));
}
} // namespace

HubImportDialog::HubImportDialog(HubClient* client, QWidget* parent)
    : QDialog(parent)
    , m_client(client)
    , m_repoEdit(new QLineEdit(this))
    , m_lookUp(new QPushButton(tr("&Look up"), this))
    , m_status(new QLabel(this))
    , m_results(new HubSearchList(client, this))
    , m_searchDelay(new QTimer(this))
    , m_variants(new QTreeWidget(this))
    , m_nameEdit(new QLineEdit(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
    , m_import(m_buttons->addButton(tr("&Import"), QDialogButtonBox::AcceptRole))
{
    setWindowTitle(tr("Import from Hugging Face"));
    m_repoEdit->setPlaceholderText(tr("Search by name, or org/name, or paste the model's URL"));
    m_repoEdit->setAccessibleName(tr("Repository"));
    m_repoEdit->setClearButtonEnabled(true);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_variants->setHeaderLabels({tr("Variant"), tr("Format"), tr("Files"), tr("Size")});
    m_variants->setRootIsDecorated(false);
    m_variants->setAccessibleName(tr("Variants"));
    m_variants->header()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    m_variants->setEnabled(false);
    m_nameEdit->setAccessibleName(tr("Model name"));
    m_nameEdit->setPlaceholderText(tr("the repository id"));
    m_import->setEnabled(false);

    auto* repoRow = new QHBoxLayout;
    repoRow->addWidget(m_repoEdit, 1);
    repoRow->addWidget(m_lookUp);
    auto* form = new QFormLayout;
    // A row that is a layout gets no buddy from addRow, and its "&" would show as is.
    auto* repoLabel = new QLabel(tr("&Repository:"));
    repoLabel->setBuddy(m_repoEdit);
    form->addRow(repoLabel, repoRow);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(m_results, 1);
    m_results->hide(); // until a search
    layout->addWidget(m_variants, 1);
    auto* nameForm = new QFormLayout;
    nameForm->addRow(tr("Model &name:"), m_nameEdit);
    layout->addLayout(nameForm);
    layout->addWidget(m_buttons);
    resize(640, 480);

    connect(m_lookUp, &QPushButton::clicked, this, &HubImportDialog::lookUpOrSearch);
    connect(m_repoEdit, &QLineEdit::returnPressed, this, &HubImportDialog::lookUpOrSearch);
    m_searchDelay->setSingleShot(true);
    m_searchDelay->setInterval(SearchDelayMs);
    connect(m_searchDelay, &QTimer::timeout, this, &HubImportDialog::search);
    connect(m_repoEdit, &QLineEdit::textChanged, this, [this](const QString& text) {
        const bool repo = namesARepo(text);
        m_lookUp->setText(repo || text.trimmed().isEmpty() ? tr("&Look up") : tr("&Search"));
        if (!repo && text.trimmed().size() >= 2)
            m_searchDelay->start();
        else
            m_searchDelay->stop();
    });
    connect(m_results, &HubSearchList::status, this, &HubImportDialog::setStatus);
    connect(m_results, &HubSearchList::chosen, this, [this](const QString& repoId) {
        const QSignalBlocker blocker(m_repoEdit); // a repo to look up, not words to search for
        m_repoEdit->setText(repoId);
        m_lookUp->setText(tr("&Look up"));
        lookUp();
    });
    connect(m_variants, &QTreeWidget::itemChanged, this, &HubImportDialog::updateImportButton);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (!m_import->isEnabled())
            return;
        const Choice c = choice();
        if (const QString bad = modelname::problem(c.modelName); !bad.isEmpty())
            return setStatus(bad, true);
        Q_EMIT importRequested(c);
        accept();
    });
}

HubImportDialog::~HubImportDialog()
{
    if (m_job)
        m_job->abort();
}

QString HubImportDialog::statusText() const
{
    return m_status->text();
}

void HubImportDialog::setStatus(const QString& text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QString());
}

void HubImportDialog::lookUpOrSearch()
{
    if (namesARepo(m_repoEdit->text()))
        lookUp();
    else
        search();
}

void HubImportDialog::search()
{
    m_searchDelay->stop();
    const QString query = m_repoEdit->text().trimmed();
    if (query.isEmpty())
        return;
    m_results->show();
    m_results->search(query);
}

void HubImportDialog::lookUp()
{
    QString revision;
    QString error;
    const QString repoId = hubrepo::parseRepoId(m_repoEdit->text().trimmed(), &revision, &error);
    m_variants->clear();
    m_variants->setEnabled(false);
    m_variantsFound.clear();
    m_repo = HubRepo();
    updateImportButton();
    if (repoId.isEmpty()) {
        setStatus(error, true);
        Q_EMIT lookedUp();
        return;
    }
    if (m_job) {
        m_job->disconnect(this);
        m_job->abort();
        m_job->deleteLater();
    }
    m_nameEdit->setPlaceholderText(repoId);
    setStatus(tr("Looking up %1…").arg(repoId), false);
    m_lookUp->setEnabled(false);
    m_job = new HubInfoJob(m_client, repoId, revision, this);
    connect(m_job, &HubInfoJob::finished, this, &HubImportDialog::onInfo);
    m_job->start();
}

void HubImportDialog::onInfo()
{
    HubInfoJob* job = m_job;
    m_job = nullptr;
    m_lookUp->setEnabled(true);
    if (!job)
        return;
    job->deleteLater();
    if (!job->error().ok()) {
        setStatus(job->error().message, true);
        Q_EMIT lookedUp();
        return;
    }
    m_repo = job->repo();
    m_variantsFound = variants::group(m_repo.files);
    m_companionBytes = 0;
    m_companionFiles = 0;
    for (const HubFile& f : std::as_const(m_repo.files))
        if (!variants::isWeightFile(f.path)) {
            m_companionBytes += f.size;
            ++m_companionFiles;
        }
    const QSignalBlocker blocker(m_variants);
    for (int i = 0; i < m_variantsFound.size(); ++i) {
        const HubVariant& v = m_variantsFound.at(i);
        auto* item = new QTreeWidgetItem(m_variants);
        item->setText(NameColumn, v.name);
        item->setText(FormatColumn, v.format == HubVariant::Format::Gguf
                                        ? QStringLiteral("GGUF")
                                        : QStringLiteral("safetensors"));
        item->setText(FilesColumn, QString::number(v.files.size()));
        item->setText(SizeColumn, units::formatBytes(v.totalSize));
        item->setTextAlignment(SizeColumn, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(NameColumn, v.files.join(QLatin1Char('\n')));
        item->setData(NameColumn, VariantIndexRole, i);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(NameColumn, Qt::Unchecked);
    }
    m_variants->setEnabled(true);
    const QString commit = m_repo.commit.left(12);
    if (m_variantsFound.isEmpty())
        setStatus(tr("%1 at %2: %3, no model variants; Import takes every file.")
                      .arg(m_repo.id, commit,
                           units::counted(m_repo.files.size(), tr("1 file"), tr("%1 files"))),
                  false);
    else
        setStatus(
            tr("%1 at %2: choose the variants to import. %3 (%4: config, tokenizer, "
               "README) come along.")
                .arg(m_repo.id, commit,
                     units::counted(m_companionFiles, tr("1 small file"), tr("%1 small files")),
                     units::formatBytes(m_companionBytes)),
            false);
    updateImportButton();
    Q_EMIT lookedUp();
}

HubImportDialog::Choice HubImportDialog::choice() const
{
    Choice c;
    c.repoId = m_repo.id;
    c.commit = m_repo.commit;
    c.modelName = m_nameEdit->text().trimmed();
    if (c.modelName.isEmpty())
        c.modelName = m_repo.id;
    for (int i = 0; i < m_variants->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* item = m_variants->topLevelItem(i);
        if (item->checkState(NameColumn) != Qt::Checked)
            continue;
        const HubVariant& v = m_variantsFound.at(item->data(NameColumn, VariantIndexRole).toInt());
        c.variants.append(v.name);
        c.totalBytes += v.totalSize;
    }
    if (c.variants.isEmpty())
        for (const HubFile& f : m_repo.files)
            c.totalBytes += f.size;
    else
        c.totalBytes += m_companionBytes;
    return c;
}

void HubImportDialog::updateImportButton()
{
    const bool listed = !m_repo.commit.isEmpty();
    const Choice c = choice();
    const bool ok = listed && (m_variantsFound.isEmpty() || !c.variants.isEmpty());
    m_import->setEnabled(ok);
    m_import->setText(ok ? tr("&Import %1").arg(units::formatBytes(c.totalBytes)) : tr("&Import"));
}

} // namespace mf::ui
