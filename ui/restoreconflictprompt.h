#pragma once

#include "transfer/existingfile.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

class QMessageBox;
class QWidget;

namespace mf {
class Engine;
}

namespace mf::ui {

// Answers the Engine's restoreConflict(): for each file already at a restore's destination it
// asks, window-modal and without a nested event loop, whether to replace it, keep both (the
// restored file gets a new name) or skip it, with "do the same for the others" when more files
// wait; then the restore goes on with the answers (Engine::answerRestoreConflict()). Closing
// the question cancels that restore; nothing was written.
class RestoreConflictPrompt final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestoreConflictPrompt)

public:
    RestoreConflictPrompt(Engine* engine, QWidget* window);

    // The open question, if any (tests answer it by its buttons' object names: "replace",
    // "keepBoth", "skip", "cancel", and its check box).
    QMessageBox* pendingQuestion() const { return m_question; }

private:
    struct Pending
    {
        qint64 transferId = 0;
        QString folder;
        QStringList files; // paths in the model
        ExistingFileAnswers answers;
    };

    void onConflict(qint64 transferId, const QString& folder, const QStringList& files);
    void askNext();
    void onAnswered(QMessageBox* box);

    Engine* m_engine;
    QWidget* m_window;
    QList<Pending> m_pending; // the first is the one being asked about
    QPointer<QMessageBox> m_question;
};

} // namespace mf::ui
