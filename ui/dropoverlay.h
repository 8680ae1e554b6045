#pragma once

#include <QWidget>

class QTimer;

namespace mf::ui {

// A translucent layer over the whole window while something is dragged over it: "Drop to
// float …" when the drop will be accepted, or why it will not. After a refused drop it stays a
// few seconds so the explanation can be read where the drop happened. It never takes mouse
// events.
class DropOverlay final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DropOverlay)

public:
    explicit DropOverlay(QWidget* parent);

    void showAccept(const QString& text);
    void showRefuse(const QString& reason, bool linger = false);
    void dismiss();

    bool isRefusing() const { return m_refuse; }
    QString message() const { return m_text; }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void cover();

    QString m_text;
    bool m_refuse = false;
    QTimer* m_linger = nullptr;
};

} // namespace mf::ui
