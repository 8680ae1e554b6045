#pragma once

#include <QStringList>
#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QVBoxLayout;

namespace mf {
class Engine;
}

namespace mf::ui {

// Settings › Watched folders (docs/watch.md): the folders whose new and changed models float by
// themselves while the app is open, one checked box each, and unchecked ones offering the
// folders that exist among the usual places models are kept (LM Studio's models folder, ~/models,
// the Hugging Face cache). Check boxes like the dialog's other settings, not a list's check
// marks: Fusion draws those in the list's base colour on that same base, invisible on a dark
// theme. Checking or unchecking a row, or "Add folder…", changes the vault's
// list at once through the Engine; nothing here reads a folder's contents.
class WatchedFoldersBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WatchedFoldersBox)

public:
    explicit WatchedFoldersBox(Engine* engine, QWidget* parent = nullptr);

    // The folders offered by default that exist, for the user's `home` and environment.
    static QStringList suggestedFolders(const QString& home);

    // The folders' check boxes, in the order shown.
    QList<QCheckBox*> rows() const { return m_rows; }
    QPushButton* addButton() const { return m_add; }
    // What "Add folder…" does once a folder was chosen.
    void addFolder(const QString& path);

private:
    void show(const QStringList& watched, const QString& error);
    void onClicked(const QString& path, bool checked);

    Engine* m_engine;
    QVBoxLayout* m_rowsLayout;
    QList<QCheckBox*> m_rows;
    QPushButton* m_add;
    QLabel* m_status;
};

} // namespace mf::ui
