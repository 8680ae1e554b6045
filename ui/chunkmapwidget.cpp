#include "chunkmapwidget.h"

#include "util/units.h"
#include "vaultreader.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace mf::ui {

namespace {

constexpr int Margin = 6;
constexpr int BarHeight = 22;
constexpr int Swatch = 12;
constexpr ChunkHealth AllStates[] = {ChunkHealth::Healthy, ChunkHealth::UnderReplicated,
                                     ChunkHealth::Pending, ChunkHealth::Missing,
                                     ChunkHealth::Corrupt};

// Worse states win a shared pixel.
int severity(ChunkHealth h)
{
    switch (h) {
    case ChunkHealth::Healthy:
        return 0;
    case ChunkHealth::Pending:
        return 1;
    case ChunkHealth::UnderReplicated:
        return 2;
    case ChunkHealth::Missing:
        return 3;
    case ChunkHealth::Corrupt:
        return 4;
    }
    return 0;
}

} // namespace

ChunkHealth ChunkMapData::health(const QString& cid) const
{
    int stored = 0;
    bool corrupt = false;
    bool pending = false;
    for (const Placement& p : placements.value(cid)) {
        stored += p.state == PlacementState::Stored;
        corrupt = corrupt || p.state == PlacementState::Corrupt;
        pending = pending || p.state == PlacementState::Pending;
    }
    if (stored >= wantedReplicas)
        return ChunkHealth::Healthy;
    if (stored > 0)
        return ChunkHealth::UnderReplicated;
    if (corrupt)
        return ChunkHealth::Corrupt;
    const bool placed = !placements.value(cid).isEmpty();
    return pending || !placed ? ChunkHealth::Pending : ChunkHealth::Missing;
}

ChunkMapData ChunkMapData::load(VaultReader& reader, qint64 modelId)
{
    ChunkMapData d;
    Registry& r = reader.registry();
    d.wantedReplicas = reader.registry().healthRows().wantedCopies();
    for (const FileRecord& f : r.modelRows().files(modelId))
        d.files.append(File{f.path, f.size, r.modelRows().fileChunks(f.id)});
    d.placements = r.placementRows().placementsOfModel(modelId);
    for (const ProviderRecord& p : r.providerRows().providers())
        d.providerNames.insert(p.id, p.name);
    return d;
}

ChunkMapWidget::ChunkMapWidget(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setAccessibleName(tr("Chunk map"));
}

void ChunkMapWidget::setData(ChunkMapData data)
{
    m_data = std::move(data);
    m_health.clear();
    std::fill(std::begin(m_counts), std::end(m_counts), 0);
    for (const auto& f : m_data.files)
        for (const FileChunk& c : f.chunks) {
            auto it = m_health.constFind(c.cid);
            if (it == m_health.cend())
                it = m_health.insert(c.cid, m_data.health(c.cid));
            m_counts[int(*it)]++;
        }
    setAccessibleDescription(tr("%1 unique chunks: %2 healthy, %3 under-replicated, %4 missing, "
                                "%5 corrupt, %6 not stored yet")
                                 .arg(m_health.size())
                                 .arg(m_counts[int(ChunkHealth::Healthy)])
                                 .arg(m_counts[int(ChunkHealth::UnderReplicated)])
                                 .arg(m_counts[int(ChunkHealth::Missing)])
                                 .arg(m_counts[int(ChunkHealth::Corrupt)])
                                 .arg(m_counts[int(ChunkHealth::Pending)]));
    updateGeometry();
    update();
}

QColor ChunkMapWidget::color(ChunkHealth health, const QPalette& palette)
{
    // Mid-tone hues that read on light and dark window colours alike.
    switch (health) {
    case ChunkHealth::Healthy:
        return QColor(0x3f, 0xae, 0x5a);
    case ChunkHealth::UnderReplicated:
        return QColor(0xe0, 0xa0, 0x30);
    case ChunkHealth::Missing:
        return QColor(0xd6, 0x45, 0x3d);
    case ChunkHealth::Corrupt:
        return QColor(0x9b, 0x4d, 0xca);
    case ChunkHealth::Pending:
        return palette.color(QPalette::Mid);
    }
    return palette.color(QPalette::Mid);
}

QString ChunkMapWidget::label(ChunkHealth health)
{
    switch (health) {
    case ChunkHealth::Healthy:
        return tr("Healthy");
    case ChunkHealth::UnderReplicated:
        return tr("Under-replicated");
    case ChunkHealth::Missing:
        return tr("Missing");
    case ChunkHealth::Corrupt:
        return tr("Corrupt");
    case ChunkHealth::Pending:
        return tr("Not stored yet");
    }
    return {};
}

int ChunkMapWidget::legendHeight() const
{
    return fontMetrics().height() + 2 * Margin;
}

int ChunkMapWidget::rowHeight() const
{
    return fontMetrics().height() + 2 + BarHeight + Margin;
}

int ChunkMapWidget::heightForWidth(int) const
{
    return legendHeight() + int(m_data.files.size()) * rowHeight() + Margin;
}

QSize ChunkMapWidget::sizeHint() const
{
    return {400, heightForWidth(400)};
}

QSize ChunkMapWidget::minimumSizeHint() const
{
    return {200, heightForWidth(200)};
}

QRect ChunkMapWidget::barRect(int file) const
{
    const int top = legendHeight() + file * rowHeight() + fontMetrics().height() + 2;
    return {Margin, top, width() - 2 * Margin, BarHeight};
}

void ChunkMapWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const QPalette& pal = palette();
    const QFontMetrics fm = fontMetrics();

    // Legend: a swatch and a count per state that occurs (healthy always).
    int x = Margin;
    const int ly = Margin;
    for (ChunkHealth h : AllStates) {
        const int n = m_counts[int(h)];
        if (n == 0 && h != ChunkHealth::Healthy)
            continue;
        const QRect sw(x, ly + (fm.height() - Swatch) / 2, Swatch, Swatch);
        p.fillRect(sw, color(h, pal));
        p.setPen(pal.color(QPalette::Mid));
        p.drawRect(sw.adjusted(0, 0, -1, -1));
        const QString text = tr("%1 (%2)").arg(label(h)).arg(n);
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(x + Swatch + 4, ly, fm.horizontalAdvance(text) + 2, fm.height(),
                   Qt::AlignVCenter, text);
        x += Swatch + 4 + fm.horizontalAdvance(text) + 16;
    }

    for (int fi = 0; fi < m_data.files.size(); ++fi) {
        const ChunkMapData::File& f = m_data.files.at(fi);
        const QRect bar = barRect(fi);
        p.setPen(pal.color(QPalette::WindowText));
        const QString caption =
            tr("%1 — %2, %3")
                .arg(f.path, units::formatBytes(f.size),
                     units::counted(f.chunks.size(), tr("1 chunk"), tr("%1 chunks")));
        p.drawText(QRect(bar.left(), bar.top() - fm.height() - 2, bar.width(), fm.height()),
                   Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(caption, Qt::ElideMiddle, bar.width()));
        p.fillRect(bar, pal.color(QPalette::Base));
        if (f.size <= 0 || bar.width() <= 0)
            continue;
        // Per pixel column the worst state of the chunks that touch it; chunk edges where a
        // chunk is wide enough for an edge to be seen.
        QList<int> worst(bar.width(), -1);
        QList<int> edges;
        const double scale = double(bar.width()) / double(f.size);
        for (const FileChunk& c : f.chunks) {
            const ChunkHealth h = m_health.value(c.cid, ChunkHealth::Pending);
            const int x0 = qBound(0, int(double(c.offset) * scale), bar.width() - 1);
            const int x1 =
                qBound(x0 + 1, int(std::ceil(double(c.offset + c.size) * scale)), bar.width());
            for (int px = x0; px < x1; ++px)
                if (worst[px] < 0 || severity(h) > severity(ChunkHealth(worst[px])))
                    worst[px] = int(h);
            if (x1 - x0 >= 5 && c.offset > 0)
                edges.append(x0);
        }
        int run = 0;
        for (int px = 1; px <= bar.width(); ++px) {
            if (px < bar.width() && worst[px] == worst[run])
                continue;
            if (worst[run] >= 0)
                p.fillRect(QRect(bar.left() + run, bar.top(), px - run, bar.height()),
                           color(ChunkHealth(worst[run]), pal));
            run = px;
        }
        QColor edge = pal.color(QPalette::Base);
        edge.setAlpha(160);
        p.setPen(edge);
        for (int ex : edges)
            p.drawLine(bar.left() + ex, bar.top() + 1, bar.left() + ex, bar.bottom() - 1);
        p.setPen(pal.color(QPalette::Mid));
        p.drawRect(bar.adjusted(0, 0, -1, -1));
    }
    if (m_data.files.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(Margin, legendHeight(), -Margin, 0),
                   Qt::AlignLeft | Qt::AlignTop, tr("No files yet."));
    }
}

ChunkMapWidget::Hit ChunkMapWidget::hitAt(const QPoint& pos) const
{
    for (int fi = 0; fi < m_data.files.size(); ++fi) {
        const QRect bar = barRect(fi);
        if (!bar.contains(pos))
            continue;
        const ChunkMapData::File& f = m_data.files.at(fi);
        if (f.chunks.isEmpty() || bar.width() <= 0)
            return {fi, -1};
        const qint64 offset =
            qint64(double(pos.x() - bar.left()) * double(f.size) / double(bar.width()));
        const auto it = std::upper_bound(f.chunks.cbegin(), f.chunks.cend(), offset,
                                         [](qint64 o, const FileChunk& c) { return o < c.offset; });
        const int index = qMax(0, int(it - f.chunks.cbegin()) - 1);
        return {fi, index};
    }
    return {};
}

QString ChunkMapWidget::toolTipAt(const QPoint& pos) const
{
    const Hit hit = hitAt(pos);
    if (hit.file < 0 || hit.chunk < 0)
        return {};
    const ChunkMapData::File& f = m_data.files.at(hit.file);
    const FileChunk& c = f.chunks.at(hit.chunk);
    QStringList holders;
    for (const Placement& p : m_data.placements.value(c.cid))
        holders.append(tr("%1 (%2)").arg(
            m_data.providerNames.value(p.providerId, QStringLiteral("#%1").arg(p.providerId)),
            placementStateName(p.state)));
    const ChunkHealth h = m_health.value(c.cid, ChunkHealth::Pending);
    return tr("<b>Chunk %1 of %2</b> — %3<br>%4 at offset %5<br>CID <tt>%6</tt><br>%7")
        .arg(c.index + 1)
        .arg(f.chunks.size())
        .arg(label(h), units::formatBytes(c.size), units::formatBytes(c.offset), c.cid,
             holders.isEmpty() ? tr("Not stored on any provider yet")
                               : tr("On: %1").arg(holders.join(QLatin1String(", "))));
}

bool ChunkMapWidget::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(e);
}

} // namespace mf::ui
