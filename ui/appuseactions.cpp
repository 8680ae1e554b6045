#include "appuseactions.h"

#include "appstores/appstore.h"
#include "appusedialog.h"
#include "engine/engine.h"
#include "freecopiesdialog.h"

#include <QLabel>
#include <QMenu>

namespace mf::ui {

AppUseActions::AppUseActions(Engine* engine, std::function<QList<qint64>()> selection,
                             std::function<QString(qint64)> nameOf, QWidget* parent)
    : QObject(parent)
    , m_engine(engine)
    , m_selection(std::move(selection))
    , m_nameOf(std::move(nameOf))
    , m_parent(parent)
    , m_menu(new QMenu(tr("&Use in"), parent))
    , m_notice(new QLabel(parent))
{
    m_menu->setToolTip(tr("Hand the selected models to an app without another copy: one copy "
                          "in the materialized cache, linked into the app's folder"));
    using appstores::App;
    for (App app : {App::Ollama, App::LmStudio, App::HfCache, App::LlamaCpp}) {
        QAction* action = m_menu->addAction(appstores::appName(app));
        action->setData(appstores::appKey(app));
        connect(action, &QAction::triggered, this,
                [this, key = appstores::appKey(app)] { useSelectedIn(key); });
    }
    m_menu->addSeparator();
    QAction* as = m_menu->addAction(tr("In an app &as…"));
    as->setToolTip(tr("Choose the name Ollama runs it as, or another folder of the app"));
    connect(as, &QAction::triggered, this, &AppUseActions::useAs);
    QAction* free = m_menu->addAction(tr("&Free disk used by the apps' copies…"));
    free->setToolTip(tr("Replace the copies the apps keep of it by the vault's one shared copy, "
                        "or remove them"));
    connect(free, &QAction::triggered, this, &AppUseActions::freeCopies);
    m_notice->setAccessibleName(tr("What the last use in an app did"));
    m_notice->setWordWrap(true);
    m_notice->setTextFormat(Qt::PlainText); // model names and errors are not markup
    m_notice->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_notice->hide();
    if (m_engine)
        connect(m_engine, &Engine::transferChanged, this, &AppUseActions::onTransfer);
}

void AppUseActions::useSelectedIn(const QString& appKey)
{
    if (!m_engine)
        return;
    for (qint64 id : m_selection())
        m_engine->useModelIn(id, appKey);
}

AppUseDialog* AppUseActions::useAs()
{
    const QList<qint64> ids = m_selection();
    if (!m_engine || ids.isEmpty())
        return nullptr;
    auto* dialog = new AppUseDialog(m_engine, ids.first(), m_nameOf(ids.first()), m_parent);
    dialog->open();
    return dialog;
}

FreeCopiesDialog* AppUseActions::freeCopies()
{
    const QList<qint64> ids = m_selection();
    if (!m_engine || ids.isEmpty())
        return nullptr;
    auto* dialog = new FreeCopiesDialog(m_engine, ids.first(), m_parent);
    dialog->open();
    return dialog;
}

void AppUseActions::removeFromApp(qint64 modelId, const QString& appKey)
{
    if (m_engine)
        m_engine->useModelIn(modelId, appKey, true);
}

void AppUseActions::onTransfer(const TransferInfo& info)
{
    if (info.kind != TransferInfo::Kind::UseInApp || info.fromHistory)
        return;
    if (!info.isFinished()) {
        m_reported.remove(info.id); // retried: its next end is told too
        return;
    }
    if (m_reported.contains(info.id))
        return;
    m_reported.insert(info.id);
    QString text;
    switch (info.state) {
    case TransferInfo::State::Done:
    case TransferInfo::State::Degraded:
        text = info.summary.isEmpty() ? info.title : info.summary;
        if (!info.warnings.isEmpty())
            text += QLatin1Char('\n') + info.warnings.join(QLatin1Char('\n'));
        break;
    case TransferInfo::State::Failed:
        text = tr("%1 failed: %2").arg(info.title, info.error);
        break;
    default: // cancelled: the person knows
        return;
    }
    m_notice->setText(text);
    m_notice->show();
}

} // namespace mf::ui
