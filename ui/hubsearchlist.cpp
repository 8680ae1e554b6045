#include "hubsearchlist.h"

#include "hub/hubsearch.h"
#include "util/units.h"

#include <QHeaderView>
#include <QLocale>

namespace mf::ui {

namespace {
enum Column { ModelColumn, DownloadsColumn, LikesColumn, QuantizationsColumn };
constexpr int RepoIdRole = Qt::UserRole + 1;
} // namespace

HubSearchList::HubSearchList(HubClient* client, QWidget* parent)
    : QTreeWidget(parent)
    , m_client(client)
{
    setHeaderLabels({tr("Model"), tr("Downloads"), tr("Likes"), tr("Quantizations")});
    setRootIsDecorated(false);
    setAccessibleName(tr("Models found on the Hub"));
    header()->setSectionResizeMode(ModelColumn, QHeaderView::Stretch);
    header()->setStretchLastSection(false);
    connect(this, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        Q_EMIT chosen(item->data(ModelColumn, RepoIdRole).toString());
    });
}

HubSearchList::~HubSearchList()
{
    cancel();
}

void HubSearchList::cancel()
{
    if (!m_job)
        return;
    m_job->disconnect(this);
    m_job->abort();
    m_job->deleteLater();
    m_job = nullptr;
}

void HubSearchList::search(const QString& query)
{
    cancel();
    Q_EMIT status(tr("Searching the Hub for “%1”…").arg(query.trimmed()), false);
    m_job = new HubSearchJob(m_client, query, 30, this);
    connect(m_job, &HubSearchJob::finished, this, &HubSearchList::onFinished);
    m_job->start();
}

void HubSearchList::onFinished()
{
    HubSearchJob* job = m_job;
    m_job = nullptr;
    if (!job)
        return;
    job->deleteLater();
    clear();
    if (!job->error().ok()) {
        Q_EMIT status(job->error().message, true);
        Q_EMIT searched();
        return;
    }
    const QLocale locale;
    for (const HubSearchResult& r : job->results()) {
        auto* item = new QTreeWidgetItem(this);
        item->setText(ModelColumn, r.gated ? tr("%1 (gated)").arg(r.id) : r.id);
        item->setData(ModelColumn, RepoIdRole, r.id);
        item->setText(DownloadsColumn, locale.toString(r.downloads));
        item->setText(LikesColumn, locale.toString(r.likes));
        item->setTextAlignment(DownloadsColumn, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(LikesColumn, Qt::AlignRight | Qt::AlignVCenter);
        QString offered = r.quantizations.join(QStringLiteral(", "));
        if (offered.isEmpty() && r.safetensors)
            offered = tr("safetensors");
        item->setText(QuantizationsColumn, offered);
        item->setToolTip(QuantizationsColumn, offered);
    }
    if (topLevelItemCount() > 0)
        setCurrentItem(topLevelItem(0));
    Q_EMIT status(
        job->results().isEmpty()
            ? tr("No model on the Hub matches “%1”.").arg(job->query())
            : units::counted(job->results().size(),
                             tr("1 model matches “%2”: choose it to see its variants."),
                             tr("%1 models match “%2”, most downloaded first: choose one to "
                                "see its variants."))
                  .replace(QLatin1String("%2"), job->query()),
        false);
    Q_EMIT searched();
}

} // namespace mf::ui
