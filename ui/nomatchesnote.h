#pragma once

#include <QLabel>

class QAbstractItemModel;
class QAbstractItemView;
class QLineEdit;

namespace mf::ui {

// Words in an empty list when a search finds nothing ("No model matches “llama 70b”."), centred
// on the list, instead of an empty table that looks as if the models were gone. It follows the
// list's model and the search box by itself; an empty list with no search says nothing (the
// empty vault has its own page).
class NoMatchesNote : public QLabel
{
    Q_OBJECT

public:
    NoMatchesNote(QAbstractItemView* view, QLineEdit* search);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void refresh();
    void place();

    QAbstractItemView* m_view;
    QLineEdit* m_search;
};

} // namespace mf::ui
