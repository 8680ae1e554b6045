#pragma once

#include "vaultreader.h"

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QThread>

#include <atomic>

namespace mf::ui {

// Reads the browser's pages and computes its ModelRows on a thread of its own, with its own
// registry connection. A row sums a model's chunks and placements; a page of models with half a
// million chunks between them takes far longer than a frame, and so can a search that matches
// few of 10,000 models (it reads every model's files). The GUI thread never waits for either: it
// asks, goes on drawing, and takes the answer when pageReady() or rowsReady() arrives (queued).
class RowLoader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RowLoader)

public:
    explicit RowLoader(const QString& vaultDirectory, QObject* parent = nullptr);
    ~RowLoader() override; // waits for the one row being computed, if any

    // Up to `limit` models with an id above `afterId` that match `search`, as
    // CatalogQueries::modelPage() reads them: one pageReady() with the page's rows holding only
    // their model record (`last`: no model lies beyond), then one rowsReady() with their sums.
    // `ticket` comes back with the page, so that a page asked before a new search is told apart.
    void requestPage(quint64 ticket, qint64 afterId, int limit, const QString& search);
    // Rows of these models, in one rowsReady() per call (models since removed are in `gone`).
    void request(const QList<qint64>& modelIds);
    // Provider names changed: rows computed after this use the new ones.
    void refreshProviders();
    // Frees rows on the loader's thread. Ten thousand rows hold some hundred thousand strings
    // and lists, and freeing them took the GUI thread 14 ms on a new search.
    void dispose(QList<ModelRow>&& rows);

Q_SIGNALS:
    void pageReady(quint64 ticket, const QList<mf::ui::ModelRow>& rows, bool last);
    void rowsReady(const QList<mf::ui::ModelRow>& rows, const QList<qint64>& gone);

private:
    class Worker;
    std::atomic_bool m_stop = false;
    QThread m_thread;
    Worker* m_worker; // lives on m_thread, deleted when it ends
};

} // namespace mf::ui

Q_DECLARE_METATYPE(mf::ui::ModelRow)
