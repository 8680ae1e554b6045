#pragma once

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace mf::ui {

class MountSwitch;

// The Settings row of "Show floating models in the file manager": the switch, the folder
// (changeable while it is off), why it is not mounted when it cannot be, and "Open in file
// manager" once mounted. It acts at once, as the tray's switch does.
class MountBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MountBox)

public:
    MountBox(MountSwitch* mount, QWidget* parent = nullptr);

    QCheckBox* checkBox() const { return m_check; }
    QLineEdit* folderEdit() const { return m_folder; }
    QLabel* problemLabel() const { return m_problem; }

private:
    void update();

    MountSwitch* m_mount;
    QCheckBox* m_check;
    QLineEdit* m_folder;
    QPushButton* m_open;
    QLabel* m_problem;
};

} // namespace mf::ui
