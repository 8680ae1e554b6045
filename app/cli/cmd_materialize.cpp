// `materialize MODEL [--to DIR]`: a model written back where runtimes load it (a plain folder,
// or the Hugging Face cache layout); without --to, into the local materialized cache, which is
// kept under its size cap by evicting the least recently used models. `evict` removes models
// from that cache.

#include "command.h"

#include "hub/materializedcache.h"
#include "hub/materializejob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QJsonArray>

namespace mf::cli {

namespace {

qint64 cacheCap(Vault* vault, const QCommandLineParser& p, bool* ok)
{
    *ok = true;
    QString text = p.value(QStringLiteral("cache-max"));
    if (text.isEmpty())
        text = vault->registry().settings().setting(
            QString::fromLatin1(MaterializedCache::CapSetting));
    if (text.isEmpty())
        return MaterializedCache::DefaultCap;
    const auto bytes = units::parseBytes(text);
    *ok = bytes && *bytes >= 0;
    return bytes.value_or(0);
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
                     QStringLiteral("Size cap of the materialized cache, e.g. 200G (default: "
                                    "the vault's cache.max_bytes, else 100G)."),
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
            QString why;
            const QString folder =
                m_job->repoFolder().mid(m_job->repoFolder().lastIndexOf(QLatin1Char('/')) + 1);
            QStringList evicted;
            if (!m_cache->record(m_modelName, folder, m_job->progressNow().totalBytes, &why) ||
                (evicted = m_cache->evictToFit(m_cap, m_modelName, &why), !why.isEmpty())) {
                console().error(why);
                return finish(Failed);
            }
            doc.insert(QStringLiteral("evicted"), QJsonArray::fromStringList(evicted));
            for (const QString& model : std::as_const(evicted))
                console().print(QStringLiteral("Evicted “%1” from the cache (least recently "
                                               "used; cap %2)")
                                    .arg(model, units::formatBytes(m_cap)));
        }
        console().printJson(doc);
        console().print(
            QStringLiteral("Materialized %1 at %2")
                .arg(units::formatBytes(m_job->progressNow().totalBytes), m_job->modelPath()));
        finish(Success);
    }

    std::unique_ptr<MaterializedCache> m_cache;
    qint64 m_cap = 0;
    bool m_intoCache = false;
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

Command* makeEvictCommand(Context& c)
{
    return new EvictCommand(c);
}

} // namespace mf::cli
