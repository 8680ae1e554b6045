#pragma once

#include <QList>
#include <QWidget>

namespace mf::ui {

// The Transfers page's speed graph: upload and download rate over the last few minutes, two
// lines drawn from one sample a second (addSample()), in the palette's colours so that a dark
// theme reads as well as a light one. Its accessible description is the text summary.
class SpeedGraph final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SpeedGraph)

public:
    // One minute at one a second, as a system monitor draws: the scale is the highest rate in
    // view, and over three minutes a burst held it up long after the rate had fallen.
    static constexpr int Samples = 60;

    explicit SpeedGraph(QWidget* parent = nullptr);

    // Bytes per second now; the oldest sample falls off once there are Samples.
    void addSample(double uploadBytesPerSecond, double downloadBytesPerSecond);
    int sampleCount() const { return int(m_upload.size()); }
    // The rate at the top of the graph: the highest in view (0 with nothing in view).
    double scaleTop() const;
    // "Upload 12.3 MiB/s, download 0 B/s": the latest sample, in words.
    QString summary() const;
    // The colours the two lines are drawn in (from the palette).
    QColor uploadColor() const;
    QColor downloadColor() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    QList<double> m_upload, m_download; // oldest first
};

} // namespace mf::ui
