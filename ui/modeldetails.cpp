#include "modeldetails.h"

#include "appusesbox.h"
#include "chunking/redundancyscheme.h"
#include "chunkmapwidget.h"
#include "formats/formatdescription.h"
#include "modellistmodel.h"
#include "util/units.h"
#include "vaultreader.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace mf::ui {

namespace {

const QString Unknown = QStringLiteral("—");

QString metadataText(const QJsonValue& v)
{
    if (v.isUndefined() || v.isNull())
        return Unknown;
    if (v.isBool())
        return v.toBool() ? QObject::tr("yes") : QObject::tr("no");
    if (v.isDouble())
        return QLocale().toString(qint64(v.toDouble()));
    if (v.isArray()) {
        QStringList items;
        for (const QJsonValue& item : v.toArray())
            items.append(item.toString());
        return items.join(QLatin1String(", "));
    }
    const QString s = v.toString();
    return s.isEmpty() ? Unknown : s;
}

} // namespace

ModelDetails::ModelDetails(QWidget* parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Model details"));
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);

    m_placeholder = new QLabel(tr("Select a model to see its files and chunk map."), this);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setForegroundRole(QPalette::PlaceholderText);
    outer->addWidget(m_placeholder);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_content = new QWidget(scroll);
    auto* layout = new QVBoxLayout(m_content);
    m_title = new QLabel(m_content);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_title);
    m_summary = new QLabel(m_content);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);
    m_incompleteBar = new QWidget(m_content);
    m_incompleteBar->setAccessibleName(tr("Unfinished model"));
    auto* incomplete = new QHBoxLayout(m_incompleteBar);
    incomplete->setContentsMargins(0, 0, 0, 0);
    auto* why = new QLabel(tr("This model was not floated to the end: resume to finish it from "
                              "the chunks already stored, or discard it."),
                           m_incompleteBar);
    why->setWordWrap(true);
    incomplete->addWidget(why, 1);
    m_incompleteBar->hide();
    layout->addWidget(m_incompleteBar);
    m_appUses = new AppUsesBox(m_content);
    connect(m_appUses, &AppUsesBox::removeRequested, this,
            [this](const QString& app) { Q_EMIT removeFromAppRequested(m_modelId, app); });
    layout->addWidget(m_appUses);

    // The chunk map first: it is what people look at. Then the format metadata beside the
    // file list.
    auto* mapLabel = new QLabel(tr("<b>Chunk map</b>"), m_content);
    layout->addWidget(mapLabel);
    m_chunkMap = new ChunkMapWidget(m_content);
    layout->addWidget(m_chunkMap);

    auto* lower = new QHBoxLayout;
    auto* metaColumn = new QVBoxLayout;
    metaColumn->addWidget(new QLabel(tr("<b>Format</b>"), m_content));
    m_metadataBox = new QWidget(m_content);
    m_metadata = new QFormLayout(m_metadataBox);
    m_metadata->setContentsMargins(0, 0, 0, 0);
    metaColumn->addWidget(m_metadataBox);
    metaColumn->addStretch();
    lower->addLayout(metaColumn, 2);

    auto* filesColumn = new QVBoxLayout;
    filesColumn->addWidget(new QLabel(tr("<b>Files</b>"), m_content));
    m_files = new QTreeWidget(m_content);
    m_files->setAccessibleName(tr("Files of the model"));
    m_files->setRootIsDecorated(false);
    m_files->setHeaderLabels({tr("File"), tr("Size"), tr("SHA-256"), tr("CID")});
    m_files->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_files->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_files->setMinimumHeight(120);
    filesColumn->addWidget(m_files, 1);
    lower->addLayout(filesColumn, 5);
    layout->addLayout(lower, 1);
    scroll->setWidget(m_content);
    outer->addWidget(scroll, 1);
    scroll->hide();
    m_scroll = scroll;
}

void ModelDetails::setIncompleteActions(QAction* resume, QAction* discard)
{
    for (QAction* action : {resume, discard}) {
        auto* button = new QToolButton(m_incompleteBar);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        m_incompleteBar->layout()->addWidget(button);
    }
    m_resume = resume;
    connect(resume, &QAction::changed, this, &ModelDetails::updateIncompleteBar);
}

