// `materialize MODEL [--to DIR]`: a model written back where runtimes load it (a plain folder,
// or the Hugging Face cache layout); without --to, into the local materialized cache, which is
// kept under its size cap by evicting the least recently used models. `evict` removes models
// from that cache. `use MODEL --in APP` materializes a model into that cache once and registers
// the one copy in an app's store (appstores/appuse.h).

#include "command.h"

#include "texttable.h"

#include "appstores/appuse.h"
#include "appstores/appusejob.h"
#include "hub/appuses.h"
#include "hub/hfcachelayout.h"
#include "hub/materializedcache.h"
#include "hub/materializejob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDir>
#include <QJsonArray>

namespace mf::cli {

namespace {

qint64 cacheCap(Vault* vault, const QCommandLineParser& p, bool* ok)
{
    *ok = true;
    const QString text = p.value(QStringLiteral("cache-max"));
    if (text.isEmpty())
        return vault->cacheBudgetBytes();
    const auto bytes = units::parseBytes(text);
    *ok = bytes && *bytes >= 0;
    return bytes.value_or(0);
}

// After a materialization into the cache: the model's entry, then the two caches of this disk
// kept within their budget, cached chunks evicted first. False (said on the console) when the
// cache index cannot be written.
bool recordInCache(Console& console, Vault* vault, MaterializedCache& cache, const QString& model,
                   const MaterializeJob& job, qint64 cap, QStringList* evicted)
{
    QString why;
    const QString folder = job.repoFolder().mid(job.repoFolder().lastIndexOf(QLatin1Char('/')) + 1);
    qint64 chunkBytes = 0;
    if (!cache.record(model, folder, job.progressNow().totalBytes, &why) ||
        (*evicted = cache.fitBudget(vault, cap, model, &chunkBytes, &why), !why.isEmpty())) {
        console.error(why);
        return false;
    }
    if (chunkBytes > 0)
        console.print(QStringLiteral("Evicted %1 of chunks read lately from the cache (cap %2)")
                          .arg(units::formatBytes(chunkBytes), units::formatBytes(cap)));
    for (const QString& gone : std::as_const(*evicted))
        console.print(QStringLiteral("Evicted “%1” from the cache (least recently used; cap %2)")
                          .arg(gone, units::formatBytes(cap)));
    return true;
}

class MaterializeCommand final : public JobCommand<MaterializeJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model's name."),
                                QStringLiteral("MODEL"));
        p.addOption({QStringLiteral("to"),
                     QStringLiteral("Destination folder (default: the materialized cache)."),
                     QStringLiteral("dir")});
        p.addOption({QStringLiteral("layout"),
                     QStringLiteral("plain (default with --to) or hf: the Hugging Face cache "
                                    "layout, DIR being a cache root such as "
                                    "~/.cache/huggingface/hub."),
                     QStringLiteral("layout")});
        p.addOption(
            {QStringLiteral("force"), QStringLiteral("Replace existing files (plain layout).")});
        p.addOption({QStringLiteral("cache-max"),
                     QStringLiteral("Size cap of the cache on this disk, materialized models and "
                                    "chunks read lately together, e.g. 200G (default: the "
                                    "vault's, `config cache`, else 100G)."),
                     QStringLiteral("size")});
        addDurabilityOptions(p);
        if (!parse(p, args,
                   QStringLiteral("materialize MODEL [--to DIR] [--layout plain|hf] [--force]"), 1,
                   1))
            return;
        const QString layout = p.value(QStringLiteral("layout"));
        if (!layout.isEmpty() && layout != QLatin1String("plain") &&
            layout != QLatin1String("hf")) {
            console().error(QStringLiteral("--layout takes “plain” or “hf”, not “%1”").arg(layout));
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        bool ok = false;
        m_vault = vault;
        m_cap = cacheCap(vault, p, &ok);
        if (!ok) {
            console().error(QStringLiteral("--cache-max takes a size such as 200G"));
            return finish(Usage);
        }
        MaterializeJob::Request request;
        request.modelName = p.positionalArguments().first();
        m_modelName = request.modelName;
        m_intoCache = !p.isSet(QStringLiteral("to"));
        m_cache =
            std::make_unique<MaterializedCache>(MaterializedCache::defaultRoot(vault->directory()));
        request.destination = m_intoCache ? m_cache->root() : p.value(QStringLiteral("to"));
        request.layout = (m_intoCache || layout == QLatin1String("hf"))
                             ? MaterializeJob::Layout::HfCache
                             : MaterializeJob::Layout::Plain;
        request.overwrite = p.isSet(QStringLiteral("force"));
        auto* job = new MaterializeJob(vault, request, this);
        connect(job, &MaterializeJob::finished, this, &MaterializeCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        QJsonObject doc{{QStringLiteral("ok"), e.ok()},
                        {QStringLiteral("path"), m_job->modelPath()},
                        {QStringLiteral("bytes"), m_job->progressNow().totalBytes},
                        {QStringLiteral("files_reused"), m_job->filesReused()}};
        if (!e.ok()) {
            doc.insert(QStringLiteral("error"), e.message);
            console().printJson(doc);
            return finishFailed(e, e.message);
        }
        if (m_intoCache) {
            QStringList evicted;
            if (!recordInCache(console(), m_vault, *m_cache, m_modelName, *m_job, m_cap, &evicted))
                return finish(Failed);
            doc.insert(QStringLiteral("evicted"), QJsonArray::fromStringList(evicted));
        }
        console().printJson(doc);
        console().print(
            QStringLiteral("Materialized %1 at %2")
                .arg(units::formatBytes(m_job->progressNow().totalBytes), m_job->modelPath()));
        finish(Success);
    }

    std::unique_ptr<MaterializedCache> m_cache;
    Vault* m_vault = nullptr;
    qint64 m_cap = 0;
    bool m_intoCache = false;
    QString m_modelName;
};

// `use MODEL --in APP [--as NAME:TAG] [--root DIR]`: the model materialized once into the cache
// and registered in the app's store, sharing that copy; `use MODEL --remove --in APP` takes it
// out again; `use MODEL` lists the apps it is in and the disk that saved; `use MODEL --free
// [--floating-only] [--in APP [--root DIR]]` frees the apps' own copies of it once it is floated
// and verified. The work is AppUseJob's, the same the app runs.
class UseCommand final : public JobCommand<AppUseJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model's name."),
                                QStringLiteral("MODEL"));
        p.addOption({QStringLiteral("in"),
                     QStringLiteral("The app: ollama, lmstudio, hf-cache or llama.cpp."),
                     QStringLiteral("app")});
        p.addOption({QStringLiteral("as"),
                     QStringLiteral("Ollama: the name to run it as (default: the model's name, "
                                    "tag latest)."),
                     QStringLiteral("name:tag")});
        p.addOption({QStringLiteral("root"),
                     QStringLiteral("The app's model folder (default: the one the app reads, "
                                    "from its environment variables or your home)."),
                     QStringLiteral("dir")});
        p.addOption(
            {QStringLiteral("remove"), QStringLiteral("Take the model out of the app again.")});
        p.addOption({QStringLiteral("free"),
                     QStringLiteral("Free the disk the apps' own copies of the model take (found "
                                    "as scan finds them): each replaced by the one shared copy. "
                                    "Only once every copy the vault wants is verified.")});
        p.addOption({QStringLiteral("floating-only"),
                     QStringLiteral("With --free: remove the apps' copies outright instead (the "
                                    "apps no longer have the model; it stays in the vault).")});
        p.addOption({QStringLiteral("cache-max"),
                     QStringLiteral("Size cap of the cache on this disk (as for materialize)."),
                     QStringLiteral("size")});
        if (!parse(p, args,
                   QStringLiteral("use MODEL [--in APP [--as NAME:TAG] [--root DIR] [--remove]] | "
                                  "use MODEL --free [--floating-only] [--in APP [--root DIR]]"),
                   1, 1))
            return;
        m_modelName = p.positionalArguments().first();
        const QString key = p.value(QStringLiteral("in"));
        const bool free = p.isSet(QStringLiteral("free"));
        if (p.isSet(QStringLiteral("floating-only")) && !free) {
            console().error(QStringLiteral("--floating-only goes with --free"));
            return finish(Usage);
        }
        if (free && (p.isSet(QStringLiteral("remove")) || p.isSet(QStringLiteral("as")))) {
            console().error(QStringLiteral("--free takes neither --remove nor --as"));
            return finish(Usage);
        }
        if (free && key.isEmpty() && p.isSet(QStringLiteral("root"))) {
            console().error(QStringLiteral("Say which app's folder --root is: --in APP"));
            return finish(Usage);
        }
        if (key.isEmpty() && p.isSet(QStringLiteral("remove"))) {
            console().error(QStringLiteral("Say which app to take the model out of: --in APP"));
            return finish(Usage);
        }
        const auto app = appstores::appFromKey(key);
        if (!key.isEmpty() && !app) {
            console().error(QStringLiteral("Unknown app “%1”: use ollama, lmstudio, hf-cache or "
                                           "llama.cpp")
                                .arg(key));
            return finish(Usage);
        }
        if (p.isSet(QStringLiteral("as")) && app != appstores::App::Ollama) {
            console().error(QStringLiteral("--as names the model in Ollama; the other apps name "
                                           "it by its repo and file"));
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        m_uses = std::make_unique<AppUses>(AppUses::ofVault(vault->directory()));
        if (!app && !free)
            return list();
        AppUseJob::Request request;
        request.modelName = m_modelName;
        request.app = app.value_or(appstores::App::Ollama);
        request.everyApp = !app;
        if (free)
            request.free = p.isSet(QStringLiteral("floating-only"))
                               ? AppUseJob::Request::Free::Remove
                               : AppUseJob::Request::Free::Replace;
        request.root = p.value(QStringLiteral("root"));
        request.ollamaName = p.value(QStringLiteral("as"));
        request.remove = p.isSet(QStringLiteral("remove"));
        if (!request.remove) {
            bool ok = false;
            request.cacheCap = cacheCap(vault, p, &ok);
            if (!ok) {
                console().error(QStringLiteral("--cache-max takes a size such as 200G"));
                return finish(Usage);
            }
        }
        auto* job = new AppUseJob(vault, request, this);
        connect(job, &AppUseJob::finished, this, &UseCommand::onFinished);
        runJob(job);
    }

