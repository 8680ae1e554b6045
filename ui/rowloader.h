#pragma once

#include "vaultreader.h"

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QThread>

#include <atomic>

namespace mf::ui {

// Computes the browser's ModelRows on a thread of its own, with its own registry connection. A
// row sums a model's chunks and placements; a page of models with half a million chunks between
// them takes far longer than a frame, and the GUI thread never waits for it: it asks, goes on
// drawing, and takes the rows when rowsReady() arrives (queued).
class RowLoader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RowLoader)

public:
    explicit RowLoader(const QString& vaultDirectory, QObject* parent = nullptr);
    ~RowLoader() override; // waits for the one row being computed, if any

    // Rows of these models, in one rowsReady() per call (models since removed are in `gone`).
    void request(const QList<qint64>& modelIds);
    // Provider names changed: rows computed after this use the new ones.
    void refreshProviders();

Q_SIGNALS:
    void rowsReady(const QList<mf::ui::ModelRow>& rows, const QList<qint64>& gone);

private:
    class Worker;
    std::atomic_bool m_stop = false;
    QThread m_thread;
    Worker* m_worker; // lives on m_thread, deleted when it ends
};

} // namespace mf::ui

Q_DECLARE_METATYPE(mf::ui::ModelRow)
