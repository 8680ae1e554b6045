#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QListWidgetItem;
class QPushButton;

namespace mf {
class Engine;
}

namespace mf::ui {

// Settings › Watched folders (docs/watch.md): the folders whose new and changed models float by
// themselves while the app is open, one checked row each, and unchecked rows offering the
// folders that exist among the usual places models are kept (LM Studio's models folder, ~/models,
// the Hugging Face cache). Checking or unchecking a row, or "Add folder…", changes the vault's
// list at once through the Engine; nothing here reads a folder's contents.
class WatchedFoldersBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WatchedFoldersBox)

public:
    explicit WatchedFoldersBox(Engine* engine, QWidget* parent = nullptr);

    // The folders offered by default that exist, for the user's `home` and environment.
    static QStringList suggestedFolders(const QString& home);

    QListWidget* list() const { return m_list; }
    QPushButton* addButton() const { return m_add; }
    // What "Add folder…" does once a folder was chosen.
    void addFolder(const QString& path);

private:
    void show(const QStringList& watched, const QString& error);
    void onItemChanged(QListWidgetItem* item);

    Engine* m_engine;
    QListWidget* m_list;
    QPushButton* m_add;
    QLabel* m_status;
    bool m_filling = false;
};

} // namespace mf::ui
