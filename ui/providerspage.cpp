#include "providerspage.h"

#include "engine/engine.h"
#include "icons.h"
#include "providerdialog.h"
#include "providers/providerfields.h"
#include "util/units.h"
#include "vaultreader.h"

#include <QAction>
#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QToolBar>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace mf::ui {

namespace {
enum Column {
    NameColumn,
    KindColumn,
    WhereColumn,
    UsageColumn,
    FreeColumn,
    HealthColumn,
    ColumnCount
};
constexpr int IdRole = Qt::UserRole + 1;
// Measurements come in bursts (several providersChanged in a row): one round of questions.
constexpr int MeasureDelayMs = 500;
} // namespace

ProvidersPage::ProvidersPage(Engine* engine, QWidget* parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_list(new QTreeWidget(this))
    , m_hint(new QLabel(this))
    , m_details(new QLabel(this))
    , m_countdown(new QTimer(this))
    , m_measureDelay(new QTimer(this))
{
    m_measureDelay->setSingleShot(true);
    m_measureDelay->setInterval(MeasureDelayMs);
    connect(m_measureDelay, &QTimer::timeout, this, [this] {
        if (m_reader)
            m_engine->measureProviders();
    });
    m_countdown->setInterval(1000);
    connect(m_countdown, &QTimer::timeout, this, &ProvidersPage::updateCountdowns);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_add = bar->addAction(icon(QStringLiteral("add")), tr("&Add provider…"));
    m_add->setToolTip(tr("Add a storage provider"));
    m_attach = bar->addAction(icon(QStringLiteral("add")), tr("A&ttach storage…"));
    m_attach->setToolTip(tr("Add storage that ModelFloat on another computer filled, and take "
                            "in the models kept there"));
    m_edit = bar->addAction(icon(QStringLiteral("edit")), tr("&Edit…"));
    m_remove = bar->addAction(icon(QStringLiteral("remove")), tr("&Remove…"));
    m_test = bar->addAction(icon(QStringLiteral("test")), tr("&Test connection"));
    m_signIn = bar->addAction(icon(QStringLiteral("edit")), tr("&Sign in…"));
    m_signIn->setToolTip(tr("Sign in to the provider again (after it ended the session, the "
                            "password changed or its access was removed)"));
    layout->addWidget(bar);

    m_list->setAccessibleName(tr("Providers"));
    m_list->setRootIsDecorated(false);
    m_list->setColumnCount(ColumnCount);
    m_list->setHeaderLabels(
        {tr("Provider"), tr("Kind"), tr("Where"), tr("Usage"), tr("Free"), tr("Health")});
    m_list->header()->resizeSection(NameColumn, 160);
    m_list->header()->resizeSection(KindColumn, 130);
    m_list->header()->resizeSection(WhereColumn, 220);
    m_list->header()->resizeSection(UsageColumn, 220);
    m_list->header()->resizeSection(FreeColumn, 110);
    m_list->setIconSize(QSize(24, 24));
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_list->addActions({m_edit, m_signIn, m_test, m_remove});
    layout->addWidget(m_list, 1);
    m_details->setWordWrap(true);
    m_details->setTextFormat(Qt::PlainText);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setAccessibleName(tr("Provider details"));
    m_details->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(m_details);
    m_hint->setWordWrap(true);
    m_hint->setForegroundRole(QPalette::PlaceholderText);
    m_hint->setText(tr("Every chunk is kept on as many providers as the vault's replication "
                       "factor asks for. Add providers to keep more copies in more places."));
    layout->addWidget(m_hint);

    connect(m_add, &QAction::triggered, this, &ProvidersPage::openAddDialog);
    connect(m_attach, &QAction::triggered, this, &ProvidersPage::openAttachDialog);
    connect(m_edit, &QAction::triggered, this, &ProvidersPage::openEditDialog);
    connect(m_remove, &QAction::triggered, this, &ProvidersPage::askRemove);
    connect(m_test, &QAction::triggered, this, &ProvidersPage::testSelected);
    connect(m_signIn, &QAction::triggered, this, &ProvidersPage::openSignInDialog);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &ProvidersPage::updateActions);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &ProvidersPage::updateDetails);
    connect(m_list, &QTreeWidget::itemDoubleClicked, this, &ProvidersPage::openEditDialog);
    connect(m_engine, &Engine::providerTested, this,
            [this](qint64 id, const QString& error, qint64 roundTripMs, qint64, qint64) {
                if (id == 0)
                    return; // a dialog's test of unsaved settings
                m_testResults.insert(id, error.isEmpty() ? tr("reachable (%1 ms)").arg(roundTripMs)
                                                         : tr("test failed: %1").arg(error));
                refresh();
            });
    // What each provider can still take, asked off the GUI thread when the list may have changed.
    connect(m_engine, &Engine::providerSpace, this, [this](qint64 id, qint64, qint64 available) {
        m_available.insert(id, available);
        updateFreeSpace();
    });
    connect(m_engine, &Engine::providersChanged, this, [this] { m_measureDelay->start(); });
    updateActions();
}

