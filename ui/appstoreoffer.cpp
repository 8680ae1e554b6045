#include "appstoreoffer.h"

#include "appcopiesfinder.h"
#include "appstores/modelcensus.h"
#include "engine/engine.h"
#include "freecopiesprompt.h"
#include "registry/registry.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QThreadPool>
#include <QVBoxLayout>

namespace mf::ui {

namespace {

// What the vault already holds: each complete file's SHA-256, and its name with its size (LM
// Studio keeps no digest: a file of that name and size is taken as the same, as `scan` does).
struct Floated
{
    QSet<QByteArray> sha256;
    QSet<QString> nameAndSize;
    bool holds(const appstores::CensusModel& m) const
    {
        if (!m.sha256.isEmpty())
            return sha256.contains(m.sha256);
        return nameAndSize.contains(m.name + QLatin1Char('/') + QString::number(m.size));
    }
};

Floated floatedIn(const QString& vaultDirectory)
{
    Floated floated;
    QString error;
    const auto registry =
        Registry::open(QDir(vaultDirectory).filePath(QStringLiteral("registry.sqlite")), &error);
    if (!registry)
        return floated;
    for (const ModelRecord& model : registry->modelRows().models())
        for (const FileRecord& f : registry->modelRows().files(model.id)) {
            if (f.sha256.isEmpty())
                continue;
            floated.sha256.insert(f.sha256);
            floated.nameAndSize.insert(f.path.section(QLatin1Char('/'), -1) + QLatin1Char('/') +
                                       QString::number(f.size));
        }
    return floated;
}

// The `float --from` spec of one place, or empty where there is none (llama.cpp's own flat
// files). A Hugging Face snapshot floats whole: "repo@ref".
QString fromSpec(const appstores::Place& place)
{
    using appstores::App;
    const appstores::FoundCopy& c = place.copy;
    switch (c.app) {
    case App::Ollama:
        return QStringLiteral("ollama:") + c.label;
    case App::LmStudio:
        return QStringLiteral("lmstudio:") + c.label;
    case App::HfCache:
        return QStringLiteral("hf-cache:") + c.label.section(QLatin1Char(':'), 0, 0);
    case App::LlamaCpp:
        return {};
    }
    return {};
}

// Runs on a pool thread: the census, the vault's files, and a source for each model not
// floated yet (the apps with a digest first: their copy is checked as it floats).
QList<AppStoreOffer::Candidate> findCandidates(const QString& vaultDirectory,
                                               const std::atomic_bool* cancelled)
{
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString home = QDir::homePath();
    const appstores::Census census =
        appstores::takeCensus(appstores::storeRoots(env, home), false, cancelled);
    QList<AppStoreOffer::Candidate> candidates;
    if (census.cancelled || census.models.isEmpty())
        return candidates;
    const Floated floated = floatedIn(vaultDirectory);
    QSet<QString> specs;
    for (const appstores::CensusModel& m : census.models) {
        if (floated.holds(m))
            continue;
        QList<appstores::Place> places = m.places;
        std::stable_sort(places.begin(), places.end(), [](const auto& a, const auto& b) {
            return (a.copy.app == appstores::App::LmStudio) <
                   (b.copy.app == appstores::App::LmStudio);
        });
        for (const appstores::Place& place : places) {
            const QString spec = fromSpec(place);
            if (spec.isEmpty())
                continue;
            if (specs.contains(spec))
                break;
            QString why;
            auto source = appstores::resolveAppSource(spec, env, home, QString(), &why);
            if (!source)
                continue;
            specs.insert(spec);
            candidates.append({QCoreApplication::translate("mf::ui::AppStoreOffer", "%1 in %2")
                                   .arg(place.copy.label, appstores::appName(place.copy.app)),
                               m.size, *source});
            break;
        }
    }
    return candidates;
}

} // namespace

AppStoreOffer::AppStoreOffer(Engine* engine, QWidget* parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_message(new QLabel(this))
{
    setAccessibleName(tr("Models found in other apps"));
    auto* rows = new QVBoxLayout(this);
    m_offerRow = new QWidget(this);
    auto* layout = new QHBoxLayout(m_offerRow);
    layout->setContentsMargins(0, 0, 0, 0);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    layout->addWidget(m_message, 1);
    auto* choose = new QPushButton(tr("&Choose…"), this);
    auto* notNow = new QPushButton(tr("Not now"), this);
    notNow->setToolTip(tr("Do not offer this again"));
    layout->addWidget(choose);
    layout->addWidget(notNow);
    rows->addWidget(m_offerRow);
    auto* replaceRow = new QHBoxLayout;
    m_replaceMessage = new QLabel(this);
    m_replaceMessage->setWordWrap(true);
    m_replaceMessage->setTextFormat(Qt::PlainText);
    m_replaceMessage->hide();
    replaceRow->addWidget(m_replaceMessage, 1);
    m_replaceButtons = new QWidget(this);
    auto* buttons = new QHBoxLayout(m_replaceButtons);
    buttons->setContentsMargins(0, 0, 0, 0);
    m_replaceButton = new QPushButton(m_replaceButtons);
    m_replaceButton->setToolTip(tr("Each app's copy becomes a link to the vault's one shared "
                                   "copy: the apps keep working"));
    auto* floatingOnly = new QPushButton(tr("Keep it floating only…"), m_replaceButtons);
    floatingOnly->setToolTip(tr("Remove the apps' copies: they no longer have the model, the "
                                "vault keeps it"));
    auto* keep = new QPushButton(tr("Keep them"), m_replaceButtons);
    buttons->addWidget(m_replaceButton);
    buttons->addWidget(floatingOnly);
    buttons->addWidget(keep);
    m_replaceButtons->hide();
    replaceRow->addWidget(m_replaceButtons);
    rows->addLayout(replaceRow);
    connect(m_replaceButton, &QPushButton::clicked, this, &AppStoreOffer::replaceCopies);
    connect(floatingOnly, &QPushButton::clicked, this, &AppStoreOffer::keepFloatingOnly);
    connect(keep, &QPushButton::clicked, this, [this] {
        if (m_offered)
            m_declined.insert(m_offered->modelId);
        closeFreeOffer();
    });
    connect(choose, &QPushButton::clicked, this, &AppStoreOffer::choose);
    connect(notNow, &QPushButton::clicked, this, &AppStoreOffer::dismiss);
    hide();
    if (m_engine)
        connect(m_engine, &Engine::transferChanged, this, &AppStoreOffer::onTransfer);
    if (m_engine)
        connect(m_engine, &Engine::opened, this, [this](const QString& error) {
            if (error.isEmpty() && !QSettings().value(QLatin1String(DismissedKey)).toBool())
                startScan();
        });
}

AppStoreOffer::~AppStoreOffer()
{
    m_cancelled->store(true);
}

QWidget* AppStoreOffer::withPage(QWidget* page)
{
    auto* container = new QWidget(page->parentWidget());
    auto* layout = new QVBoxLayout(container);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(this);
    layout->addWidget(page, 1);
    return container;
}

void AppStoreOffer::startScan()
{
    ++m_scans;
    QPointer<AppStoreOffer> self(this);
    auto cancelled = m_cancelled;
    QThreadPool::globalInstance()->start([self, cancelled, dir = m_engine->vaultDirectory()] {
        const QList<Candidate> found = findCandidates(dir, cancelled.get());
        QMetaObject::invokeMethod(
            qApp,
            [self, found] {
                if (self)
                    self->showCandidates(found);
            },
            Qt::QueuedConnection);
    });
}

void AppStoreOffer::showCandidates(const QList<Candidate>& candidates)
{
    m_candidates = candidates;
    if (!candidates.isEmpty()) {
        qint64 bytes = 0;
        QStringList apps;
        for (const Candidate& c : candidates) {
            bytes += c.bytes;
            const QString app = c.label.section(tr(" in "), -1);
            if (!apps.contains(app))
                apps.append(app);
        }
        m_message->setText(units::counted(candidates.size(),
                                          tr("Float 1 model found in %2 (%3)? The vault keeps "
                                             "it safe on your providers."),
                                          tr("Float %1 models found in %2 (%3)? The vault keeps "
                                             "them safe on your providers."))
                               .arg(apps.join(QStringLiteral(" / ")), units::formatBytes(bytes)));
        show();
    }
    Q_EMIT scanned(int(candidates.size()));
}

void AppStoreOffer::choose()
{
    if (m_chooser || m_candidates.isEmpty())
        return;
    m_chooser = new QDialog(this);
    m_chooser->setAttribute(Qt::WA_DeleteOnClose);
    m_chooser->setWindowTitle(tr("Float models from other apps"));
    auto* layout = new QVBoxLayout(m_chooser);
    layout->addWidget(new QLabel(tr("Each is read once and checked against its app's digest as "
                                    "it floats."),
                                 m_chooser));
    m_list = new QListWidget(m_chooser);
    for (const Candidate& c : std::as_const(m_candidates)) {
        auto* item =
            new QListWidgetItem(tr("%1 (%2)").arg(c.label, units::formatBytes(c.bytes)), m_list);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    layout->addWidget(m_list);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, m_chooser);
    buttons->addButton(tr("&Float"), QDialogButtonBox::AcceptRole);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, m_chooser, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, m_chooser, &QDialog::reject);
    connect(m_chooser, &QDialog::accepted, this, &AppStoreOffer::floatChosen);
    m_chooser->open();
}

void AppStoreOffer::floatChosen()
{
    QList<Candidate> left;
    for (int i = 0; i < m_candidates.size(); ++i) {
        const Candidate& c = m_candidates.at(i);
        if (m_list->item(i)->checkState() != Qt::Checked) {
            left.append(c);
            continue;
        }
        // As `modelfloat-cli float --from` makes it (app/cli/cmd_float.cpp).
        FloatRequest request;
        request.paths = c.source.paths;
        request.names = c.source.names;
        request.expectedSha256 = c.source.expectedSha256;
        request.source = c.source.source;
        request.modelName = c.source.suggestedName;
        // Verified as soon as it floated: then the apps' copies can be offered.
        m_floating.insert(m_engine->floatFiles(request));
    }
    m_candidates = left;
    m_offerRow->setVisible(!left.isEmpty());
    if (left.isEmpty() && !m_offered)
        hide();
    else if (!left.isEmpty())
        showCandidates(left);
}

// A chosen model floated: every copy is read back and verified first. Any model verified (here
// or by the person): the apps' own copies of it are looked for, and offered if there are any.
void AppStoreOffer::onTransfer(const TransferInfo& info)
{
    if (!info.isFinished() || info.fromHistory)
        return;
    const bool done = info.state == TransferInfo::State::Done;
    if (m_floating.remove(info.id)) {
        if (done && info.modelId)
            m_engine->verifyModel(info.modelId);
    } else if (info.kind == TransferInfo::Kind::Verify && done && info.modelId &&
               !m_declined.contains(info.modelId) && !m_freeing && !m_looked.contains(info.id)) {
        m_looked.insert(info.id); // a transfer's end may be told more than once
        findAppCopies(this, m_engine->vaultDirectory(), info.modelId,
                      [this, id = info.modelId](const QString& model, const auto& copies) {
                          if (!copies.isEmpty() && !m_freeing)
                              offerFree(id, model, copies);
                      });
    } else if (info.id == m_freeing) {
        m_freeing = 0;
        m_replaceMessage->setText(info.state == TransferInfo::State::Done
                                      ? info.summary
                                      : tr("%1 failed: %2").arg(info.title, info.error));
    }
}

void AppStoreOffer::offerFree(qint64 modelId, const QString& model,
                              const QList<appstores::AppCopy>& copies)
{
    m_offered = Offered{modelId, model, copies};
    const QString replace = replaceButtonText(copies);
    m_replaceMessage->setText(
        tr("“%1” is floated and every copy verified. %2").arg(model, appCopiesText(copies)) +
        (replace.isEmpty() ? QString()
                           : tr(" Replacing them by one shared copy frees %1; the apps "
                                "keep working.")
                                 .arg(units::formatBytes(appstores::duplicateBytesOf(copies)))));
    m_replaceButton->setText(replace);
    m_replaceButton->setVisible(!replace.isEmpty());
    m_replaceMessage->show();
    m_replaceButtons->show();
    show();
}

void AppStoreOffer::closeFreeOffer()
{
    m_offered.reset();
    m_replaceMessage->hide();
    m_replaceButtons->hide();
    setVisible(!m_candidates.isEmpty());
}

void AppStoreOffer::replaceCopies()
{
    if (!m_offered || !m_engine)
        return;
    const Offered offered = *std::exchange(m_offered, std::nullopt);
    m_freeing = m_engine->freeAppCopies(offered.modelId, false);
    m_replaceButtons->hide();
    m_replaceMessage->setText(tr("Replacing the apps' copies of “%1”…").arg(offered.model));
}

void AppStoreOffer::keepFloatingOnly()
{
    if (!m_offered || !m_engine || m_question)
        return;
    const Offered offered = *m_offered;
    m_question = askKeepFloatingOnly(this, offered.model, offered.copies, [this, offered] {
        if (!m_offered || m_offered->modelId != offered.modelId)
            return;
        m_offered.reset();
        m_freeing = m_engine->freeAppCopies(offered.modelId, true);
        m_replaceButtons->hide();
        m_replaceMessage->setText(tr("Removing the apps' copies of “%1”…").arg(offered.model));
    });
}

void AppStoreOffer::dismiss()
{
    QSettings().setValue(QLatin1String(DismissedKey), true);
    hide();
}

} // namespace mf::ui
