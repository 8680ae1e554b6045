#include "freecopiesdialog.h"

#include "appcopiesfinder.h"
#include "engine/engine.h"
#include "freecopiesprompt.h"
#include "growtofit.h"
#include "roomfortext.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

FreeCopiesDialog::FreeCopiesDialog(Engine* engine, qint64 modelId, QWidget* parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_modelId(modelId)
    , m_message(new QLabel(tr("Looking in the folders of Ollama, LM Studio, the Hugging Face "
                              "cache and llama.cpp…"),
                           this))
{
    setWindowTitle(tr("Free disk used by the apps' copies"));
    setAttribute(Qt::WA_DeleteOnClose);
    auto* layout = new QVBoxLayout(this);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText); // names and paths are not markup
    // Room for a list of apps and paths to wrap into lines that read as lines.
    m_message->setMinimumWidth(m_message->fontMetrics().averageCharWidth() * 50);
    makeRoomForTitle(this);
    layout->addWidget(m_message);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_replace = buttons->addButton(tr("Free"), QDialogButtonBox::AcceptRole);
    m_floatingOnly = buttons->addButton(tr("Keep it floating only…"), QDialogButtonBox::ActionRole);
    m_floatingOnly->setToolTip(tr("Remove the apps' copies: they no longer have the model, the "
                                  "vault keeps it"));
    m_replace->hide();
    m_floatingOnly->hide();
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_replace, &QPushButton::clicked, this, [this] {
        if (m_engine)
            m_engine->freeAppCopies(m_modelId, false);
        accept();
    });
    connect(m_floatingOnly, &QPushButton::clicked, this, [this] {
        if (m_question)
            return;
        m_question = askKeepFloatingOnly(this, m_model, m_copies, [this] {
            if (m_engine)
                m_engine->freeAppCopies(m_modelId, true);
            accept();
        });
    });
    if (m_engine)
        findAppCopies(
            this, m_engine->vaultDirectory(), modelId,
            [this](const QString& model, const auto& copies) { showCopies(model, copies); });
}

void FreeCopiesDialog::showCopies(const QString& model, const QList<appstores::AppCopy>& copies)
{
    m_model = model;
    m_copies = copies;
    if (copies.isEmpty()) {
        m_message->setText(
            tr("No app keeps a copy of “%1” of its own: nothing to free.").arg(model));
    } else {
        const QString replace = replaceButtonText(copies);
        m_message->setText(
            tr("%1\n\nIt is freed only once every copy the vault wants is verified (Verify it "
               "first). A copy LM Studio keeps is read first and freed only if its SHA-256 is "
               "the model's.")
                .arg(appCopiesText(copies)));
        m_replace->setText(replace);
        m_replace->setVisible(!replace.isEmpty());
        m_floatingOnly->show();
    }
    // The list replaces the one line the dialog opened with: room for all of it.
    growToFit(this);
    Q_EMIT looked(int(copies.size()));
}

} // namespace mf::ui
