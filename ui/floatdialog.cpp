#include "floatdialog.h"

#include "growtofit.h"
#include "icons.h"
#include "registry/modelname.h"
#include "util/units.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace mf::ui {

namespace {
// The providers the user left out last time, by name (ids of a new vault differ). What was left
// out is remembered rather than what was chosen, so a provider added since is chosen.
const QLatin1String UncheckedProvidersKey("floatDialog/uncheckedProviders");
const char* const ProviderIdName = "providerId";
const char* const ProviderNameName = "providerName";
const char* const ProviderBrokenName = "providerBroken";

// Whether the provider's last test or transfer failed: it is offered, but not chosen for the
// user (a float to it would fail or leave the model short of copies). A failed test records
// "error: " and its cause (ProviderRecord::healthAfterTest); an older registry just "error".
bool isBroken(const ProviderRecord& p)
{
    return p.health == QLatin1String("error") || !p.testFailure().isEmpty();
}
} // namespace

QString FloatDialog::suggestedName(const QStringList& paths)
{
    if (paths.isEmpty())
        return {};
    if (paths.size() == 1) {
        const QFileInfo info(paths.first());
        if (info.isDir())
            return info.fileName();
        // "Llama-3-8B.Q4_K_M.gguf" -> "Llama-3-8B.Q4_K_M": only the last suffix goes.
        return info.completeBaseName();
    }
    // Several: the folder they share.
    return QFileInfo(QFileInfo(paths.first()).absolutePath()).fileName();
}

FloatDialog::FloatDialog(const DroppedFiles& dropped, const QList<ProviderRecord>& providers,
                         const RedundancyScheme& wanted,
                         std::function<bool(const QString&)> existingName, QWidget* parent)
    : QDialog(parent)
    , m_dropped(dropped)
    , m_existingName(std::move(existingName))
    , m_wanted(wanted)
{
    setWindowTitle(tr("Float a model"));
    setWindowIcon(icon(QStringLiteral("float")));
    auto* layout = new QVBoxLayout(this);

    setMinimumWidth(480);
    const QString from =
        dropped.paths.size() == 1
            ? QDir::toNativeSeparators(dropped.paths.first())
            : tr("%1 items in %2")
                  .arg(QString::number(dropped.paths.size()),
                       QDir::toNativeSeparators(QFileInfo(dropped.paths.first()).absolutePath()));
    auto* what =
        new QLabel(tr("%1, %2 in all, from %3")
                       .arg(units::counted(dropped.fileCount, tr("1 file"), tr("%1 files")),
                            units::formatBytes(dropped.totalBytes), from),
                   this);
    what->setWordWrap(true);
    layout->addWidget(what);

    auto* form = new QFormLayout;
    m_name = new QLineEdit(suggestedName(dropped.paths), this);
    m_name->setAccessibleName(tr("Model name"));
    m_name->selectAll();
    form->addRow(tr("Model &name:"), m_name);

    m_replicas = new QSpinBox(this);
    m_replicas->setRange(1, 16);
    m_replicas->setAccessibleName(tr("Replicas"));
    m_replicas->setToolTip(tr("On how many providers every chunk is kept. The vault wants %1; "
                              "fewer leave the model short of copies until it is repaired.")
                               .arg(units::counted(wanted.copies, tr("1 copy"), tr("%1 copies"))));
    if (wanted.isShards()) {
        // A vault that keeps shards floats every model so (the float takes the vault's scheme):
        // a copies box here would promise what the float does not do.
        auto* shards = new QLabel(tr("%1 data + %2 parity shards of each chunk, each on a "
                                     "provider of its own (Settings › Redundancy)")
                                      .arg(wanted.dataShards)
                                      .arg(wanted.parityShards),
                                  this);
        shards->setWordWrap(true);
        form->addRow(tr("Redundancy:"), shards);
        m_replicas->hide();
    } else {
        form->addRow(tr("&Replicas of each chunk:"), m_replicas);
    }
    m_cost = new QLabel(this);
    m_cost->setWordWrap(true);
    m_cost->setAccessibleName(tr("What it costs"));
    form->addRow(QString(), m_cost);
    layout->addLayout(form);

    QSettings settings;
    auto* group = new QGroupBox(tr("Providers"), this);
    auto* groupLayout = new QVBoxLayout(group);
    const QStringList unchecked = settings.value(UncheckedProvidersKey).toStringList();
    int checked = 0;
    for (const ProviderRecord& p : providers) {
        if (!p.takesNewCopies())
            continue;
        auto* box = new QCheckBox(group);
        box->setIcon(providerKindIcon(p.kind));
        box->setProperty(ProviderIdName, p.id);
        box->setProperty(ProviderNameName, p.name);
        box->setProperty(ProviderBrokenName, isBroken(p));
        if (isBroken(p)) {
            box->setText(tr("%1 (its last check failed)").arg(p.name));
            const QString cause = p.testFailure();
            box->setToolTip((cause.isEmpty()
                                 ? QString()
                                 : tr("Its last check failed: %1.").arg(cause) + QLatin1Char(' ')) +
                            tr("Test it on the Providers page; it is not chosen until it works."));
        } else {
            box->setText(p.name);
        }
        box->setChecked(!isBroken(p) && !unchecked.contains(p.name));
        checked += box->isChecked() ? 1 : 0;
        groupLayout->addWidget(box);
        m_providerBoxes.append(box);
    }

    // The copies the vault wants (the one figure the model list and the command line measure
    // health against), never more than the providers chosen: a dialog that refuses its own
    // default is a trap.
    m_replicas->setValue(qBound(1, wanted.isShards() ? 1 : wanted.copies, qMax(1, checked)));
    if (m_providerBoxes.isEmpty())
        groupLayout->addWidget(new QLabel(tr("No provider takes new copies."), group));
    layout->addWidget(group);

    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setAccessibleName(tr("Problem"));
    QPalette warn = m_error->palette();
    warn.setColor(QPalette::WindowText, QColor(0xd0, 0x46, 0x3f));
    m_error->setPalette(warn);
    m_error->hide();
    layout->addWidget(m_error);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Float"));
    buttons->button(QDialogButtonBox::Ok)->setIcon(icon(QStringLiteral("float")));
    connect(buttons, &QDialogButtonBox::accepted, this, &FloatDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &FloatDialog::reject);
    layout->addWidget(buttons);
    // The message goes as soon as the input changes.
    connect(m_name, &QLineEdit::textChanged, m_error, &QLabel::hide);
    connect(m_replicas, &QSpinBox::valueChanged, m_error, &QLabel::hide);
    connect(m_replicas, &QSpinBox::valueChanged, this, &FloatDialog::updateCost);
    for (QCheckBox* box : std::as_const(m_providerBoxes))
        connect(box, &QCheckBox::toggled, this, &FloatDialog::updateCost);
    updateCost();
}

