#include "quitquestion.h"

#include "engine/engine.h"

#include <QMessageBox>
#include <QPushButton>
#include <QWidget>

namespace mf::ui {

QuitQuestion::QuitQuestion(Engine* engine, QWidget* window)
    : QObject(window)
    , m_engine(engine)
    , m_window(window)
{}

void QuitQuestion::ask()
{
    if (!m_engine || !m_engine->isBusy()) {
        Q_EMIT confirmed();
        return;
    }
    if (m_box) {
        m_box->raise();
        return;
    }
    m_box =
        new QMessageBox(QMessageBox::Question, tr("Quit ModelFloat?"),
                        tr("Transfers are running. Quit anyway?"), QMessageBox::NoButton, m_window);
    m_box->setInformativeText(tr("They stop now and resume where they stopped the next time "
                                 "ModelFloat starts; nothing already stored is sent again."));
    QPushButton* quit = m_box->addButton(tr("Quit"), QMessageBox::AcceptRole);
    // Enter or Escape keeps the work running: quitting is the choice that must be made.
    m_box->setDefaultButton(m_box->addButton(tr("Keep running"), QMessageBox::RejectRole));
    m_box->setAttribute(Qt::WA_DeleteOnClose);
    m_box->setWindowModality(Qt::WindowModal);
    connect(m_box, &QMessageBox::buttonClicked, this, [this, quit](auto* button) {
        if (button == quit)
            Q_EMIT confirmed();
    });
    m_box->open();
}

} // namespace mf::ui
