#include "weblisthtml.h"

#include "webformat.h"

#include <QCollator>
#include <QJsonArray>
#include <QUrl>

#include <algorithm>

namespace mf::api {

namespace {
constexpr int PageRows = 50; // models.js's PageRows

enum class Show { Text, Count, Bytes, Date };
struct Column
{
    const char* key;
    const char* label;
    bool num;
    Show show;
};
// models.js's columns, in its order.
constexpr Column Columns[] = {
    {"name", "Name", false, Show::Text},
    {"format", "Format", false, Show::Text},
    {"quantization", "Quantization", false, Show::Text},
    {"parameters", "Parameters", true, Show::Count},
    {"bytes", "Size", true, Show::Bytes},
    {"health", "Health", false, Show::Text},
    {"min_replicas", "Copies", true, Show::Text},
    {"files", "Files", true, Show::Text},
    {"source", "Source", false, Show::Text},
    {"created", "Floated", false, Show::Date},
};

QString escaped(const QString& text)
{
    return text.toHtmlEscaped();
}

// models.js's healthReason().
QString healthReason(const QJsonObject& m)
{
    const auto chunks = [](qint64 n, const char* one, const char* many) {
        return QStringLiteral("%1 chunk%2").arg(n).arg(QLatin1String(n == 1 ? one : many));
    };
    if (m.value(QLatin1String("health")).toString() == QLatin1String("incomplete"))
        return QStringLiteral("its float has not finished");
    if (const qint64 lost = m.value(QLatin1String("lost")).toInteger())
        return chunks(lost, " has", "s have") + QStringLiteral(" no good copy");
    if (const qint64 under = m.value(QLatin1String("under_replicated")).toInteger())
        return chunks(under, " has", "s have") + QStringLiteral(" fewer copies than wanted");
    return {};
}

// What a cell shows of `value`, as models.js's row() does: empty for nothing.
QString cellText(const Column& c, const QJsonValue& value)
{
    switch (c.show) {
    case Show::Count:
        return value.isDouble() ? webformat::count(value.toDouble()) : QString();
    case Show::Bytes:
        return value.isDouble() ? webformat::bytes(value.toDouble()) : QString();
    case Show::Date:
        return webformat::date(value.toString());
    case Show::Text:
        break;
    }
    if (value.isDouble())
        return webformat::number(value.toDouble());
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return value.toString();
}

QString row(const QJsonObject& m)
{
    QString out = QStringLiteral("<tr>");
    for (const Column& c : Columns) {
        const QString label = QLatin1String(c.label);
        const QString key = QLatin1String(c.key);
        if (key == QLatin1String("name")) {
            // encodeURIComponent(): everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is encoded.
            const QString name = m.value(key).toString();
            out += QStringLiteral("<td data-label=\"%1\"><a href=\"#/model/%2\">%3</a></td>")
                       .arg(label,
                            escaped(QString::fromLatin1(QUrl::toPercentEncoding(name, "!*'()"))),
                            escaped(name));
        } else if (key == QLatin1String("health")) {
            const QString health = m.value(key).toString();
            const QString reason = healthReason(m);
            out += QStringLiteral("<td data-label=\"%1\" class=\"health-%2\">%3%4</td>")
                       .arg(label, escaped(health), escaped(health),
                            reason.isEmpty() ? QString()
                                             : QStringLiteral("<span class=\"reason\"> — ") +
                                                   escaped(reason) + QStringLiteral("</span>"));
        } else {
            out += QStringLiteral("<td data-label=\"%1\"%2>%3</td>")
                       .arg(label, c.num ? QStringLiteral(" class=\"num\"") : QString(),
                            escaped(cellText(c, m.value(key))));
        }
    }
    return out + QStringLiteral("</tr>");
}

QString options(const QList<QPair<QString, QString>>& valuesAndLabels, const QString& selected)
{
    QString out;
    for (const auto& [value, label] : valuesAndLabels)
        out += QStringLiteral("<option value=\"%1\"%2>%3</option>")
                   .arg(value, value == selected ? QStringLiteral(" selected") : QString(), label);
    return out;
}
} // namespace

QString modelListHtml(const QJsonObject& batch)
{
    QList<QJsonObject> models;
    for (const QJsonValue m : batch.value(QLatin1String("models")).toArray())
        models.append(m.toObject());
    // By name, as the page's Intl.Collator (numeric, any case) sorts them; equal names keep
    // the server's order, as the page's stable sort does.
    QCollator collator;
    collator.setNumericMode(true);
    collator.setCaseSensitivity(Qt::CaseInsensitive);
    std::stable_sort(models.begin(), models.end(), [&](const QJsonObject& a, const QJsonObject& b) {
        return collator.compare(a.value(QLatin1String("name")).toString(),
                                b.value(QLatin1String("name")).toString()) < 0;
    });
    const qint64 total = batch.value(QLatin1String("total")).toInteger();
    const qint64 shown = models.size();
    const qint64 pages = qMax<qint64>(1, (shown + PageRows - 1) / PageRows);

    QList<QPair<QString, QString>> sortOptions;
    QString head;
    for (const Column& c : Columns) {
        const bool sorted = qstrcmp(c.key, "name") == 0;
        sortOptions.append({QLatin1String(c.key), QLatin1String(c.label)});
        head += QStringLiteral("<th scope=\"col\"%1 aria-sort=\"%2\"><button type=\"button\" "
                               "data-sort=\"%3\">%4%5</button></th>")
                    .arg(c.num ? QStringLiteral(" class=\"num\"") : QString(),
                         sorted ? QStringLiteral("ascending") : QStringLiteral("none"),
                         QLatin1String(c.key), QLatin1String(c.label),
                         sorted ? QStringLiteral(" ▲") : QString());
    }
    QString rows;
    for (qsizetype i = 0; i < qMin<qsizetype>(PageRows, models.size()); ++i)
        rows += row(models.at(i));
    const QString loaded =
        shown < total ? QStringLiteral(" (loaded %1 of %2)").arg(shown).arg(total) : QString();

    return QStringLiteral("<h1>Models</h1>"
                          "<div class=\"filters\" role=\"search\">"
                          "<label for=\"search\">Search<input type=\"search\" id=\"search\" "
                          "autocomplete=\"off\" placeholder=\"Name, source, format or "
                          "quantization\" value=\"\"></label>"
                          "<label for=\"health-filter\">Health<select id=\"health-filter\">") +
           options({{QString(), QStringLiteral("Any")},
                    {QStringLiteral("healthy"), QStringLiteral("healthy")},
                    {QStringLiteral("degraded"), QStringLiteral("degraded")},
                    {QStringLiteral("damaged"), QStringLiteral("damaged")},
                    {QStringLiteral("incomplete"), QStringLiteral("incomplete")}},
                   QString()) +
           QStringLiteral(
               "</select></label><label for=\"sort-by\">Sort by<select id=\"sort-by\">") +
           options(sortOptions, QStringLiteral("name")) +
           QStringLiteral(
               "</select></label></div>"
               "<p class=\"status\" role=\"status\" aria-live=\"polite\" id=\"count\">") +
           QStringLiteral("%1 of %2 models%3").arg(shown).arg(total).arg(loaded) +
           QStringLiteral("</p><div class=\"table-wrap\"><table aria-describedby=\"count\">"
                          "<caption class=\"skip\">Floating models</caption><thead><tr>") +
           head + QStringLiteral("</tr></thead><tbody>") + rows +
           QStringLiteral("</tbody></table></div><nav class=\"pager\" aria-label=\"Pages\">"
                          "<button type=\"button\" disabled data-page=\"-1\">Previous</button>"
                          "<span>Page 1 of %1</span><button type=\"button\"%2 data-page=\"1\">"
                          "Next</button></nav>")
               .arg(pages)
               .arg(pages <= 1 ? QStringLiteral(" disabled") : QString());
}

} // namespace mf::api
