#include "recoverykeybox.h"

#include "engine/engine.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace mf::ui {

RecoveryKeyBox::RecoveryKeyBox(Engine* engine, QWidget* parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_key(new QLineEdit(this))
    , m_show(new QPushButton(tr("&Show"), this))
    , m_copy(new QPushButton(tr("Cop&y"), this))
    , m_useOther(new QPushButton(tr("Use a key from another computer…"), this))
    , m_input(new QLineEdit(this))
    , m_useThis(new QPushButton(tr("Use this key"), this))
    , m_status(new QLabel(this))
{
    m_key->setObjectName(QStringLiteral("recoveryKey"));
    m_key->setReadOnly(true);
    m_key->setAccessibleName(tr("Recovery key"));
    m_key->setPlaceholderText(tr("Hidden until you show it"));
    m_key->setToolTip(tr("Another computer of yours needs this key to use the models this vault "
                         "keeps on your storage, and to recover them if this computer is lost. "
                         "Keep it where you keep passwords."));
    m_show->setObjectName(QStringLiteral("showRecoveryKey"));
    m_copy->setObjectName(QStringLiteral("copyRecoveryKey"));
    m_copy->setEnabled(false);
    m_useOther->setObjectName(QStringLiteral("useOtherRecoveryKey"));
    m_input->setObjectName(QStringLiteral("otherRecoveryKey"));
    m_input->setAccessibleName(tr("Recovery key from another computer"));
    m_input->setPlaceholderText(QStringLiteral("MFK1-…"));
    m_input->setVisible(false);
    m_useThis->setObjectName(QStringLiteral("useThisRecoveryKey"));
    m_useThis->setVisible(false);
    m_status->setObjectName(QStringLiteral("recoveryKeyStatus"));
    m_status->setWordWrap(true);
    m_status->setVisible(false);

    auto* keyRow = new QHBoxLayout;
    keyRow->setContentsMargins(0, 0, 0, 0);
    keyRow->addWidget(m_key, 1);
    keyRow->addWidget(m_show);
    keyRow->addWidget(m_copy);
    auto* inputRow = new QHBoxLayout;
    inputRow->setContentsMargins(0, 0, 0, 0);
    inputRow->addWidget(m_input, 1);
    inputRow->addWidget(m_useThis);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(keyRow);
    layout->addWidget(m_useOther, 0, Qt::AlignLeft);
    layout->addLayout(inputRow);
    layout->addWidget(m_status);

    connect(m_show, &QPushButton::clicked, this, [this] {
        m_show->setEnabled(false);
        if (m_engine)
            m_engine->showCatalogKey();
    });
    connect(m_copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_key->text()); });
    connect(m_useOther, &QPushButton::clicked, this, [this] {
        m_input->setVisible(true);
        m_useThis->setVisible(true);
        m_input->setFocus();
    });
    const auto useThis = [this] {
        if (m_input->text().trimmed().isEmpty() || !m_engine)
            return;
        m_useThis->setEnabled(false);
        m_engine->importCatalogKey(m_input->text());
    };
    connect(m_useThis, &QPushButton::clicked, this, useThis);
    connect(m_input, &QLineEdit::returnPressed, this, useThis);
    if (m_engine) {
        connect(m_engine, &Engine::catalogKeyShown, this, &RecoveryKeyBox::shown);
        connect(m_engine, &Engine::catalogKeyImported, this, &RecoveryKeyBox::imported);
    } else {
        m_show->setEnabled(false);
        m_useOther->setEnabled(false);
    }
}

void RecoveryKeyBox::shown(const QString& recoveryText, const QString& error)
{
    m_show->setEnabled(true);
    if (!error.isEmpty()) {
        say(error, true);
        return;
    }
    m_key->setText(recoveryText);
    m_key->setCursorPosition(0);
    m_copy->setEnabled(true);
    say(tr("On your other computer: Settings › Recovery key › Use a key from another computer, "
           "or `modelfloat-cli vault key import`."),
        false);
}

void RecoveryKeyBox::imported(const QString& error)
{
    m_useThis->setEnabled(true);
    if (!error.isEmpty()) {
        say(error, true);
        return;
    }
    m_input->clear();
    m_input->setVisible(false);
    m_useThis->setVisible(false);
    m_key->clear();
    m_copy->setEnabled(false);
    say(tr("This computer now uses that key: the models your other computers keep on your "
           "storage appear after the catalog is read."),
        false);
}

void RecoveryKeyBox::say(const QString& text, bool problem)
{
    m_status->setText(text);
    m_status->setForegroundRole(problem ? QPalette::BrightText : QPalette::WindowText);
    m_status->setVisible(true);
}

} // namespace mf::ui
