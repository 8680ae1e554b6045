#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;

namespace mf {
class Engine;
}

namespace mf::ui {

// Settings › Recovery key: the key that lets the user's other computers read and sign this
// vault's catalog (docs/catalog.md, "Who may write"). "Show" reveals it to copy or write down;
// "Use a key from another computer…" takes the one another computer shows, so this computer
// joins that store. Every step goes through the Engine; nothing here waits.
class RecoveryKeyBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecoveryKeyBox)

public:
    explicit RecoveryKeyBox(Engine* engine, QWidget* parent = nullptr);

private:
    void shown(const QString& recoveryText, const QString& error);
    void imported(const QString& error);
    void say(const QString& text, bool problem);

    Engine* m_engine;
    QLineEdit* m_key;
    QPushButton* m_show;
    QPushButton* m_copy;
    QPushButton* m_useOther;
    QLineEdit* m_input;
    QPushButton* m_useThis;
    QLabel* m_status;
};

} // namespace mf::ui