void ProvidersPage::setReader(VaultReader* reader)
{
    m_reader = reader;
    m_testResults.clear();
    m_available.clear();
    refresh();
    if (m_reader)
        m_engine->measureProviders();
}

void ProvidersPage::refresh()
{
    const qint64 selected = selectedId();
    m_list->clear();
    if (!m_reader)
        return;
    m_reader->refreshProviders();
    const QHash<qint64, qint64> stored = m_reader->registry().healthRows().storedBytesByProvider();
    for (const ProviderRecord& p : m_reader->registry().providerRows().providers()) {
        auto* item = new QTreeWidgetItem(m_list);
        item->setData(NameColumn, IdRole, p.id);
        item->setIcon(NameColumn, providerKindIcon(p.kind));
        item->setText(NameColumn, p.name);
        const ProviderKind* kind = m_engine->providerFactory().kind(p.kind);
        item->setText(KindColumn, kind ? kind->displayName : p.kind);
        const QString where = kind ? providerfields::whereOf(*kind, p.settings) : QString();
        item->setText(WhereColumn, where.isEmpty() ? tr("—") : where);
        item->setToolTip(WhereColumn, item->text(WhereColumn));
        QString health = !p.enabled                   ? tr("disabled")
                         : !p.testFailure().isEmpty() ? tr("test failed: %1").arg(p.testFailure())
                                                      : p.health;
        if (m_testResults.contains(p.id))
            health = m_testResults.value(p.id);
        // Silent since a check could not reach it: for how long, and whether its copies count.
        if (p.enabled && p.unreachableSince > 0 && !m_testResults.contains(p.id)) {
            const QString since = QLocale().toString(
                QDateTime::fromSecsSinceEpoch(p.unreachableSince), QLocale::ShortFormat);
            health = m_reader->registry().providerRows().providerLost(p)
                         ? tr("unreachable since %1: its copies count as lost").arg(since)
                         : tr("unreachable since %1").arg(since);
        }
        // A budget that ran out is a wait, not a failure: say which way, until when, and why,
        // and count down.
        const ProviderBudget budget = m_reader->registry().providerRows().providerBudget(p.id);
        if (budget.uploadPaused() || budget.downloadPaused()) {
            m_pauses.insert(p.id, budget);
            health = pausedText(budget);
        } else {
            m_pauses.remove(p.id);
        }
        item->setText(HealthColumn, health);
        item->setToolTip(HealthColumn, health);

        const qint64 used = qMax(p.usedBytes, stored.value(p.id));
        auto* usage = new QProgressBar(m_list);
        usage->setAccessibleName(tr("Usage of %1").arg(p.name));
        usage->setTextVisible(true);
        if (p.quotaBytes > 0) {
            usage->setRange(0, 1000);
            usage->setValue(int(std::clamp<qint64>(used * 1000 / p.quotaBytes, 0, 1000)));
            usage->setFormat(
                tr("%1 of %2").arg(units::formatBytes(used), units::formatBytes(p.quotaBytes)));
        } else {
            usage->setRange(0, 1);
            usage->setValue(0);
            usage->setFormat(tr("%1 used, no quota").arg(units::formatBytes(used)));
        }
        m_list->setItemWidget(item, UsageColumn, usage);
        item->setTextAlignment(FreeColumn, Qt::AlignRight | Qt::AlignVCenter);
        if (p.id == selected)
            item->setSelected(true);
    }
    updateFreeSpace();
    if (m_pauses.isEmpty())
        m_countdown->stop();
    else if (!m_countdown->isActive())
        m_countdown->start();
    updateActions();
    updateDetails();
}

