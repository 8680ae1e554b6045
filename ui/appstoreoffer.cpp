#include "appstoreoffer.h"

#include "appstores/modelcensus.h"
#include "engine/engine.h"
#include "registry/registry.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
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
    auto* layout = new QHBoxLayout(this);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    layout->addWidget(m_message, 1);
    auto* choose = new QPushButton(tr("&Choose…"), this);
    auto* notNow = new QPushButton(tr("Not now"), this);
    notNow->setToolTip(tr("Do not offer this again"));
    layout->addWidget(choose);
    layout->addWidget(notNow);
    connect(choose, &QPushButton::clicked, this, &AppStoreOffer::choose);
    connect(notNow, &QPushButton::clicked, this, &AppStoreOffer::dismiss);
    hide();
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
        m_message->setText(tr("Float %n model(s) found in %1 (%2)? The vault keeps them safe on "
                              "your providers.",
                              nullptr, int(candidates.size()))
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
        m_engine->floatFiles(request);
    }
    m_candidates = left;
    if (left.isEmpty())
        hide();
    else
        showCandidates(left);
}

void AppStoreOffer::dismiss()
{
    QSettings().setValue(QLatin1String(DismissedKey), true);
    hide();
}

} // namespace mf::ui