QString FloatDialog::costText() const
{
    return m_cost->text();
}

void FloatDialog::updateCost()
{
    int chosen = 0;
    for (QCheckBox* box : std::as_const(m_providerBoxes))
        chosen += box->isChecked() ? 1 : 0;
    // The same words as `modelfloat-cli config redundancy`; "your providers" are those chosen.
    const int copies = m_replicas->value();
    const RedundancyScheme scheme =
        m_wanted.isShards() ? m_wanted : RedundancyScheme::makeCopies(copies);
    QString text = scheme.describe(chosen) + QLatin1Char('.');
    // Fewer copies than the vault wants (a provider is down, or unchecked) are said in words,
    // with what happens to the missing ones: not a spin box that quietly shows 1.
    if (!m_wanted.isShards() && copies < m_wanted.copies)
        text += QLatin1Char(' ') +
                tr("The vault wants %1. With %2, the model shows as degraded until more "
                   "providers can take copies; the background repair then makes the missing "
                   "ones by itself.")
                    .arg(units::counted(m_wanted.copies, tr("1 copy"), tr("%1 copies")),
                         units::counted(copies, tr("1 copy"), tr("%1 copies")));
    m_cost->setText(text);
    if (isVisible())
        growToFit(this); // the sentence takes its lines, not the provider list's
}

FloatRequest FloatDialog::request() const
{
    FloatRequest r;
    r.paths = m_dropped.paths;
    r.modelName = m_name->text().trimmed();
    r.replicas = m_wanted.isShards() ? 0 : m_replicas->value(); // 0: the vault's scheme
    for (QCheckBox* box : m_providerBoxes)
        if (box->isChecked())
            r.providerIds.append(box->property(ProviderIdName).toLongLong());
    return r;
}

QString FloatDialog::validate() const
{
    if (!m_dropped.problem.isEmpty())
        return m_dropped.problem;
    // Files can change between the drop and the click: look again.
    const DroppedFiles now = DroppedFiles::fromPaths(m_dropped.paths);
    if (!now.ok())
        return now.problem;
    const FloatRequest r = request();
    if (r.modelName.isEmpty())
        return tr("Give the model a name.");
    if (const QString bad = modelname::problem(r.modelName); !bad.isEmpty())
        return bad + QLatin1Char('.');
    if (m_existingName && m_existingName(r.modelName))
        return tr("A model called “%1” is already in the vault. Choose another name.")
            .arg(r.modelName);
    if (r.providerIds.isEmpty())
        return tr("Choose at least one provider.");
    if (m_wanted.isShards() && r.providerIds.size() < m_wanted.providersNeeded())
        return tr("%1 data + %2 parity shards need %3 providers, one for each shard of a chunk, "
                  "but %4 selected.")
            .arg(m_wanted.dataShards)
            .arg(m_wanted.parityShards)
            .arg(m_wanted.providersNeeded())
            .arg(r.providerIds.size() == 1 ? tr("only one is")
                                           : tr("only %1 are").arg(r.providerIds.size()));
    if (r.replicas > r.providerIds.size())
        return tr("%1 replicas of each chunk need at least %1 providers, but %2 selected.")
            .arg(r.replicas)
            .arg(r.providerIds.size() == 1 ? tr("only one is")
                                           : tr("only %1 are").arg(r.providerIds.size()));
    return {};
}

void FloatDialog::showError(const QString& text)
{
    m_error->setText(text);
    m_error->setAccessibleDescription(text);
    m_error->show();
    growToFit(this); // the message takes its lines, not the provider list's
}

QString FloatDialog::errorText() const
{
    return m_error->isVisible() || !m_error->isHidden() ? m_error->text() : QString();
}

void FloatDialog::accept()
{
    const QString problem = validate();
    if (!problem.isEmpty()) {
        showError(problem);
        return;
    }
    QStringList names;
    // A broken provider left unchecked was not the user's choice: once it works, it is chosen.
    for (QCheckBox* box : m_providerBoxes)
        if (!box->isChecked() && !box->property(ProviderBrokenName).toBool())
            names.append(box->property(ProviderNameName).toString());
    QSettings().setValue(UncheckedProvidersKey, names);
    QDialog::accept();
}

} // namespace mf::ui