void ProvidersPage::updateDetails()
{
    const QList<QTreeWidgetItem*> selected = m_list->selectedItems();
    const auto record = selected.size() == 1 && m_reader
                            ? m_reader->registry().providerRows().provider(selectedId())
                            : std::nullopt;
    if (!record) {
        m_details->hide();
        return;
    }
    // Where it stores: the kind's settings as typed (never a secret: those are not in settings).
    QStringList where;
    if (const ProviderKind* kind = m_engine->providerFactory().kind(record->kind))
        for (const ProviderField& f : kind->fields) {
            const QJsonValue v = record->settings.value(f.key);
            if (f.isSecret() || f.type == ProviderField::Type::Bool || v.isUndefined() ||
                v.isNull() || v.toVariant().toString().isEmpty())
                continue;
            where.append(tr("%1: %2").arg(f.label, v.toVariant().toString()));
        }
    const QString health = selected.first()->text(HealthColumn);
    QString text =
        tr("%1 — %2\nHealth: %3")
            .arg(record->name, where.isEmpty() ? tr("no settings") : where.join(tr(" · ")), health);
    const ProviderBudget budget = m_reader->registry().providerRows().providerBudget(record->id);
    if (budget.dailyUploadBytes >= 0)
        text += QLatin1Char('\n') +
                (budget.dayEndsMs > 0
                     ? tr("Daily upload budget: %1, %2 used; the count starts again at %3.")
                           .arg(units::formatBytes(budget.dailyUploadBytes),
                                units::formatBytes(budget.uploadedTodayBytes),
                                timeText(budget.dayEndsMs))
                     : tr("Daily upload budget: %1, none of it used yet.")
                           .arg(units::formatBytes(budget.dailyUploadBytes)));
    m_details->setText(text);
    m_details->show();
}

QString ProvidersPage::timeText(qint64 ms)
{
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(ms);
    return at.date() == QDate::currentDate() ? at.toString(QStringLiteral("HH:mm"))
                                             : at.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString ProvidersPage::pausedText(const ProviderBudget& budget)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const auto one = [now](const QString& what, qint64 untilMs, const QString& reason) {
        const qint64 left = qMax<qint64>(0, (untilMs - now) / 1000);
        QString in;
        if (left >= 3600)
            in = tr("%1 h %2 min").arg(left / 3600).arg((left % 3600) / 60);
        else if (left >= 60)
            in = tr("%1 min %2 s").arg(left / 60).arg(left % 60);
        else
            in = tr("%1 s").arg(left);
        return tr("%1 paused until %2 (in %3): %4").arg(what, timeText(untilMs), in, reason);
    };
    QStringList parts;
    if (budget.uploadPaused() && budget.uploadPausedUntilMs > now)
        parts.append(one(tr("uploads"), budget.uploadPausedUntilMs, budget.uploadPauseReason));
    if (budget.downloadPaused() && budget.downloadPausedUntilMs > now)
        parts.append(
            one(tr("downloads"), budget.downloadPausedUntilMs, budget.downloadPauseReason));
    return parts.join(QStringLiteral("; "));
}

void ProvidersPage::updateFreeSpace()
{
    if (!m_reader)
        return;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_list->topLevelItem(i);
        const qint64 id = item->data(NameColumn, IdRole).toLongLong();
        const auto known = m_available.constFind(id);
        if (known == m_available.constEnd()) {
            item->setText(FreeColumn, tr("…"));
            item->setToolTip(FreeColumn, tr("Asking the provider…"));
        } else if (*known < 0) {
            item->setText(FreeColumn, tr("—"));
            item->setToolTip(FreeColumn, tr("The provider does not say how much it can take."));
        } else {
            // The quota the user set may be the nearer limit.
            qint64 free = *known;
            if (const auto p = m_reader->registry().providerRows().provider(id);
                p && p->quotaBytes > 0)
                free = qMin(free, qMax<qint64>(0, p->quotaBytes - p->usedBytes));
            item->setText(FreeColumn, tr("%1 free").arg(units::formatBytes(free)));
            item->setToolTip(FreeColumn,
                             tr("%1 more can be stored there, as the provider says (and within "
                                "the quota set here).")
                                 .arg(units::formatBytes(free)));
        }
    }
}

void ProvidersPage::updateCountdowns()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_list->topLevelItem(i);
        const qint64 id = item->data(NameColumn, IdRole).toLongLong();
        const auto pause = m_pauses.constFind(id);
        if (pause == m_pauses.constEnd())
            continue;
        const bool over = (!pause->uploadPaused() || pause->uploadPausedUntilMs <= now) &&
                          (!pause->downloadPaused() || pause->downloadPausedUntilMs <= now);
        const bool oneEnded = (pause->uploadPaused() && pause->uploadPausedUntilMs <= now) ||
                              (pause->downloadPaused() && pause->downloadPausedUntilMs <= now);
        if (over || oneEnded) {
            refresh(); // a pause is over: show the provider as it is now
            return;
        }
        const QString text = pausedText(*pause);
        item->setText(HealthColumn, text);
        item->setToolTip(HealthColumn, text);
    }
}

void ProvidersPage::highlight(const QStringList& names)
{
    m_list->clearSelection();
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_list->topLevelItem(i);
        if (names.contains(item->text(NameColumn))) {
            item->setSelected(true);
            m_list->scrollToItem(item);
        }
    }
}

