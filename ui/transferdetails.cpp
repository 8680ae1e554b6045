#include "transferdetails.h"

#include "util/units.h"

#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QVBoxLayout>

namespace mf::ui {

namespace {

QString when(const QDateTime& time)
{
    return time.isValid() ? QLocale().toString(time, QLocale::ShortFormat) : QString();
}

} // namespace

TransferDetails::TransferDetails(QWidget* parent)
    : QWidget(parent)
    , m_placeholder(new QLabel(tr("Select a transfer to see its details."), this))
    , m_scroll(new QScrollArea(this))
    , m_content(new QWidget(m_scroll))
    , m_form(new QGridLayout)
    , m_title(new QLabel(m_content))
{
    setAccessibleName(tr("Transfer details"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setEnabled(false); // drawn as a hint, in the palette's disabled text colour
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_form->setColumnStretch(1, 1);
    for (const QString& name :
         {tr("State"), tr("Providers"), tr("Chunks"), tr("Retries"), tr("Doing"), tr("Started"),
          tr("Finished"), tr("Ran for"), tr("Average rate"), tr("Already stored"), tr("Warnings"),
          tr("Error")})
        addRow(name);
    auto* content = new QVBoxLayout(m_content);
    content->setContentsMargins(6, 6, 6, 6);
    content->addWidget(m_title);
    content->addLayout(m_form);
    content->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_placeholder);
    m_scroll->setWidget(m_content);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    layout->addWidget(m_scroll);
    showTransfer(nullptr);
}

QSize TransferDetails::sizeHint() const
{
    return {QWidget::sizeHint().width(), fontMetrics().lineSpacing() * 12};
}

QLabel* TransferDetails::addRow(const QString& name)
{
    auto* value = new QLabel(m_content);
    value->setWordWrap(true);
    // Errors and warnings are for copying into a bug report or a search.
    value->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    value->setTextFormat(Qt::PlainText);
    auto* label = new QLabel(tr("%1:").arg(name), m_content);
    label->setBuddy(value);
    value->setAccessibleName(name);
    // A grid rather than a QFormLayout: hiding a row of one (setRowVisible) corrupts memory in
    // Qt 6.4 when its labels wrap (heightForWidth), and an empty row here takes no room.
    const int row = m_form->rowCount();
    m_form->addWidget(label, row, 0, Qt::AlignLeft | Qt::AlignTop);
    m_form->addWidget(value, row, 1);
    m_rows.insert(name, value);
    m_labels.insert(value, label);
    return value;
}

void TransferDetails::setRow(QLabel* value, const QString& text)
{
    value->setText(text);
    value->setVisible(!text.isEmpty());
    m_labels.value(value)->setVisible(!text.isEmpty());
}

QString TransferDetails::label(const QString& name) const
{
    const QLabel* label = m_labels.value(m_rows.value(name));
    return label ? label->text() : QString();
}

QString TransferDetails::field(const QString& name) const
{
    const QLabel* value = m_rows.value(name);
    return value && m_scroll->isVisibleTo(this) && !value->isHidden() ? value->text() : QString();
}

void TransferDetails::showTransfer(const TransferInfo* info)
{
    m_id = info ? info->id : 0;
    m_placeholder->setVisible(!info);
    m_scroll->setVisible(info != nullptr);
    if (!info)
        return;
    using State = TransferInfo::State;
    m_title->setText(info->title);
    setRow(m_rows.value(tr("State")), TransferInfo::stateName(info->state));
    setRow(m_rows.value(tr("Providers")), info->providers.join(QStringLiteral(", ")));
    QString chunks;
    if (info->chunksDone >= 0 && info->chunksTotal >= 0)
        chunks = tr("%1 of %2").arg(info->chunksDone).arg(info->chunksTotal);
    else if (info->chunksDone >= 0)
        chunks = tr("%1 so far").arg(info->chunksDone);
    else if (info->chunksTotal >= 0)
        chunks = tr("%1 in all").arg(info->chunksTotal);
    setRow(m_rows.value(tr("Chunks")), chunks);
    setRow(m_rows.value(tr("Retries")), info->retries > 0 || info->state == State::Running
                                            ? QString::number(info->retries)
                                            : QString());
    QString doing = info->stage;
    if (info->state == State::Running && !info->retrying.isEmpty())
        doing = tr("Retrying %1").arg(info->retrying);
    else if (info->state == State::Queued && info->waitingUntil.isValid())
        doing = tr("Waiting until %1 for a paused provider").arg(when(info->waitingUntil));
    setRow(m_rows.value(tr("Doing")), doing);
    setRow(m_rows.value(tr("Started")), when(info->started));
    // A cancelled or failed transfer did not finish: its row says what ended it.
    m_labels.value(m_rows.value(tr("Finished")))
        ->setText(info->state == State::Cancelled ? tr("Cancelled:")
                  : info->state == State::Failed  ? tr("Failed:")
                                                  : tr("Finished:"));
    setRow(m_rows.value(tr("Finished")), when(info->finished));
    setRow(m_rows.value(tr("Ran for")),
           info->activeMs > 0 ? units::formatDuration(info->activeMs / 1000) : QString());
    const double rate = info->averageBytesPerSecond();
    setRow(m_rows.value(tr("Average rate")),
           rate > 0 && info->isFinished() ? units::formatRate(rate) : QString());
    setRow(m_rows.value(tr("Already stored")),
           info->deduplicatedBytes > 0
               ? tr("%1, not sent again").arg(units::formatBytes(info->deduplicatedBytes))
               : QString());
    setRow(m_rows.value(tr("Warnings")), info->warnings.join(QLatin1Char('\n')));
    setRow(m_rows.value(tr("Error")), info->error);
}

} // namespace mf::ui
