#include "watchedfoldersbox.h"

#include "appstores/appstore.h"
#include "engine/engine.h"

#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QProcessEnvironment>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

WatchedFoldersBox::WatchedFoldersBox(Engine* engine, QWidget* parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_rowsLayout(new QVBoxLayout)
    , m_add(new QPushButton(tr("Add folder…"), this))
    , m_status(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* intro = new QLabel(tr("New and changed models in these folders float by themselves "
                                "once they have finished downloading. Nothing is ever removed "
                                "from the vault when a file is deleted here."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_rowsLayout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(m_rowsLayout);
    layout->addWidget(m_add, 0, Qt::AlignLeft);
    m_status->setWordWrap(true);
    m_status->hide();
    layout->addWidget(m_status);

    connect(m_add, &QPushButton::clicked, this, [this] {
        auto* dialog = new QFileDialog(this, tr("Watch a folder"), QDir::homePath());
        dialog->setFileMode(QFileDialog::Directory);
        dialog->setOption(QFileDialog::ShowDirsOnly);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QFileDialog::fileSelected, this, &WatchedFoldersBox::addFolder);
        dialog->open(); // not exec(): no nested event loop
    });
    if (m_engine) {
        connect(m_engine, &Engine::watchedFoldersChanged, this, &WatchedFoldersBox::show);
        show(m_engine->watchedFolders(), QString());
    } else {
        m_add->setEnabled(false);
    }
}

QStringList WatchedFoldersBox::suggestedFolders(const QString& home)
{
    QStringList out;
    auto offer = [&out](const QString& path) {
        const QFileInfo info(path);
        if (info.isDir() && !out.contains(info.canonicalFilePath()))
            out.append(info.canonicalFilePath());
    };
    // The stores that keep plain model files (Ollama keeps blobs named by digest, which a
    // watched folder would float under meaningless names).
    for (const appstores::StoreRoot& root :
         appstores::storeRoots(QProcessEnvironment::systemEnvironment(), home))
        if (root.app == appstores::App::LmStudio || root.app == appstores::App::HfCache)
            offer(root.path);
    offer(home + QStringLiteral("/models"));
    return out;
}

void WatchedFoldersBox::addFolder(const QString& path)
{
    if (m_engine && !path.isEmpty())
        m_engine->addWatchedFolder(path);
}

void WatchedFoldersBox::show(const QStringList& watched, const QString& error)
{
    // Called from the engine's signal, never from a row's own: the rows can go at once.
    qDeleteAll(m_rows);
    m_rows.clear();
    QStringList rows = watched;
    for (const QString& s : suggestedFolders(QDir::homePath()))
        if (!rows.contains(s))
            rows.append(s);
    for (const QString& path : std::as_const(rows)) {
        // A '&' in a path is part of its name, not a mnemonic.
        auto* row = new QCheckBox(
            QDir::toNativeSeparators(path).replace(QLatin1Char('&'), QLatin1String("&&")), this);
        row->setAccessibleDescription(tr("Watched folder"));
        row->setChecked(watched.contains(path));
        if (!watched.contains(path))
            row->setToolTip(tr("Found on this computer; check it to watch it"));
        connect(row, &QCheckBox::clicked, this,
                [this, path](bool checked) { onClicked(path, checked); });
        m_rowsLayout->addWidget(row);
        m_rows.append(row);
    }
    m_status->setText(error);
    m_status->setVisible(!error.isEmpty());
}

void WatchedFoldersBox::onClicked(const QString& path, bool checked)
{
    if (!m_engine)
        return;
    if (checked)
        m_engine->addWatchedFolder(path);
    else
        m_engine->removeWatchedFolder(path);
}

} // namespace mf::ui
