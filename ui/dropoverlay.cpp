#include "dropoverlay.h"

#include "icons.h"

#include <QEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTimer>

namespace mf::ui {

namespace {
constexpr int LingerMs = 4000;
} // namespace

DropOverlay::DropOverlay(QWidget* parent)
    : QWidget(parent)
    , m_linger(new QTimer(this))
{
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setAttribute(Qt::WA_NoSystemBackground);
    setFocusPolicy(Qt::NoFocus);
    setAccessibleName(tr("Drop area"));
    m_linger->setSingleShot(true);
    m_linger->setInterval(LingerMs);
    connect(m_linger, &QTimer::timeout, this, &DropOverlay::dismiss);
    parent->installEventFilter(this);
    hide();
}

void DropOverlay::cover()
{
    setGeometry(parentWidget()->rect());
    raise();
    show();
    update();
}

void DropOverlay::showAccept(const QString& text)
{
    m_linger->stop();
    m_text = text;
    m_refuse = false;
    setAccessibleDescription(text);
    cover();
}

void DropOverlay::showRefuse(const QString& reason, bool linger)
{
    m_text = reason;
    m_refuse = true;
    setAccessibleDescription(reason);
    cover();
    if (linger)
        m_linger->start();
    else
        m_linger->stop();
}

void DropOverlay::dismiss()
{
    m_linger->stop();
    hide();
}

bool DropOverlay::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == parentWidget() && event->type() == QEvent::Resize && isVisible())
        setGeometry(parentWidget()->rect());
    return QWidget::eventFilter(watched, event);
}

void DropOverlay::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette& pal = palette();
    // The window shows through: a wash of the highlight (or a warning red) over it.
    QColor accent = m_refuse ? QColor(0xd0, 0x46, 0x3f) : pal.color(QPalette::Highlight);
    QColor wash = pal.color(QPalette::Window);
    wash.setAlpha(235); // what is under it must not compete with the message
    p.fillRect(rect(), wash);
    QColor tint = accent;
    tint.setAlpha(40);
    p.fillRect(rect(), tint);

    const QRectF frame = QRectF(rect()).adjusted(16, 16, -16, -16);
    QPen pen(accent, 3, Qt::DashLine);
    p.setPen(pen);
    p.drawRoundedRect(frame, 18, 18);

    const int iconSize = 96;
    const QIcon ic = icon(m_refuse ? QStringLiteral("refuse") : QStringLiteral("drop"));
    const QRect iconRect(width() / 2 - iconSize / 2, height() / 2 - iconSize, iconSize, iconSize);
    ic.paint(&p, iconRect);

    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 1.5);
    f.setBold(true);
    p.setFont(f);
    p.setPen(pal.color(QPalette::WindowText));
    const QRect textRect(int(frame.left()) + 24, height() / 2 + 12, int(frame.width()) - 48,
                         height() / 2 - 40);
    p.drawText(textRect, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, m_text);
}

} // namespace mf::ui
