#pragma once

#include <QObject>
#include <QPointer>

class QMessageBox;
class QWidget;

namespace mf {
class Engine;
}

namespace mf::ui {

// Quitting while transfers run asks first: they stop now and resume where they stopped at the
// next start. The question is window-modal and opened asynchronously (never exec()); confirmed()
// follows the user's yes, or comes at once when nothing runs.
class QuitQuestion final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QuitQuestion)

public:
    QuitQuestion(Engine* engine, QWidget* window);

    void ask();
    // The open question, if any (tests answer it).
    QMessageBox* pending() const { return m_box; }

Q_SIGNALS:
    void confirmed();

private:
    Engine* m_engine;
    QWidget* m_window;
    QPointer<QMessageBox> m_box; // clears itself when the question closes
};

} // namespace mf::ui
