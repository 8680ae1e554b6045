#pragma once

#include "registry/records.h"

#include <QColor>
#include <QHash>
#include <QWidget>

namespace mf::ui {

class VaultReader;

// How safe one chunk is, from its placements and the replicas the vault wants.
enum class ChunkHealth {
    Healthy,         // stored on at least as many providers as wanted
    UnderReplicated, // stored, but on fewer
    Missing,         // no good copy anywhere
    Corrupt,         // no good copy, and a provider holds a damaged one
    Pending,         // not stored yet (a float in progress)
};

// What the chunk map draws: every file's manifest and every chunk's placements.
struct ChunkMapData
{
    struct File
    {
        QString path;
        qint64 size = 0;
        QList<FileChunk> chunks;
    };
    QList<File> files;
    QHash<QString, QList<Placement>> placements; // by CID
    QHash<qint64, QString> providerNames;
    int wantedReplicas = 1;

    ChunkHealth health(const QString& cid) const;
    static ChunkMapData load(VaultReader& reader, qint64 modelId);
};

// One bar per file; every chunk is a segment as wide as its share of the file, in the colour
// of its health, with a legend that counts them and a tooltip per chunk. Chunks narrower than
// a pixel share it, and the worst of them decides its colour, so one bad chunk never
// disappears in a big file.
class ChunkMapWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChunkMapWidget)

public:
    explicit ChunkMapWidget(QWidget* parent = nullptr);
    void setData(ChunkMapData data);
    const ChunkMapData& data() const { return m_data; }

    static QColor color(ChunkHealth health, const QPalette& palette);
    static QString label(ChunkHealth health);
    // The tooltip text of the chunk under `pos`, empty when there is none (tests use it).
    QString toolTipAt(const QPoint& pos) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Hit
    {
        int file = -1;
        int chunk = -1;
    };
    Hit hitAt(const QPoint& pos) const;
    QRect barRect(int file) const;
    int legendHeight() const;
    int rowHeight() const;

    ChunkMapData m_data;
    QHash<QString, ChunkHealth> m_health; // by CID, computed once per setData
    int m_counts[5] = {};
};

} // namespace mf::ui
