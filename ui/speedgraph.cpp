#include "speedgraph.h"

#include "readablecolor.h"
#include "util/units.h"

#include <QEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace mf::ui {

namespace {

QString rateText(double bytesPerSecond)
{
    // "0 B/s" rather than "0.0 B/s": nothing moves.
    return bytesPerSecond > 0 ? units::formatRate(bytesPerSecond) : SpeedGraph::tr("0 B/s");
}

} // namespace

SpeedGraph::SpeedGraph(QWidget* parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Transfer speed"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setAccessibleDescription(summary());
    setToolTip(summary());
}

void SpeedGraph::addSample(double uploadBytesPerSecond, double downloadBytesPerSecond)
{
    m_upload.append(qMax(0.0, uploadBytesPerSecond));
    m_download.append(qMax(0.0, downloadBytesPerSecond));
    while (m_upload.size() > Samples) {
        m_upload.removeFirst();
        m_download.removeFirst();
    }
    setAccessibleDescription(summary());
    setToolTip(summary());
    update();
}

QString SpeedGraph::summary() const
{
    return tr("Upload %1, download %2")
        .arg(rateText(m_upload.isEmpty() ? 0 : m_upload.last()),
             rateText(m_download.isEmpty() ? 0 : m_download.last()));
}

// Colours the palette has for emphasis, so that both lines stand out from the Base background
// in a light and a dark theme alike: the highlight for upload, the visited-link colour for
// download (the link colour is often a blue much like the highlight). Each is made readable on
// the Base colour: a dark theme's highlight is a deep blue meant under white text, and the
// legend written in it on dark grey could not be read.
QColor SpeedGraph::uploadColor() const
{
    const QPalette& pal = palette();
    return readableOn(pal.color(QPalette::Highlight), pal.color(QPalette::Base), TextContrast);
}

QColor SpeedGraph::downloadColor() const
{
    const QPalette& pal = palette();
    QColor c = pal.color(QPalette::LinkVisited);
    // A style may make it the highlight: keep the lines apart.
    if (c == pal.color(QPalette::Highlight))
        c = pal.color(QPalette::Text);
    return readableOn(c, pal.color(QPalette::Base), TextContrast);
}

double SpeedGraph::scaleTop() const
{
    return m_upload.isEmpty() ? 0.0
                              : qMax(*std::max_element(m_upload.cbegin(), m_upload.cend()),
                                     *std::max_element(m_download.cbegin(), m_download.cend()));
}

QSize SpeedGraph::sizeHint() const
{
    return {360, fontMetrics().height() * 5};
}

QSize SpeedGraph::minimumSizeHint() const
{
    return {120, fontMetrics().height() * 4};
}

void SpeedGraph::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        update();
    QWidget::changeEvent(event);
}

void SpeedGraph::paintEvent(QPaintEvent* /*event*/)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette& pal = palette();
    const QRectF frame = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
    p.fillRect(rect(), pal.color(QPalette::Base));
    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(frame);

    // The legend with the current rates, in the line colours, on the first text line.
    const int line = fontMetrics().height();
    const QRectF text = frame.adjusted(6, 2, -6, 0);
    const QString up = tr("Upload %1").arg(rateText(m_upload.isEmpty() ? 0 : m_upload.last()));
    const QString down =
        tr("Download %1").arg(rateText(m_download.isEmpty() ? 0 : m_download.last()));
    p.setPen(uploadColor());
    p.drawText(text, Qt::AlignLeft | Qt::AlignTop, up);
    p.setPen(downloadColor());
    p.drawText(text.adjusted(fontMetrics().horizontalAdvance(up) + 2 * line, 0, 0, 0),
               Qt::AlignLeft | Qt::AlignTop, down);

    // Both lines on one scale, the highest rate of the window at the top (its value at the
    // right), so a glance compares them; the newest sample is at the right edge.
    const double highest = scaleTop();
    const double top = qMax(1.0, highest);
    p.setPen(
        readableOn(pal.color(QPalette::PlaceholderText), pal.color(QPalette::Base), TextContrast));
    p.drawText(text, Qt::AlignRight | Qt::AlignTop, rateText(highest));
    const QRectF plot = frame.adjusted(4, line + 6, -4, -4);
    if (plot.height() < 4 || m_upload.isEmpty())
        return;
    const double step = plot.width() / double(Samples - 1);
    auto drawLine = [&](const QList<double>& samples, const QColor& colour) {
        QPainterPath path;
        const qsizetype first = Samples - samples.size(); // older slots are empty
        for (qsizetype i = 0; i < samples.size(); ++i) {
            const QPointF point(plot.left() + double(first + i) * step,
                                plot.bottom() - samples.at(i) / top * plot.height());
            if (i == 0)
                path.moveTo(point);
            else
                path.lineTo(point);
        }
        p.setPen(QPen(colour, 2));
        p.drawPath(path);
    };
    drawLine(m_download, downloadColor());
    drawLine(m_upload, uploadColor());
}

} // namespace mf::ui
