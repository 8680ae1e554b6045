// MegaProvider's catalog objects (docs/catalog.md, docs/providers.md): files in the ModelFloat
// folder beside the chunks, named by their catalog name ("states/<vault>.<seq>") and marked as
// catalog objects by an attribute of their own, encrypted and MACed like every MEGA file, so any
// MEGA client can open them. A file node appears whole or not at all (`p` after the upload). Names
// are not unique on MEGA: a write makes the new node first and then deletes the older nodes of its
// name; a reader takes the newest. The tree is read once per adapter and kept current by its own
// writes; a listing reads it again, and a read that does not find its name (another computer wrote
// it) reads it again once.
#include "chunking/cid.h"
#include "megaprovider.h"
#include "providers/network/stepsjob.h"

#include <QBuffer>
#include <QJsonArray>

namespace mf {

using namespace mega;

namespace {

// A whole catalog object into memory, refused past its limit.
class MemorySink final : public ByteSink
{
public:
    explicit MemorySink(qint64 limit)
        : m_limit(limit)
    {}
    bool write(const char* data, qint64 size) override
    {
        if (m_bytes.size() + size > m_limit)
            return false;
        m_bytes.append(data, size);
        return true;
    }
    QString errorString() const override
    {
        return QObject::tr("more than a catalog object may have (%1 bytes)").arg(m_limit);
    }
    const QByteArray& bytes() const { return m_bytes; }

private:
    qint64 m_limit;
    QByteArray m_bytes;
};

} // namespace

// The steps of one catalog operation, run by a MegaJob (which holds them).
class MegaCatalogSteps : public std::enable_shared_from_this<MegaCatalogSteps>
{
public:
    enum class Operation { Write, Read, List, Remove };

    MegaCatalogSteps(MegaProvider* mega, Operation operation, const QString& name,
                     const QByteArray& bytes)
        : m_mega(mega)
        , m_operation(operation)
        , m_name(name)
        , m_bytes(bytes)
    {}

    void run(MegaJob& job)
    {
        m_job = &job;
        if (!Provider::isValidCatalogName(m_name))
            return m_job->complete(Error::make(
                Error::Kind::Fatal, QObject::tr("“%1” is not a catalog object name of “%2”")
                                        .arg(m_name, m_mega->displayName())));
        auto self = shared_from_this();
        m_mega->ensureSession(m_job, [self](const Error& e) {
            if (e)
                return self->m_job->complete(e);
            // A listing reads the tree again: other computers write into the catalog.
            const bool refresh = self->m_operation == Operation::List;
            self->m_mega->ensureTree(self->m_job, refresh, [self](const Error& te) {
                if (te)
                    return self->m_job->complete(te);
                switch (self->m_operation) {
                case Operation::Write:
                    return self->upload();
                case Operation::Read:
                    return self->download(/*treeRead=*/false);
                case Operation::List:
                    return self->listed();
                case Operation::Remove:
                    return self->deleteNodes(self->m_mega->m_catalog.values(self->m_name), {});
                }
            });
        });
    }

private:
    using Node = MegaProvider::Node;

    QString what(const QString& verb) const
    {
        return m_mega->what(verb, m_operation == Operation::List
                                      ? QObject::tr("catalog folder %1").arg(m_name)
                                      : QObject::tr("catalog object %1").arg(m_name));
    }

    // The newest node of the name (the largest handle among nodes of one second, so that every
    // reader picks the same); nullopt when there is none.
    std::optional<Node> newest(const QString& name) const
    {
        std::optional<Node> best;
        for (const Node& n : m_mega->m_catalog.values(name))
            if (!best || n.ts > best->ts || (n.ts == best->ts && n.handle > best->handle))
                best = n;
        return best;
    }

    void listed()
    {
        for (const QString& name : m_mega->m_catalog.uniqueKeys()) {
            if (Provider::catalogFolderOf(name) != m_name)
                continue;
            const Node n = *newest(name);
            m_job->catalogObjects().append(
                {name, n.size, QDateTime::fromSecsSinceEpoch(n.ts, Qt::UTC)});
        }
        m_job->setServerTime(m_mega->m_treeTime);
        m_job->complete(Error::none());
    }

