#pragma once

#include <QWidget>

class QAction;
class QLabel;
class QFormLayout;
class QTreeWidget;

namespace mf::ui {

class AppUsesBox;
class ChunkMapWidget;
class VaultReader;

// The details pane of the browser: the selected model's summary, its files with sizes and
// SHA-256, the format metadata the floater found, and the chunk map.
class ModelDetails final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelDetails)

public:
    explicit ModelDetails(QWidget* parent = nullptr);

    void setReader(VaultReader* reader);
    // Shows `modelId` (0: nothing); `selectedCount` > 1 says that more are selected.
    void showModel(qint64 modelId, int selectedCount = 1);
    qint64 modelId() const { return m_modelId; }
    // Reads the shown model again (it changed).
    void refresh();
    // Buttons for a model a float left unfinished, shown with such a model while Resume can
    // act on it (the browser's actions, which know what the selection allows).
    void setIncompleteActions(QAction* resume, QAction* discard);
    QWidget* incompleteBar() const { return m_incompleteBar; }

    ChunkMapWidget* chunkMap() const { return m_chunkMap; }
    QTreeWidget* fileList() const { return m_files; }
    // The format metadata rows ("Architecture: llama", or why the header could not be read).
    QWidget* formatBox() const { return m_metadataBox; }
    // The summary in words (health, how fresh it is, the source).
    QString summaryText() const;
    // Where the model is in use (`use`), with "Remove from <app>".
    AppUsesBox* appUses() const { return m_appUses; }

Q_SIGNALS:
    void removeFromAppRequested(qint64 modelId, const QString& appKey);

private:
    void clearMetadata();

    VaultReader* m_reader = nullptr;
    qint64 m_modelId = 0;
    int m_selectedCount = 0;
    QLabel* m_title = nullptr;
    QLabel* m_summary = nullptr;
    QWidget* m_incompleteBar = nullptr;
    AppUsesBox* m_appUses = nullptr;
    QAction* m_resume = nullptr;
    bool m_incomplete = false; // the model shown is unfinished
    // Shown for an unfinished model that nothing floats now (Resume can act on it).
    void updateIncompleteBar();
    QWidget* m_metadataBox = nullptr;
    QFormLayout* m_metadata = nullptr;
    QTreeWidget* m_files = nullptr;
    ChunkMapWidget* m_chunkMap = nullptr;
    QWidget* m_content = nullptr;
    QWidget* m_scroll = nullptr;
    QLabel* m_placeholder = nullptr;
};

} // namespace mf::ui
