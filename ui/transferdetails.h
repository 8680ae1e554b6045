#pragma once

#include "transfer/transferinfo.h"

#include <QWidget>

class QGridLayout;
class QLabel;
class QScrollArea;

namespace mf::ui {

// The details panel under the transfer list: for the selected transfer, the providers it uses,
// chunks done of total, retries so far, what it is doing now, its warnings and error in full,
// when it started and finished, how long it ran and its average rate.
class TransferDetails final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferDetails)

public:
    explicit TransferDetails(QWidget* parent = nullptr);

    // nullptr: nothing selected (or more than one).
    void showTransfer(const TransferInfo* info);
    qint64 transferId() const { return m_id; }
    // The value shown in the row called `field` ("Providers", "Chunks", "Retries", "Doing",
    // "Started", "Finished", "Ran for", "Average rate", "Already stored", "Warnings", "Error"),
    // empty when the row is hidden.
    QString field(const QString& name) const;
    // What the row called `name` is labelled now ("Finished" reads "Cancelled:" for a
    // cancelled transfer).
    QString label(const QString& name) const;
    QSize sizeHint() const override; // room for the usual rows, whatever is shown now

private:
    QLabel* addRow(const QString& name);
    void setRow(QLabel* value, const QString& text);

    qint64 m_id = 0;
    QLabel* m_placeholder;
    QScrollArea* m_scroll; // a long error or many warnings scroll, the list keeps its room
    QWidget* m_content;
    QGridLayout* m_form;
    QLabel* m_title;
    QHash<QString, QLabel*> m_rows;   // by field name
    QHash<QLabel*, QLabel*> m_labels; // each value's label, hidden with it
};

} // namespace mf::ui
