#pragma once

#include "hub/appuses.h"

#include <QWidget>

class QLabel;
class QVBoxLayout;

namespace mf::ui {

// The details pane's "In use by": each app the model is in (`use`), how it is named there and
// how it got its bytes, the disk sharing one copy saved, and a "Remove from <app>" button for
// each (removeRequested).
class AppUsesBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AppUsesBox)

public:
    explicit AppUsesBox(QWidget* parent = nullptr);

    // Hidden when `uses` is empty.
    void setUses(const QList<AppUses::Use>& uses);
    QString text() const; // what it says, for tests and screen readers

Q_SIGNALS:
    void removeRequested(const QString& appKey);

private:
    QVBoxLayout* m_rows;
    QLabel* m_saved;
};

} // namespace mf::ui
