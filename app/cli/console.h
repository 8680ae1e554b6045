#pragma once

#include <QJsonObject>
#include <QString>
#include <QTextStream>

#include <functional>

class QTimer;

namespace mf::cli {

// Where the CLI writes: results to stdout (or one JSON document with --json), messages to
// stderr, and a progress line on stderr only when it is a terminal.
class Console final
{
public:
    Console();
    ~Console();

    bool json = false;
    bool quiet = false;

    void print(const QString& line);        // stdout, skipped in JSON mode
    void printJson(const QJsonObject& doc); // stdout, JSON mode only
    void error(const QString& message);     // stderr, "modelfloat-cli: ..."
    void warning(const QString& message);   // stderr, "warning: ..."

    // Starts redrawing a progress line every 200 ms from `sample` (done, total, label).
    using Sample = std::function<void(qint64& done, qint64& total, QString& label)>;
    void startProgress(Sample sample);
    void stopProgress();

private:
    void drawProgress();
    QTextStream m_out;
    QTextStream m_err;
    bool m_progressEnabled;
    QTimer* m_timer = nullptr;
    Sample m_sample;
    qint64 m_startMs = 0;
    int m_lastWidth = 0;
    struct Meter;
    Meter* m_meter = nullptr;
};

} // namespace mf::cli
