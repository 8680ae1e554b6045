#include "nomatchesnote.h"

#include <QAbstractItemModel>
#include <QAbstractItemView>
#include <QEvent>
#include <QLineEdit>

namespace mf::ui {

NoMatchesNote::NoMatchesNote(QAbstractItemView* view, QLineEdit* search)
    : QLabel(view->viewport())
    , m_view(view)
    , m_search(search)
{
    setAlignment(Qt::AlignCenter);
    setWordWrap(true);
    setForegroundRole(QPalette::PlaceholderText);
    setAccessibleName(tr("No matches"));
    hide();
    QAbstractItemModel* model = view->model();
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(model, signal, this, &NoMatchesNote::refresh);
    connect(model, &QAbstractItemModel::modelReset, this, &NoMatchesNote::refresh);
    connect(model, &QAbstractItemModel::layoutChanged, this, &NoMatchesNote::refresh);
    connect(search, &QLineEdit::textChanged, this, &NoMatchesNote::refresh);
    view->viewport()->installEventFilter(this);
    refresh();
}

bool NoMatchesNote::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        place();
    return QLabel::eventFilter(watched, event);
}

void NoMatchesNote::refresh()
{
    const QString text = m_search->text().trimmed();
    const bool none = !text.isEmpty() && m_view->model()->rowCount() == 0;
    if (none)
        setText(tr("No model matches “%1”.\nSearch looks in names, sources, formats and "
                   "quantizations; clear the search to see every model.")
                    .arg(text));
    setVisible(none);
    place();
}

void NoMatchesNote::place()
{
    setGeometry(m_view->viewport()->rect().adjusted(12, 12, -12, -12));
}

} // namespace mf::ui
