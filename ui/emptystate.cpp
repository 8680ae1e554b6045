#include "emptystate.h"

#include "icons.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

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
    explanation->setWordWrap(true);
    explanation->setAlignment(Qt::AlignCenter);
    explanation->setFixedWidth(520);
    explanation->setForegroundRole(QPalette::PlaceholderText);
    auto* centred = new QHBoxLayout;
    centred->addStretch();
    centred->addWidget(explanation);
    centred->addStretch();
    layout->addLayout(centred);

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
}

} // namespace mf::ui
