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

    void load(const QList<qint64>& ids)
    {
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
    connect(m_worker, &Worker::loaded, this, &RowLoader::rowsReady);
    m_thread.start(QThread::LowPriority);
}

RowLoader::~RowLoader()
{
    m_stop = true; // the row being computed is the last one
    m_thread.quit();
    m_thread.wait();
}

void RowLoader::request(const QList<qint64>& modelIds)
{
    if (modelIds.isEmpty())
        return;
    QMetaObject::invokeMethod(m_worker, [w = m_worker, modelIds] { w->load(modelIds); });
}

void RowLoader::refreshProviders()
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->refreshProviders(); });
}

} // namespace mf::ui

#include "rowloader.moc"
