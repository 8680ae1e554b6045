#pragma once

#include <QWidget>

class QPushButton;

namespace mf::ui {

// What an empty vault shows instead of an empty table: what to do, and a button that does it.
class EmptyState final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmptyState)

public:
    explicit EmptyState(QWidget* parent = nullptr);
    QPushButton* chooseFilesButton() const { return m_files; }
    QPushButton* connectStorageButton() const { return m_connect; }

Q_SIGNALS:
    void chooseFilesRequested();
    void chooseFolderRequested();
    // Storage another computer filled: its models come back (the Providers page attaches it).
    void connectStorageRequested();

private:
    QPushButton* m_files = nullptr;
    QPushButton* m_folder = nullptr;
    QPushButton* m_connect = nullptr;
};

} // namespace mf::ui
