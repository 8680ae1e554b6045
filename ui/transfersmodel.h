#pragma once

#include "transfer/transferinfo.h"

#include <QAbstractItemModel>
#include <QSet>
#include <QTimer>

namespace mf {
class Engine;
}

namespace mf::ui {

// The Engine's transfers, newest last, kept current from the Engine's signals one row at a time
// (transferChanged repaints one row, never resets the model). A float of several files has a
// child row per file with its own progress.
class TransfersModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransfersModel)

public:
    enum Column { TitleColumn, ProgressColumn, StateColumn, ColumnCount };
    enum Role {
        TransferIdRole = Qt::UserRole + 1,
        StateRole,        // TransferInfo::State as int
        PermilleRole,     // 0..1000, or -1 when the size is unknown
        ProgressTextRole, // "1.2 GiB of 4.0 GiB · 210 MB/s · 0:42 left"
        WarningsRole      // QStringList: what went wrong on the way, even when it succeeded
    };

    explicit TransfersModel(Engine* engine, QObject* parent = nullptr);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The transfer of a top-level row.
    const TransferInfo* transfer(int row) const;
    // The transfer a row shows: its own, or its parent's for a file's row (null: none).
    const TransferInfo* transferAt(const QModelIndex& index) const;
    int rowOf(qint64 id) const;

    // The whole queue's progress, for the title, status bar and tray: bytes done of bytes to
    // do over transfers that are queued, running or paused (-1 permille when there are none).
    // `asking`: those of the paused that wait for the answer to a question (a restore that met
    // files already at its destination), which Resume all must leave to that answer.
    struct Overall
    {
        int running = 0, queued = 0, paused = 0, failed = 0, asking = 0;
        qint64 doneBytes = 0, totalBytes = 0;
        double bytesPerSecond = 0;
        int permille() const;
    };
    Overall overall() const;
    // The rates of the running transfers now, by direction: floats, imports, repairs and drains
    // send to providers; restores, verifies, materializations and scrubs read from them.
    struct Rates
    {
        double upload = 0, download = 0;
    };
    Rates rates() const;
    static bool sends(TransferInfo::Kind kind);
    static QString progressText(const TransferInfo& info);
    // A finished transfer's figures: "2.00 MiB · finished 14:05 after 0:03 · 682.7 KiB/s on
    // average · 1.00 MiB already stored".
    static QString historyText(const TransferInfo& info);
    // "Done", or "Done · 2 warnings".
    static QString stateText(const TransferInfo& info);

    // Also the slots the Engine's signals arrive at (public for tests that feed a model).
    void add(const mf::TransferInfo& info);
    void change(const mf::TransferInfo& info);
    void remove(qint64 id);

Q_SIGNALS:
    void overallChanged();

private:
    QVariant fileData(const TransferInfo& t, const TransferFileProgress& f, int column,
                      int role) const;

    QList<TransferInfo> m_rows; // in id order
    QSet<qint64> m_asking;      // paused until a question about them is answered
    QTimer m_countdown;         // ticks while a row waits for a retry
};

} // namespace mf::ui
