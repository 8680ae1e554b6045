// scan: the models Ollama, LM Studio, the Hugging Face cache and llama.cpp already keep on this
// computer, each listed once with every place it lives and the disk spent on duplicate copies
// (docs/appstores.md). Reads no vault: it shows what floating them would save.
#include "command.h"

#include "appstores/modelcensus.h"
#include "texttable.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QPointer>
#include <QThreadPool>

#include <openssl/crypto.h>

namespace mf::cli {

namespace {

using namespace appstores;

class ScanCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addOption({QStringLiteral("verify"),
                     QStringLiteral("Read every file and check it against its app's digest (as "
                                    "long as reading all of them takes).")});
        const struct
        {
            App app;
            const char* option;
        } overrides[] = {{App::Ollama, "ollama"},
                         {App::LmStudio, "lmstudio"},
                         {App::HfCache, "hf-cache"},
                         {App::LlamaCpp, "llama-cache"}};
        for (const auto& o : overrides)
            p.addOption({QString::fromLatin1(o.option),
                         QStringLiteral("Look for %1's models in DIR instead of where it keeps "
                                        "them (repeatable).")
                             .arg(appName(o.app)),
                         QStringLiteral("DIR")});
        if (!parse(p, args,
                   QStringLiteral("scan [--verify] [--ollama DIR] [--lmstudio DIR] "
                                  "[--hf-cache DIR] [--llama-cache DIR]"),
                   0, 0))
            return;
        QList<StoreRoot> roots;
        for (const StoreRoot& r :
             storeRoots(QProcessEnvironment::systemEnvironment(), QDir::homePath())) {
            bool replaced = false;
            for (const auto& o : overrides)
                replaced = replaced || (o.app == r.app && p.isSet(QString::fromLatin1(o.option)));
            if (!replaced)
                roots.append(r);
        }
        for (const auto& o : overrides)
            for (const QString& dir : p.values(QString::fromLatin1(o.option)))
                roots.append({o.app, QDir(dir).absolutePath(),
                              QStringLiteral("--%1").arg(QLatin1String(o.option))});
        m_roots = roots;

        // Listing is quick, reading every byte is not: off the event loop, so Ctrl-C is heard.
        QPointer<ScanCommand> self(this);
        auto cancelled = m_cancelled;
        const bool verify = p.isSet(QStringLiteral("verify"));
        QThreadPool::globalInstance()->start([self, cancelled, roots, verify] {
            Census census = takeCensus(roots, verify, cancelled.get());
            OPENSSL_thread_stop(); // as every hashing pool task does (cmd_cid.cpp)
            QMetaObject::invokeMethod(
                qApp,
                [self, census] {
                    if (self)
                        self->report(census);
                },
                Qt::QueuedConnection);
        });
    }

    void interrupt() override { m_cancelled->store(true); } // report() then finishes

private:
    static QString intactText(const Place& place)
    {
        if (!place.intact)
            return QString();
        return *place.intact ? QStringLiteral(" ✓") : QStringLiteral(" ✗ damaged");
    }

    static QJsonValue intactJson(const Place& place)
    {
        return place.intact ? QJsonValue(*place.intact) : QJsonValue(QJsonValue::Null);
    }

    void report(const Census& census)
    {
        if (census.cancelled)
            return finish(Interrupted);
        for (const QString& w : census.warnings)
            console().warning(w);

        TextTable table({QStringLiteral("MODEL FILE"), QStringLiteral("SIZE"),
                         QStringLiteral("COPIES"), QStringLiteral("WHERE")},
                        {48, 10, 6, 100});
        QJsonArray models;
        for (const CensusModel& m : census.models) {
            QStringList where;
            QJsonArray places;
            int copies = 0;
            for (const Place& place : m.places) {
                copies += place.sharesDisk ? 0 : 1;
                where.append(appName(place.copy.app) + QLatin1Char(' ') + place.copy.label +
                             intactText(place));
                QJsonObject origin;
                for (const auto& [key, value] : place.copy.origin)
                    origin.insert(key, value);
                places.append(QJsonObject{{QStringLiteral("app"), appKey(place.copy.app)},
                                          {QStringLiteral("label"), place.copy.label},
                                          {QStringLiteral("path"), place.copy.path},
                                          {QStringLiteral("file"), place.canonicalPath},
                                          {QStringLiteral("same_file_as_before"), place.sharesDisk},
                                          {QStringLiteral("intact"), intactJson(place)},
                                          {QStringLiteral("origin"), origin}});
            }
            // One line per place: the model's columns on its first.
            for (qsizetype i = 0; i < where.size(); ++i)
                table.addRow(i == 0 ? QStringList{m.name, units::formatBytes(m.size),
                                                  QString::number(copies), where.at(i)}
                                    : QStringList{QString(), QString(), QString(), where.at(i)});
            models.append(QJsonObject{
                {QStringLiteral("name"), m.name},
                {QStringLiteral("size"), m.size},
                {QStringLiteral("sha256"), QString::fromLatin1(m.sha256)},
                {QStringLiteral("sha256_from"),
                 m.sha256.isEmpty() ? QStringLiteral("unknown")
                                    : (m.shaRead ? QStringLiteral("read") : QStringLiteral("app"))},
                {QStringLiteral("copies"), copies},
                {QStringLiteral("duplicate_bytes"), m.duplicateBytes},
                {QStringLiteral("places"), places}});
        }
        QJsonArray stores;
        for (const StoreRoot& r : std::as_const(m_roots))
            stores.append(QJsonObject{{QStringLiteral("app"), appKey(r.app)},
                                      {QStringLiteral("path"), r.path},
                                      {QStringLiteral("because"), r.because},
                                      {QStringLiteral("exists"), QFileInfo(r.path).isDir()}});

        if (census.models.isEmpty()) {
            console().print(QStringLiteral("No models found in the places Ollama, LM Studio, the "
                                           "Hugging Face cache and llama.cpp keep them."));
        } else {
            for (const QString& line : table.lines())
                console().print(line);
            console().print(QString());
            console().print(
                QStringLiteral("%1, %2 on disk; %3 of it in duplicate copies")
                    .arg(units::counted(census.models.size(), QStringLiteral("1 model file"),
                                        QStringLiteral("%1 model files")),
                         units::formatBytes(census.bytesOnDisk),
                         units::formatBytes(census.duplicateBytes)));
        }
        console().printJson(
            {{QStringLiteral("models"), models},
             {QStringLiteral("bytes_on_disk"), census.bytesOnDisk},
             {QStringLiteral("duplicate_bytes"), census.duplicateBytes},
             {QStringLiteral("stores"), stores},
             {QStringLiteral("warnings"), QJsonArray::fromStringList(census.warnings)}});
        const bool damaged =
            std::any_of(census.models.cbegin(), census.models.cend(), [](const CensusModel& m) {
                return std::any_of(m.places.cbegin(), m.places.cend(),
                                   [](const Place& p) { return p.intact == false; });
            });
        finish(damaged ? IntegrityProblem : Success);
    }

    std::shared_ptr<std::atomic_bool> m_cancelled = std::make_shared<std::atomic_bool>(false);
    QList<StoreRoot> m_roots;
};

} // namespace

Command* makeScanCommand(Context& ctx)
{
    return new ScanCommand(ctx);
}

} // namespace mf::cli
