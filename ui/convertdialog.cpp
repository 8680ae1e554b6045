#include "convertdialog.h"

#include "engine/engine.h"
#include "redundancybox.h"
#include "requests/convertrequest.h"
#include "vault/vault.h"
#include "vaultreader.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

namespace {

// What a model kept as `now` is offered first: the other kind. Shards as the vault's scheme
// says when it is shards, otherwise as many as the providers hold with one or two lost (4+2
// on six providers, 2+1 on three); copies as many as health wants. Shards the providers that
// take new objects are now too few for (one of six being removed at 4+2): the one that fits
// them with the same parity (3+2 on the five), which survives the same losses.
RedundancyScheme offered(const RedundancyScheme& now, const RedundancyScheme& vault,
                         int wantedCopies, int providers)
{
    if (const auto fitting = now.fittingOn(providers))
        return *fitting;
    if (now.isShards())
        return RedundancyScheme::makeCopies(wantedCopies);
    if (vault.isShards())
        return vault;
    if (providers >= 6)
        return RedundancyScheme::makeShards(4, 2);
    return RedundancyScheme::makeShards(qMax(1, providers - 1), 1);
}

} // namespace

ConvertDialog::ConvertDialog(Engine* engine, VaultReader& reader, qint64 modelId, QWidget* parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_modelId(modelId)
    , m_refusal(new QLabel(this))
{
    setWindowTitle(tr("Change redundancy"));
    setMinimumWidth(fontMetrics().averageCharWidth() * 60);
    Registry& registry = reader.registry();
    const auto model = registry.modelRows().model(modelId);
    m_name = model ? model->name : tr("model %1").arg(modelId);
    m_now = ConvertRequest::schemeOf(registry, modelId);
    m_wantedCopies = registry.healthRows().wantedCopies();
    m_providers = Vault::providersTakingCopiesIn(registry);

    auto* intro = new QLabel(
        tr("“%1” is kept as %2: %3.").arg(m_name, m_now.toString(), m_now.describe(m_providers)),
        this);
    intro->setObjectName(QStringLiteral("convertNow"));
    intro->setWordWrap(true);
    auto* how = new QLabel(tr("Keep it as:"), this);
    m_choice = new RedundancyBox(
        offered(m_now, Vault::redundancyIn(registry), m_wantedCopies, m_providers), m_providers,
        this);
    m_choice->setForOneModel();
    how->setBuddy(m_choice);
    auto* note = new QLabel(tr("The new copies or shards are stored first; what the old way "
                               "stored is deleted only once every chunk is whole the new way. "
                               "The model stays readable all along, and a conversion stopped "
                               "half-way goes on where it was."),
                            this);
    note->setWordWrap(true);
    m_refusal->setObjectName(QStringLiteral("convertRefusal"));
    m_refusal->setWordWrap(true);
    m_refusal->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_convert = buttons->addButton(tr("&Convert"), QDialogButtonBox::AcceptRole);
    m_convert->setObjectName(QStringLiteral("convertButton"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConvertDialog::convert);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_choice, &RedundancyBox::changed, this, &ConvertDialog::check);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(how);
    layout->addWidget(m_choice);
    layout->addWidget(note);
    layout->addWidget(m_refusal);
    layout->addStretch();
    layout->addWidget(buttons);
    check();
}

void ConvertDialog::check()
{
    const RedundancyScheme chosen = m_choice->scheme();
    const QString why =
        ConvertRequest::refusal(m_name, m_now, chosen, m_wantedCopies, m_providers).why;
    const bool same = m_now == chosen;
    m_refusal->setText(same ? tr("The model is kept this way already.") : why);
    // A scheme the providers cannot hold is said under the choice already, in the same words.
    m_refusal->setVisible(same || (!why.isEmpty() && m_choice->refusal().isEmpty()));
    m_convert->setEnabled(!same && why.isEmpty() && m_engine);
}

void ConvertDialog::convert()
{
    check();
    if (!m_convert->isEnabled())
        return;
    m_engine->convertModel(m_modelId, m_choice->scheme());
    accept();
}

} // namespace mf::ui
