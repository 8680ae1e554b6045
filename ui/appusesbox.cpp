#include "appusesbox.h"

#include "util/units.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

AppUsesBox::AppUsesBox(QWidget* parent)
    : QWidget(parent)
    , m_rows(new QVBoxLayout)
    , m_saved(new QLabel(this))
{
    setAccessibleName(tr("Apps using the model"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>In use by</b>"), this));
    layout->addLayout(m_rows);
    m_saved->setWordWrap(true);
    layout->addWidget(m_saved);
    hide();
}

void AppUsesBox::setUses(const QList<AppUses::Use>& uses)
{
    while (QLayoutItem* item = m_rows->takeAt(0)) {
        if (QWidget* w = item->widget())
            w->deleteLater();
        delete item;
    }
    qint64 saved = 0;
    for (const AppUses::Use& use : uses) {
        saved += use.bytesSaved;
        auto* row = new QWidget(this);
        auto* line = new QHBoxLayout(row);
        line->setContentsMargins(0, 0, 0, 0);
        auto* label = new QLabel(tr("%1: %2 (%3)").arg(use.appName, use.label, use.method), row);
        label->setTextFormat(Qt::PlainText); // names come from the vault and the apps
        label->setToolTip(use.root);
        line->addWidget(label, 1);
        auto* remove = new QPushButton(tr("Remove from %1").arg(use.appName), row);
        remove->setToolTip(
            tr("Take the model out of %1's folder again; the vault keeps it").arg(use.appName));
        connect(remove, &QPushButton::clicked, this,
                [this, key = use.app] { Q_EMIT removeRequested(key); });
        line->addWidget(remove);
        m_rows->addWidget(row);
    }
    m_saved->setText(tr("Sharing one copy saved %1 of disk.").arg(units::formatBytes(saved)));
    setVisible(!uses.isEmpty());
}

QString AppUsesBox::text() const
{
    QStringList lines;
    for (int i = 0; i < m_rows->count(); ++i)
        if (QWidget* row = m_rows->itemAt(i)->widget())
            for (const QLabel* label : row->findChildren<QLabel*>())
                lines.append(label->text());
    lines.append(m_saved->text());
    return lines.join(QLatin1Char('\n'));
}

} // namespace mf::ui
