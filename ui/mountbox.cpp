#include "mountbox.h"

#include "mountswitch.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

MountBox::MountBox(MountSwitch* mount, QWidget* parent)
    : QWidget(parent)
    , m_mount(mount)
    , m_check(new QCheckBox(mount->toggleAction()->text(), this))
    , m_folder(new QLineEdit(mount->folder(), this))
    , m_open(new QPushButton(mount->openAction()->text(), this))
    , m_problem(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_check);
    auto* row = new QHBoxLayout;
    m_folder->setAccessibleName(tr("Folder to show the models in"));
    row->addWidget(m_folder, 1);
    row->addWidget(m_open);
    layout->addLayout(row);
    m_problem->setWordWrap(true);
    m_problem->setTextFormat(Qt::PlainText);
    layout->addWidget(m_problem);
    connect(m_check, &QCheckBox::clicked, this, [this](bool on) {
        if (on && !m_folder->text().trimmed().isEmpty())
            m_mount->setFolder(m_folder->text().trimmed());
        m_mount->setOn(on);
    });
    connect(m_open, &QPushButton::clicked, m_mount->openAction(), &QAction::trigger);
    connect(m_mount, &MountSwitch::changed, this, &MountBox::update);
    update();
}

void MountBox::update()
{
    m_check->setChecked(m_mount->toggleAction()->isChecked());
    m_folder->setEnabled(!m_check->isChecked());
    m_open->setEnabled(m_mount->isMounted());
    m_problem->setText(m_mount->problem());
    m_problem->setVisible(!m_mount->problem().isEmpty());
}

} // namespace mf::ui
