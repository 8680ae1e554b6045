#include "console.h"

#include "util/progressmeter.h"
#include "util/units.h"

#include <QJsonDocument>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace mf::cli {

struct Console::Meter
{
    ProgressMeter meter;
};

Console::Console()
    : m_out(stdout)
    , m_err(stderr)
    , m_progressEnabled(::isatty(STDERR_FILENO) == 1)
{}

Console::~Console()
{
    stopProgress();
}

void Console::print(const QString& line)
{
    if (json)
        return;
    m_out << line << Qt::endl;
}

void Console::printJson(const QJsonObject& doc)
{
    if (!json)
        return;
    m_out << QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Indented));
    m_out.flush();
}

void Console::error(const QString& message)
{
    stopProgress();
    m_err << "modelfloat-cli: " << message << Qt::endl;
}

void Console::warning(const QString& message)
{
    if (m_timer && m_lastWidth > 0)
        m_err << '\r' << QString(m_lastWidth, QLatin1Char(' ')) << '\r';
    m_err << "warning: " << message << Qt::endl;
}

void Console::startProgress(Sample sample)
{
    if (!m_progressEnabled || json || quiet)
        return;
    m_sample = std::move(sample);
    m_meter = new Meter;
    m_timer = new QTimer;
    m_timer->setInterval(200);
    QObject::connect(m_timer, &QTimer::timeout, m_timer, [this] { drawProgress(); });
    m_timer->start();
}

void Console::stopProgress()
{
    if (!m_timer)
        return;
    delete m_timer;
    m_timer = nullptr;
    delete m_meter;
    m_meter = nullptr;
    if (m_lastWidth > 0)
        m_err << '\r' << QString(m_lastWidth, QLatin1Char(' ')) << '\r';
    m_err.flush();
    m_lastWidth = 0;
}

void Console::drawProgress()
{
    qint64 done = 0, total = 0;
    QString label;
    m_sample(done, total, label);
    m_meter->meter.setTotal(total);
    m_meter->meter.update(done);
    const int width = 24;
    const int filled = m_meter->meter.permille() * width / 1000;
    QString line = QLatin1Char('[') + QString(filled, QLatin1Char('#')) +
                   QString(width - filled, QLatin1Char('.')) + QStringLiteral("] ") +
                   QStringLiteral("%1%  ").arg(m_meter->meter.permille() / 10, 3) +
                   units::formatBytes(done) + QStringLiteral(" / ") + units::formatBytes(total);
    if (m_meter->meter.bytesPerSecond() > 0)
        line += QStringLiteral("  ") + units::formatRate(m_meter->meter.bytesPerSecond());
    const qint64 eta = m_meter->meter.etaSeconds();
    if (eta >= 0)
        line += QStringLiteral("  ETA ") + units::formatDuration(eta);
    if (!label.isEmpty())
        line += QStringLiteral("  ") + label;
    const int pad = qMax(0, m_lastWidth - int(line.size()));
    m_err << '\r' << line << QString(pad, QLatin1Char(' '));
    m_err.flush();
    m_lastWidth = int(line.size());
}

} // namespace mf::cli