    void download(bool treeRead)
    {
        const std::optional<Node> node = newest(m_name);
        auto self = shared_from_this();
        const auto readTreeAgain = [self] {
            self->m_mega->ensureTree(self->m_job, true, [self](const Error& e) {
                if (e)
                    return self->m_job->complete(e);
                self->download(/*treeRead=*/true);
            });
        };
        if (!node) {
            if (!treeRead)
                return readTreeAgain();
            return m_job->complete(
                Error::make(Error::Kind::NotFound, what(QObject::tr("Reading")) +
                                                       QObject::tr(": there is no such object")));
        }
        const qint64 limit = Provider::catalogObjectLimit(m_name);
        if (node->size > limit)
            return m_job->complete(
                Provider::catalogObjectTooLarge(what(QObject::tr("Reading")), m_name, node->size));
        m_sink = std::make_unique<MemorySink>(limit);
        m_mega->downloadNode(m_job, node->handle, node->sealedKey, m_sink.get(), 0, -1,
                             [self, treeRead, readTreeAgain](const Error& e) {
                                 // Replaced meanwhile by a newer node of the name.
                                 if (e.kind == Error::Kind::NotFound && !treeRead)
                                     return readTreeAgain();
                                 if (!e)
                                     self->m_job->setData(self->m_sink->bytes());
                                 self->m_job->complete(e);
                             });
    }

    void upload()
    {
        auto source = std::make_shared<QBuffer>();
        source->setData(m_bytes);
        source->open(QIODevice::ReadOnly);
        const QList<Node> older = m_mega->m_catalog.values(m_name);
        auto self = shared_from_this();
        m_mega->uploadFile(
            m_job, m_name, {{QLatin1String(MegaProvider::CatalogAttribute), 1}}, source,
            m_bytes.size(), [self, older](const QString& handle, const QByteArray& sealed) {
                Node made{handle, self->m_bytes.size(), sealed, QDateTime::currentSecsSinceEpoch()};
                // Newer than every node it replaces, whatever the clocks say.
                for (const Node& n : older)
                    made.ts = qMax(made.ts, n.ts + 1);
                self->m_mega->m_catalog.insert(self->m_name, made);
                // The older nodes of the name go now: the new one replaces them.
                self->deleteNodes(older, handle);
            });
    }

    // Deletes `nodes` one after another (a node already gone counts as deleted).
    void deleteNodes(QList<Node> nodes, const QString& keep)
    {
        nodes.removeIf([&keep](const Node& n) { return n.handle == keep; });
        if (nodes.isEmpty())
            return m_job->complete(Error::none());
        const Node node = nodes.takeLast();
        auto self = shared_from_this();
        m_mega->command(m_job,
                        {{QStringLiteral("a"), QStringLiteral("d")},
                         {QStringLiteral("n"), node.handle},
                         {QStringLiteral("i"), QString::fromLatin1(requestTag())}},
                        [self, nodes, keep, handle = node.handle](const Reply& r) {
                            if (r.code == -15)
                                return self->m_job->complete(self->m_mega->sessionEndedError());
                            if (r.error && r.code != -9)
                                return self->m_job->complete(r.error);
                            self->forget(handle);
                            self->deleteNodes(nodes, keep);
                        });
    }

    void forget(const QString& handle)
    {
        auto& catalog = m_mega->m_catalog;
        for (auto it = catalog.begin(); it != catalog.end();)
            it = it->handle == handle ? catalog.erase(it) : std::next(it);
    }

    MegaProvider* m_mega;
    Operation m_operation;
    QString m_name;
    QByteArray m_bytes;
    MegaJob* m_job = nullptr;
    std::unique_ptr<MemorySink> m_sink;
};

namespace {

ProviderJob* catalogJob(MegaProvider* mega, MegaCatalogSteps::Operation operation,
                        const QString& name, const QByteArray& bytes = {})
{
    auto steps = std::make_shared<MegaCatalogSteps>(mega, operation, name, bytes);
    return new MegaJob(mega, [steps](MegaJob& job) { steps->run(job); });
}

} // namespace

ProviderJob* MegaProvider::writeCatalogObject(const QString& name, const QByteArray& bytes)
{
    return catalogJob(this, MegaCatalogSteps::Operation::Write, name, bytes);
}

ProviderJob* MegaProvider::readCatalogObject(const QString& name)
{
    return catalogJob(this, MegaCatalogSteps::Operation::Read, name);
}

ProviderJob* MegaProvider::listCatalogObjects(const QString& folder)
{
    return catalogJob(this, MegaCatalogSteps::Operation::List, folder);
}

ProviderJob* MegaProvider::removeCatalogObject(const QString& name)
{
    return catalogJob(this, MegaCatalogSteps::Operation::Remove, name);
}

} // namespace mf
