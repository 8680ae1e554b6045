#pragma once

#include "appstores/appcopies.h"

#include <QDialog>
#include <QMessageBox>
#include <QPointer>

class QLabel;

class QPushButton;

namespace mf {
class Engine;
} // namespace mf

namespace mf::ui {

// "Free disk used by the apps' copies…" of a model's menu: looks (off the GUI thread) for the
// copies Ollama, LM Studio, the Hugging Face cache and llama.cpp keep of the model's files,
// lists them, and frees them as `use MODEL --free` does: replaced by the vault's one shared
// copy, or removed from the apps outright ("Keep it floating only…", asked first). The engine
// refuses either until every copy the vault wants is verified; the result is told by
// AppUseActions' notice like any use in an app.
class FreeCopiesDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FreeCopiesDialog)

public:
    FreeCopiesDialog(Engine* engine, qint64 modelId, QWidget* parent = nullptr);

    QLabel* message() const { return m_message; }
    QPushButton* replaceButton() const { return m_replace; }
    QPushButton* floatingOnlyButton() const { return m_floatingOnly; }
    QMessageBox* question() const { return m_question; }

Q_SIGNALS:
    void looked(int copies); // the look-up ended (tests)

private:
    void showCopies(const QString& model, const QList<appstores::AppCopy>& copies);

    Engine* m_engine;
    qint64 m_modelId;
    QString m_model;
    QList<appstores::AppCopy> m_copies;
    QLabel* m_message;
    QPushButton* m_replace;
    QPushButton* m_floatingOnly;
    QPointer<QMessageBox> m_question;
};

} // namespace mf::ui