private:
    static QJsonObject useJson(const AppUses::Use& use)
    {
        QJsonArray files;
        for (const AppUses::File& f : use.files)
            files.append(f.path);
        return {
            {QStringLiteral("model"), use.model},   {QStringLiteral("app"), use.app},
            {QStringLiteral("label"), use.label},   {QStringLiteral("root"), use.root},
            {QStringLiteral("method"), use.method}, {QStringLiteral("bytes_saved"), use.bytesSaved},
            {QStringLiteral("files"), files}};
    }

    void list()
    {
        const QList<AppUses::Use> uses = m_uses->of(m_modelName);
        QJsonArray items;
        qint64 saved = 0;
        TextTable table({QStringLiteral("APP"), QStringLiteral("AS"), QStringLiteral("HOW"),
                         QStringLiteral("SAVED"), QStringLiteral("FOLDER")});
        for (const AppUses::Use& use : uses) {
            items.append(useJson(use));
            saved += use.bytesSaved;
            table.addRow(
                {use.appName, use.label, use.method, units::formatBytes(use.bytesSaved), use.root});
        }
        if (uses.isEmpty()) {
            console().print(QStringLiteral("“%1” is not in use by any app (add it with "
                                           "“modelfloat-cli use %1 --in APP”)")
                                .arg(m_modelName));
        } else {
            for (const QString& line : table.lines())
                console().print(line);
            console().print(
                QStringLiteral("Sharing one copy saved %1 of disk").arg(units::formatBytes(saved)));
        }
        console().printJson({{QStringLiteral("model"), m_modelName},
                             {QStringLiteral("uses"), items},
                             {QStringLiteral("bytes_saved"), saved}});
        finish(Success);
    }

    void onFinished()
    {
        console().stopProgress();
        for (const QString& w : m_job->warnings())
            console().warning(w);
        const Error& e = m_job->error();
        if (!e.ok()) {
            if (m_job->outcome() == AppUseJob::Outcome::None &&
                e.message.startsWith(QStringLiteral("“%1” is not in use by").arg(m_modelName))) {
                console().error(e.message +
                                QStringLiteral(" (see “modelfloat-cli use %1”)").arg(m_modelName));
                return finish(NotFound);
            }
            if (e.message.contains(QLatin1String("already exists"))) {
                console().error(e.message);
                return finish(AlreadyExists);
            }
            return finishFailed(e, e.message);
        }
        console().print(m_job->summary());
        const AppUses::Use& use = m_job->use();
        switch (m_job->outcome()) {
        case AppUseJob::Outcome::Removed:
            console().printJson(
                {{QStringLiteral("ok"), true},
                 {QStringLiteral("removed"), useJson(use)},
                 {QStringLiteral("warnings"), QJsonArray::fromStringList(m_job->warnings())}});
            break;
        case AppUseJob::Outcome::AlreadyThere:
            console().printJson(useJson(use));
            break;
        case AppUseJob::Outcome::Freed: {
            QJsonArray copies;
            for (const appstores::AppCopy& c : m_job->freedCopies())
                copies.append(
                    QJsonObject{{QStringLiteral("app"), appstores::appKey(c.app)},
                                {QStringLiteral("labels"), QJsonArray::fromStringList(c.labels)},
                                {QStringLiteral("file"), c.file},
                                {QStringLiteral("bytes"), c.size},
                                {QStringLiteral("checked_by"),
                                 c.byDigest ? QStringLiteral("name") : QStringLiteral("sha256")}});
            console().printJson(
                {{QStringLiteral("ok"), true},
                 {QStringLiteral("freed_bytes"), m_job->freedBytes()},
                 {QStringLiteral("removed"),
                  m_job->request().free == AppUseJob::Request::Free::Remove},
                 {QStringLiteral("copies"), copies},
                 {QStringLiteral("warnings"), QJsonArray::fromStringList(m_job->warnings())}});
            break;
        }
        default: {
            QJsonObject doc = useJson(use);
            doc.insert(QStringLiteral("ok"), true);
            doc.insert(QStringLiteral("warnings"), QJsonArray::fromStringList(m_job->warnings()));
            doc.insert(QStringLiteral("evicted"), QJsonArray::fromStringList(m_job->evicted()));
            console().printJson(doc);
        }
        }
        finish(Success);
    }

    std::unique_ptr<AppUses> m_uses;
    QString m_modelName;
};

class EvictCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"),
                                QStringLiteral("Models to remove from the materialized cache."),
                                QStringLiteral("[MODEL...]"));
        p.addOption({QStringLiteral("all"), QStringLiteral("Empty the whole cache.")});
        if (!parse(p, args, QStringLiteral("evict MODEL... | --all"), 0, -1))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        MaterializedCache cache(MaterializedCache::defaultRoot(vault->directory()));
        QStringList models = p.positionalArguments();
        if (p.isSet(QStringLiteral("all")))
            for (const auto& e : cache.entries())
                models.append(e.model);
        if (models.isEmpty()) {
            console().error(QStringLiteral("Name the models to evict, or pass --all"));
            return finish(Usage);
        }
        QJsonArray done;
        for (const QString& model : std::as_const(models)) {
            QString why;
            if (!cache.evict(model, &why)) {
                console().error(why);
                return finish(NotFound);
            }
            done.append(model);
            console().print(QStringLiteral("Evicted “%1”").arg(model));
        }
        console().printJson(QJsonObject{{QStringLiteral("evicted"), done}});
        finish(Success);
    }
};

} // namespace

Command* makeMaterializeCommand(Context& c)
{
    return new MaterializeCommand(c);
}

Command* makeUseCommand(Context& c)
{
    return new UseCommand(c);
}

Command* makeEvictCommand(Context& c)
{
    return new EvictCommand(c);
}

} // namespace mf::cli
