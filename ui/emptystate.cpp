#include "emptystate.h"

#include "icons.h"
#include "util/units.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

namespace {
constexpr int TextWidth = 520; // wrapped text in lines short enough to read at a glance

// A row that centres `w`; wrapped text gets a fixed width and takes the height its lines need
// (a widget aligned inside a box layout would only get its one-line height).
QHBoxLayout* centred(QWidget* w)
{
    if (auto* label = qobject_cast<QLabel*>(w)) {
        label->setWordWrap(true);
        label->setAlignment(Qt::AlignCenter);
        label->setFixedWidth(TextWidth);
    }
    auto* row = new QHBoxLayout;
    row->addStretch();
    row->addWidget(w);
    row->addStretch();
    return row;
}
} // namespace

EmptyState::EmptyState(QWidget* parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Empty vault"));
    auto* layout = new QVBoxLayout(this);
    layout->addStretch(2);

    auto* picture = new QLabel(this);
    picture->setPixmap(icon(QStringLiteral("drop")).pixmap(QSize(128, 128), devicePixelRatioF()));
    picture->setAlignment(Qt::AlignCenter);
    layout->addWidget(picture);

    auto* headline = new QLabel(tr("Drop model files here to float them"), this);
    QFont f = headline->font();
    f.setPointSizeF(f.pointSizeF() * 1.6);
    f.setBold(true);
    headline->setFont(f);
    headline->setAlignment(Qt::AlignCenter);
    layout->addWidget(headline);

    auto* explanation = new QLabel(
        tr("GGUF, safetensors or any other files: ModelFloat cuts them into chunks, keeps "
           "replicas of every chunk on your storage providers and restores them byte for byte "
           "when you need them."),
        this);
    explanation->setForegroundRole(QPalette::PlaceholderText);
    layout->addLayout(centred(explanation));

    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    m_files = new QPushButton(icon(QStringLiteral("float")), tr("Choose files…"), this);
    m_files->setAccessibleName(tr("Choose files to float"));
    m_files->setDefault(true);
    m_folder = new QPushButton(tr("Choose a folder…"), this);
    m_folder->setAccessibleName(tr("Choose a folder to float"));
    buttons->addWidget(m_files);
    buttons->addWidget(m_folder);
    buttons->addStretch();
    layout->addSpacing(12);
    layout->addLayout(buttons);

    // First run: what providers and copies are, in plain words, and with a single provider the
    // offer to add a second (one place is one disk that can fail).
    auto* heading = new QLabel(tr("How it works"), this);
    QFont bold = heading->font();
    bold.setBold(true);
    heading->setFont(bold);
    heading->setAlignment(Qt::AlignCenter);
    m_howItWorks = new QLabel(this);
    m_howItWorks->setAccessibleName(tr("How ModelFloat keeps models"));
    m_howItWorks->setTextFormat(Qt::PlainText);
    m_secondOffer = new QWidget(this);
    m_secondOffer->setAccessibleName(tr("Add a second provider"));
    auto* offer = new QVBoxLayout(m_secondOffer);
    offer->setContentsMargins(0, 0, 0, 0);
    auto* why = new QLabel(tr("With one provider every model is in one place only. Add a second "
                              "one (another disk, a NAS or a cloud account) and every piece gets "
                              "a copy there too."),
                           m_secondOffer);
    m_addSecond =
        new QPushButton(icon(QStringLiteral("add")), tr("Add a second provider…"), m_secondOffer);
    m_addSecond->setAccessibleName(tr("Add a second provider"));
    offer->addLayout(centred(why));
    offer->addLayout(centred(m_addSecond));
    m_secondOffer->hide();
    layout->addSpacing(24);
    layout->addWidget(heading);
    layout->addLayout(centred(m_howItWorks));
    layout->addSpacing(6);
    layout->addWidget(m_secondOffer);
    setProviders(1, 1);

    // The other way to start: a new computer, with the storage an old one filled.
    auto* elsewhere = new QLabel(tr("Used ModelFloat on another computer? Connect the storage "
                                    "it used and its models come back here."),
                                 this);
    elsewhere->setWordWrap(true);
    elsewhere->setAlignment(Qt::AlignCenter);
    elsewhere->setForegroundRole(QPalette::PlaceholderText);
    m_connect =
        new QPushButton(icon(QStringLiteral("providers")), tr("Connect existing storage…"), this);
    m_connect->setAccessibleName(tr("Connect storage another computer filled"));
    auto* connectRow = new QHBoxLayout;
    connectRow->addStretch();
    connectRow->addWidget(m_connect);
    connectRow->addStretch();
    layout->addSpacing(28);
    layout->addWidget(elsewhere);
    layout->addLayout(connectRow);
    layout->addStretch(3);

    connect(m_files, &QPushButton::clicked, this, &EmptyState::chooseFilesRequested);
    connect(m_folder, &QPushButton::clicked, this, &EmptyState::chooseFolderRequested);
    connect(m_connect, &QPushButton::clicked, this, &EmptyState::connectStorageRequested);
    connect(m_addSecond, &QPushButton::clicked, this, &EmptyState::addProviderRequested);
}

void EmptyState::setProviders(int providerCount, int wantedCopies)
{
    const QString copies = units::counted(wantedCopies, tr("1 copy"), tr("%1 copies"));
    const QString providers = units::counted(providerCount, tr("1 provider"), tr("%1 providers"));
    m_howItWorks->setText(
        tr("A provider is a place that keeps your models, such as a folder on this "
           "computer, a USB disk, a NAS or a cloud account. Every model is cut into pieces, and "
           "each piece is kept on several providers: those are its copies. If one place breaks, "
           "the other copies rebuild the model.\n\nThis vault has %1 and keeps %2 of every "
           "piece.")
            .arg(providers, copies));
    m_secondOffer->setVisible(providerCount == 1);
}

} // namespace mf::ui