qint64 ProvidersPage::selectedId() const
{
    const QList<QTreeWidgetItem*> items = m_list->selectedItems();
    return items.isEmpty() ? 0 : items.first()->data(NameColumn, IdRole).toLongLong();
}

void ProvidersPage::updateActions()
{
    const bool one = m_list->selectedItems().size() == 1;
    m_edit->setEnabled(one);
    m_remove->setEnabled(one);
    m_test->setEnabled(!m_list->selectedItems().isEmpty());
    bool signsIn = false;
    if (one && m_reader)
        if (const auto record = m_reader->registry().providerRows().provider(selectedId()))
            if (const ProviderKind* kind = m_engine->providerFactory().kind(record->kind))
                signsIn = bool(kind->signIn);
    m_signIn->setEnabled(signsIn);
    m_add->setEnabled(m_reader != nullptr);
    m_attach->setEnabled(m_reader != nullptr);
}

void ProvidersPage::showDialog(ProviderDialog* dialog)
{
    m_dialog = dialog;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void ProvidersPage::openAddDialog()
{
    if (!m_reader)
        return;
    QStringList names;
    for (const ProviderRecord& p : m_reader->registry().providerRows().providers())
        names.append(p.name);
    showDialog(new ProviderDialog(m_engine, std::nullopt, names, this));
}

void ProvidersPage::openAttachDialog()
{
    openAddDialog();
    if (!m_dialog)
        return;
    ProviderDialog* dialog = m_dialog;
    dialog->setWindowTitle(tr("Attach storage"));
    dialog->setIntro(tr("Enter the storage that ModelFloat used on another computer, and that "
                        "computer's recovery key (its Settings › Recovery key). Once it is "
                        "saved, the models kept there are added to this vault; nothing on the "
                        "storage is changed."));
    auto* recoveryKey = new QLineEdit(dialog);
    recoveryKey->setObjectName(QStringLiteral("attachRecoveryKey"));
    recoveryKey->setAccessibleName(tr("Recovery key of the other computer"));
    recoveryKey->setPlaceholderText(tr("MFK1-… (not needed if this computer has it already)"));
    dialog->addRow(tr("&Recovery key:"), recoveryKey);
    // Accepted once the engine saved the provider (a refused one keeps the dialog open).
    connect(dialog, &QDialog::accepted, this, [this, dialog, recoveryKey] {
        const QString name = dialog->nameEdit()->text().trimmed();
        const QString key = recoveryKey->text().trimmed();
        if (key.isEmpty()) {
            m_engine->recoverCatalog();
        } else {
            // The key first: without it, nothing another computer signed is taken in; the
            // engine recovers once it is taken. A key refused is said where the recovery's
            // report would be.
            auto* once = new QObject(this);
            connect(m_engine, &Engine::catalogKeyImported, once, [this, once](const QString& e) {
                once->deleteLater();
                if (!e.isEmpty())
                    Q_EMIT recoveryKeyRefused(e);
            });
            m_engine->importCatalogKeyAndRecover(key);
        }
        Q_EMIT storageAttached(name);
    });
}

void ProvidersPage::openEditDialog()
{
    const qint64 id = selectedId();
    if (!m_reader || !id)
        return;
    const auto record = m_reader->registry().providerRows().provider(id);
    if (!record)
        return;
    QStringList names;
    for (const ProviderRecord& p : m_reader->registry().providerRows().providers())
        names.append(p.name);
    showDialog(new ProviderDialog(m_engine, record, names, this));
}

void ProvidersPage::openSignInDialog()
{
    openEditDialog();
    if (m_dialog)
        m_dialog->setWindowTitle(tr("Sign in to “%1”").arg(m_dialog->nameEdit()->text()));
}

void ProvidersPage::askRemove()
{
    const qint64 id = selectedId();
    if (!m_reader || !id)
        return;
    const auto record = m_reader->registry().providerRows().provider(id);
    if (!record)
        return;
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Remove provider"),
                                tr("Remove the provider “%1”?").arg(record->name),
                                QMessageBox::NoButton, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(
        tr("ModelFloat forgets the copies of chunks kept there; models keep their replicas on "
           "other providers and show as under-replicated where that was the only one."));
    QPushButton* remove = box->addButton(tr("Remove"), QMessageBox::DestructiveRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::buttonClicked, this, [this, id, remove](auto* button) {
        if (button == remove)
            m_engine->removeProvider(id);
    });
    box->open();
}

void ProvidersPage::testSelected()
{
    for (QTreeWidgetItem* item : m_list->selectedItems()) {
        const qint64 id = item->data(NameColumn, IdRole).toLongLong();
        m_testResults.insert(id, tr("testing…"));
        item->setText(HealthColumn, tr("testing…"));
        m_engine->testProvider(id);
    }
}

} // namespace mf::ui
