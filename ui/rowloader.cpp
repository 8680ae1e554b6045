#include "rowloader.h"

#include <QDebug>

namespace mf::ui {

class RowLoader::Worker final : public QObject
{
    Q_OBJECT

public:
    Worker(const QString& directory, const std::atomic_bool* stop)
        : m_directory(directory)
        , m_stop(stop)
    {}

    void loadPage(quint64 ticket, qint64 afterId, int limit, const QString& search)
    {
        QList<ModelRow> page;
        QList<qint64> ids;
        if (VaultReader* reader = this->reader()) {
            const QList<ModelRecord> models = reader->catalog().modelPage(afterId, limit, search);
            for (const ModelRecord& m : models) {
                page.append(ModelRow::pending(m));
                ids.append(m.id);
            }
        }
        // A vault that cannot be read has no more pages: the view stops asking.
        Q_EMIT pageLoaded(ticket, page, page.size() < limit);
        load(ids);
    }

    void load(const QList<qint64>& ids)
    {
        if (ids.isEmpty())
            return;
        QList<ModelRow> rows;
        QList<qint64> gone;
        if (VaultReader* reader = this->reader()) {
            for (qint64 id : ids) {
                if (m_stop->load())
                    return; // closing: nobody waits for these rows
                if (auto row = reader->row(id))
                    rows.append(std::move(*row));
                else
                    gone.append(id);
            }
        }
        Q_EMIT loaded(rows, gone);
    }
    void refreshProviders()
    {
        if (m_reader)
            m_reader->refreshProviders();
    }

Q_SIGNALS:
    void pageLoaded(quint64 ticket, const QList<mf::ui::ModelRow>& rows, bool last);
    void loaded(const QList<mf::ui::ModelRow>& rows, const QList<qint64>& gone);

private:
    // Opened on this thread, on first use: a connection belongs to the thread that opened it.
    VaultReader* reader()
    {
        if (!m_reader && !m_failed) {
            QString error;
            m_reader = VaultReader::open(m_directory, &error);
            if (!m_reader) {
                m_failed = true;
                qWarning("Cannot read the vault for the model list: %s", qPrintable(error));
            }
        }
        return m_reader.get();
    }

    QString m_directory;
    const std::atomic_bool* m_stop;
    std::unique_ptr<VaultReader> m_reader;
    bool m_failed = false;
};

RowLoader::RowLoader(const QString& vaultDirectory, QObject* parent)
    : QObject(parent)
    , m_worker(new Worker(vaultDirectory, &m_stop))
{
    qRegisterMetaType<mf::ui::ModelRow>();
    qRegisterMetaType<QList<mf::ui::ModelRow>>();
    m_thread.setObjectName(QStringLiteral("modelfloat-rows"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &Worker::pageLoaded, this, &RowLoader::pageReady);
    connect(m_worker, &Worker::loaded, this, &RowLoader::rowsReady);
    m_thread.start(QThread::LowPriority);
}

RowLoader::~RowLoader()
{
    m_stop = true; // the row being computed is the last one
    m_thread.quit();
    m_thread.wait();
}

void RowLoader::requestPage(quint64 ticket, qint64 afterId, int limit, const QString& search)
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker, ticket, afterId, limit, search] {
        w->loadPage(ticket, afterId, limit, search);
    });
}

void RowLoader::request(const QList<qint64>& modelIds)
{
    if (modelIds.isEmpty())
        return;
    QMetaObject::invokeMethod(m_worker, [w = m_worker, modelIds] { w->load(modelIds); });
}

void RowLoader::dispose(QList<ModelRow>&& rows)
{
    // Moved, not copied, into the call: the GUI thread keeps no reference, so the last one goes
    // with the call, on the worker's thread (or wherever the call is dropped, should the thread
    // have ended).
    QMetaObject::invokeMethod(m_worker, [gone = std::move(rows)]() mutable { gone.clear(); });
}

void RowLoader::refreshProviders()
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->refreshProviders(); });
}

} // namespace mf::ui

#include "rowloader.moc"
