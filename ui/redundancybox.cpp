#include "redundancybox.h"

#include "chunking/shardcodec.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

namespace mf::ui {

RedundancyBox::RedundancyBox(const RedundancyScheme& scheme, int providers, QWidget* parent)
    : QWidget(parent)
    , m_providers(providers)
    , m_kind(new QComboBox(this))
    , m_copies(new QSpinBox(this))
    , m_data(new QSpinBox(this))
    , m_parity(new QSpinBox(this))
    , m_plus(new QLabel(QStringLiteral("+"), this))
    , m_description(new QLabel(this))
{
    m_kind->setObjectName(QStringLiteral("redundancyKind"));
    m_kind->setAccessibleName(tr("Keep each chunk as"));
    m_kind->addItem(tr("Whole copies"), int(RedundancyScheme::Kind::Copies));
    m_kind->addItem(tr("Shards (erasure coding)"), int(RedundancyScheme::Kind::Shards));
    m_kind->setCurrentIndex(scheme.isShards() ? 1 : 0);
    m_copies->setObjectName(QStringLiteral("redundancyCopies"));
    m_copies->setAccessibleName(tr("Copies of every chunk"));
    m_copies->setToolTip(tr("Copies of every chunk, each on a different provider"));
    m_copies->setRange(1, RedundancyScheme::MaxCopies);
    m_copies->setValue(scheme.isShards() ? 2 : scheme.copies);
    // The codec's bounds: K + M ≤ 32, each at least 1.
    m_data->setObjectName(QStringLiteral("redundancyData"));
    m_data->setAccessibleName(tr("Data shards"));
    m_data->setToolTip(tr("Data shards: any this many of a chunk's shards rebuild it"));
    m_data->setRange(1, ShardCodec::MaxShards - 1);
    m_data->setValue(scheme.isShards() ? scheme.dataShards : 4);
    m_parity->setObjectName(QStringLiteral("redundancyParity"));
    m_parity->setAccessibleName(tr("Parity shards"));
    m_parity->setToolTip(tr("Parity shards: this many providers may be lost"));
    m_parity->setRange(1, ShardCodec::MaxShards - 1);
    m_parity->setValue(scheme.isShards() ? scheme.parityShards : 2);
    m_description->setObjectName(QStringLiteral("redundancyDescription"));
    m_description->setWordWrap(true);

    auto* choice = new QHBoxLayout;
    choice->setContentsMargins(0, 0, 0, 0);
    choice->addWidget(m_kind);
    choice->addWidget(m_copies);
    choice->addWidget(m_data);
    choice->addWidget(m_plus);
    choice->addWidget(m_parity);
    choice->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(choice);
    layout->addWidget(m_description);

    connect(m_kind, &QComboBox::currentIndexChanged, this, &RedundancyBox::update);
    for (QSpinBox* box : {m_copies, m_data, m_parity})
        connect(box, &QSpinBox::valueChanged, this, &RedundancyBox::update);
    update();
}

void RedundancyBox::setForOneModel()
{
    m_oneModel = true;
    update();
}

RedundancyScheme RedundancyBox::scheme() const
{
    return m_kind->currentIndex() == 1
               ? RedundancyScheme::makeShards(m_data->value(), m_parity->value())
               : RedundancyScheme::makeCopies(m_copies->value());
}

QString RedundancyBox::refusal() const
{
    const RedundancyScheme s = scheme();
    QString why;
    if (!RedundancyScheme::parse(s.toString(), &why))
        return why; // K + M beyond the codec's bound
    return s.refusal(m_providers);
}

QString RedundancyBox::description() const
{
    return m_description->text();
}

void RedundancyBox::update()
{
    const bool shards = m_kind->currentIndex() == 1;
    m_copies->setVisible(!shards);
    m_data->setVisible(shards);
    m_plus->setVisible(shards);
    m_parity->setVisible(shards);
    const QString refused = refusal();
    QString text = refused.isEmpty() ? scheme().describe(m_providers) + QLatin1Char('.') : refused;
    if (refused.isEmpty() && shards && !m_oneModel)
        text += QLatin1Char(' ') + tr("New models are floated as shards; a model floated before "
                                      "keeps the scheme it was floated with.");
    m_description->setText(text);
    Q_EMIT changed();
}

} // namespace mf::ui
