#include "restoreconflictprompt.h"

#include "engine/engine.h"
#include "util/units.h"

#include <QCheckBox>
#include <QDir>
#include <QMessageBox>
#include <QPushButton>

namespace mf::ui {

RestoreConflictPrompt::RestoreConflictPrompt(Engine* engine, QWidget* window)
    : QObject(window)
    , m_engine(engine)
    , m_window(window)
{
    connect(engine, &Engine::restoreConflict, this, &RestoreConflictPrompt::onConflict);
}

void RestoreConflictPrompt::onConflict(qint64 transferId, const QString& folder,
                                       const QStringList& files)
{
    if (files.isEmpty())
        return;
    for (const Pending& p : std::as_const(m_pending))
        if (p.transferId == transferId)
            return; // already being asked about
    m_pending.append({transferId, folder, files, {}});
    if (!m_question)
        askNext();
}

void RestoreConflictPrompt::askNext()
{
    if (m_pending.isEmpty())
        return;
    const Pending& p = m_pending.first();
    const QString file = p.files.at(p.answers.size());
    const qsizetype others = p.files.size() - p.answers.size() - 1;

    auto* box = new QMessageBox(
        QMessageBox::Question, tr("File already exists"),
        tr("“%1” is already in “%2”.")
            .arg(QDir::toNativeSeparators(file), QDir::toNativeSeparators(p.folder)),
        QMessageBox::NoButton, m_window);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(tr("Replace it with the restored file, keep both (the restored file "
                               "gets a new name beside it), or skip this file? Nothing has been "
                               "written yet."));
    box->addButton(tr("Replace"), QMessageBox::DestructiveRole)
        ->setObjectName(QStringLiteral("replace"));
    QPushButton* keepBoth = box->addButton(tr("Keep both"), QMessageBox::AcceptRole);
    keepBoth->setObjectName(QStringLiteral("keepBoth"));
    box->addButton(tr("Skip"), QMessageBox::ActionRole)->setObjectName(QStringLiteral("skip"));
    QPushButton* cancel = box->addButton(tr("Cancel restore"), QMessageBox::RejectRole);
    cancel->setObjectName(QStringLiteral("cancel"));
    // Keeping both loses nothing: it is what Enter does. Escape and closing cancel.
    box->setDefaultButton(keepBoth);
    box->setEscapeButton(cancel);
    if (others > 0)
        box->setCheckBox(new QCheckBox(
            units::counted(others, tr("Do the same for the 1 other file already there"),
                           tr("Do the same for the other %1 files already there")),
            box));
    box->setWindowModality(Qt::WindowModal);
    connect(box, &QDialog::finished, this, [this, box] { onAnswered(box); });
    m_question = box;
    box->open();
}

void RestoreConflictPrompt::onAnswered(QMessageBox* box)
{
    m_question = nullptr; // the box deletes itself once closed
    if (m_pending.isEmpty())
        return;
    Pending& p = m_pending.first();
    const QString name = box->clickedButton() ? box->clickedButton()->objectName() : QString();
    std::optional<ExistingFile> answer;
    if (name == QLatin1String("replace"))
        answer = ExistingFile::Replace;
    else if (name == QLatin1String("keepBoth"))
        answer = ExistingFile::KeepBoth;
    else if (name == QLatin1String("skip"))
        answer = ExistingFile::Skip;
    if (!answer) {
        m_engine->cancel(p.transferId);
        m_pending.removeFirst();
        askNext();
        return;
    }
    const bool forAll = box->checkBox() && box->checkBox()->isChecked();
    do
        p.answers.insert(p.files.at(p.answers.size()), *answer);
    while (forAll && p.answers.size() < p.files.size());
    if (p.answers.size() == p.files.size()) {
        m_engine->answerRestoreConflict(p.transferId, p.answers);
        m_pending.removeFirst();
    }
    askNext();
}

} // namespace mf::ui