void ModelDetails::updateIncompleteBar()
{
    m_incompleteBar->setVisible(m_modelId && m_incomplete && m_resume && m_resume->isEnabled());
}

void ModelDetails::setReader(VaultReader* reader)
{
    m_reader = reader;
    showModel(0);
}

QString ModelDetails::summaryText() const
{
    return m_summary->text();
}

void ModelDetails::clearMetadata()
{
    while (m_metadata->rowCount() > 0)
        m_metadata->removeRow(0);
}

void ModelDetails::showModel(qint64 modelId, int selectedCount)
{
    m_modelId = modelId;
    m_selectedCount = selectedCount;
    refresh();
}

void ModelDetails::refresh()
{
    const auto row = m_reader && m_modelId ? m_reader->row(m_modelId) : std::nullopt;
    if (!row) {
        m_modelId = 0;
        m_scroll->hide();
        m_placeholder->show();
        m_chunkMap->setData({});
        m_files->clear();
        return;
    }
    m_placeholder->hide();
    m_scroll->show();

    const ModelSummary& s = row->summary;
    m_title->setText(s.model.name);
    m_incomplete = s.model.state == ModelRecord::State::Incomplete;
    updateIncompleteBar();
    // Kept as shards, a chunk has no copies to count: all its shards or not (health says).
    const RedundancyScheme scheme = s.model.scheme(row->wantedReplicas);
    const QString kept =
        scheme.isShards()
            ? tr("kept as %1").arg(scheme.toString())
            : tr("worst chunk has %1 of %2 replicas").arg(s.minReplicas).arg(row->wantedReplicas);
    QString summary =
        tr("%1 in %2, %3 unique after deduplication, %4 floating on %5. Health: %6 (%7).")
            .arg(units::formatBytes(s.bytes), units::counted(s.files, tr("1 file"), tr("%1 files")),
                 units::formatBytes(s.uniqueBytes), units::formatBytes(row->storedBytes),
                 row->providers.isEmpty() ? tr("no provider yet")
                                          : row->providers.join(QLatin1String(", ")),
                 row->health, kept);
    // Health in words: whether it survives losing a provider, and whether it can be rebuilt.
    // An unfinished float's chunks that were never stored are not lost: they come when it is
    // resumed (or from the files, as "Use these files to repair it" does).
    if (s.lost > 0 && m_incomplete)
        summary += QLatin1Char(' ') +
                   units::counted(s.lost,
                                  tr("1 chunk is not stored yet: the float did not finish. "
                                     "Resume it to store it."),
                                  tr("%1 chunks are not stored yet: the float did not finish. "
                                     "Resume it to store them."));
    else if (s.lost > 0)
        summary += QLatin1Char(' ') +
                   units::counted(s.lost,
                                  tr("1 chunk has no good copy left: it cannot be rebuilt until "
                                     "one is found."),
                                  tr("%1 chunks have no good copy left: it cannot be rebuilt "
                                     "until one is found."));
    else if (row->health == QLatin1String("degraded"))
        summary += QLatin1Char(' ') +
                   (scheme.isShards()
                        ? units::counted(s.underReplicated,
                                         tr("It can be rebuilt; 1 chunk has lost a shard, and "
                                            "it is made again when the providers can take it "
                                            "(or now: Repair now)."),
                                         tr("It can be rebuilt; %1 chunks have lost shards, and "
                                            "they are made again when the providers can take "
                                            "them (or now: Repair now)."))
                        : units::counted(s.underReplicated,
                                         tr("It can be rebuilt; 1 chunk has fewer copies than "
                                            "wanted, and is repaired when the providers can take "
                                            "it (or now: Repair now)."),
                                         tr("It can be rebuilt; %1 chunks have fewer copies "
                                            "than wanted, and are repaired when the providers "
                                            "can take them (or now: Repair now).")));
    else if (row->health == QLatin1String("healthy"))
        summary += QLatin1Char(' ') +
                   (scheme.lossesSurvived() == 0
                        ? tr("It can be rebuilt, but does not survive the loss of a provider.")
                    : scheme.lossesSurvived() == 1
                        ? tr("It can be rebuilt, and survives the loss of a provider.")
                        : tr("It can be rebuilt, and survives the loss of any %1 providers.")
                              .arg(scheme.lossesSurvived()));
    // How fresh that is: the copies were last looked at then (repair looks first; so does the
    // background scrub, in time).
    summary += QLatin1Char(' ') + tr("Health %1.").arg(ModelListModel::checkedText(s.lastChecked));
    summary +=
        QLatin1Char(' ') +
        (s.lastVerified.isValid()
             ? tr("Every copy last read back and checked by %1.")
                   .arg(QLocale().toString(s.lastVerified.toLocalTime(), QLocale::ShortFormat))
             : tr("Not every copy has been read back yet."));
    if (!s.model.source.isEmpty())
        summary += QLatin1Char(' ') + tr("Source: %1.").arg(s.model.source);
    if (m_selectedCount > 1)
        summary +=
            QLatin1Char(' ') +
            tr("(%1 models are selected; actions apply to all of them.)").arg(m_selectedCount);
    m_summary->setText(summary);
    // A small JSON file beside the materialized cache's index.
    m_appUses->setUses(AppUses::ofVault(m_reader->directory()).of(s.model.name));

    clearMetadata();
    const QList<FileRecord> files = m_reader->registry().modelRows().files(m_modelId);
    // The format metadata of the largest file that has any (the weights).
    QJsonObject meta;
    qint64 largest = -1;
    for (const FileRecord& f : files)
        if (!f.metadata.isEmpty() && f.size > largest) {
            largest = f.size;
            meta = f.metadata;
        }
    const QList<QPair<QString, QString>> keys = {
        {QStringLiteral("format"), tr("Format")},
        {QStringLiteral("architecture"), tr("Architecture")},
        {QStringLiteral("name"), tr("Name in file")},
        {QStringLiteral("parameters"), tr("Parameters")},
        {QStringLiteral("quantization"), tr("Quantization")},
        {QStringLiteral("contextLength"), tr("Context length")},
        {QStringLiteral("hasChatTemplate"), tr("Chat template")},
        {QStringLiteral("tensorCount"), tr("Tensors")},
        {QStringLiteral("dtypes"), tr("Data types")},
    };
    // A file that looked like a model but whose header could not be read says why, in the
    // words the command line uses (formatdescription.h), not a column of unknowns.
    const QString problem = formats::formatProblem(meta);
    if (meta.isEmpty() || !problem.isEmpty()) {
        auto* value =
            new QLabel(problem.isEmpty() ? tr("not recognised — stored as plain files") : problem,
                       m_metadataBox);
        value->setWordWrap(true);
        value->setTextFormat(Qt::PlainText); // a file name is not markup
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_metadata->addRow(tr("Format:"), value);
    } else {
        for (const auto& [key, label] : keys) {
            auto* value = new QLabel(metadataText(meta.value(key)), m_metadataBox);
            value->setTextFormat(Qt::PlainText); // what a file says of itself is not markup
            value->setTextInteractionFlags(Qt::TextSelectableByMouse);
            m_metadata->addRow(label + QLatin1Char(':'), value);
        }
    }

    m_files->clear();
    for (const FileRecord& f : files) {
        auto* item = new QTreeWidgetItem(m_files);
        item->setText(0, f.path);
        item->setText(1, units::formatBytes(f.size));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(2, f.sha256.isEmpty() ? tr("(not complete)") : QString::fromLatin1(f.sha256));
        // The IPFS CID (docs/cids.md); none for a file floated before the vault kept them.
        item->setText(3, !f.cid.isEmpty()                         ? f.cid
                         : f.state == FileRecord::State::Complete ? tr("(not known)")
                                                                  : tr("(not complete)"));
        QFont mono = item->font(2);
        mono.setFamily(QStringLiteral("monospace"));
        mono.setStyleHint(QFont::Monospace);
        for (int column : {2, 3}) {
            item->setToolTip(column, item->text(column));
            item->setFont(column, mono);
        }
    }
    m_chunkMap->setData(ChunkMapData::load(*m_reader, m_modelId));
}

} // namespace mf::ui
