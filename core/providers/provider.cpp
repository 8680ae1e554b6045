#include "provider.h"

#include "putjob.h"

#include <QRegularExpression>

#include <utility>

namespace mf {

namespace {

// A job whose result is known at once (nothing to ask the provider): finished() still comes
// from the event loop, as for every job.
class ImmediateJob final : public ProviderJob
{
public:
    explicit ImmediateJob(Provider* adapter, const Error& result = Error::none())
        : ProviderJob(adapter)
        , m_result(result)
    {}

protected:
    void doStart() override { finish(m_result); }
    void doAbort() override {}

private:
    Error m_result;
};

} // namespace

Provider::Provider(const QString& displayName, QObject* parent)
    : QObject(parent)
    , m_displayName(displayName)
{}

Provider::~Provider() = default;

namespace {
// The deleter of a shared adapter: later from the event loop, or at once for releaseNow().
struct AdapterRelease
{
    bool now = false;
    void operator()(Provider* adapter) const
    {
        if (now)
            delete adapter;
        else
            adapter->deleteLater();
    }
};
} // namespace

std::shared_ptr<Provider> Provider::share(std::unique_ptr<Provider> adapter)
{
    if (!adapter)
        return nullptr;
    // Owned by the references alone: a QObject parent would delete it under its users.
    adapter->setParent(nullptr);
    return std::shared_ptr<Provider>(adapter.release(), AdapterRelease{});
}

void Provider::releaseNow(std::shared_ptr<Provider>& adapter)
{
    if (adapter.use_count() == 1)
        if (auto* release = std::get_deleter<AdapterRelease>(adapter))
            release->now = true;
    adapter.reset();
}

namespace {
class NothingToSweep final : public ProviderJob
{
public:
    explicit NothingToSweep(Provider* adapter)
        : ProviderJob(adapter)
    {}

protected:
    void doStart() override { finish(Error::none()); }
    void doAbort() override {}
};
} // namespace

ProviderJob* Provider::putDag(const QString& root, const QList<DagBlock>&)
{
    return new ImmediateJob(
        this,
        Error::make(Error::Kind::Fatal, tr("Provider “%1” (%2) keeps no DAGs, so it cannot pin %3")
                                            .arg(displayName(), kind(), root)));
}

ProviderJob* Provider::sweepTemporaries()
{
    return new NothingToSweep(this);
}

Error Provider::notAnObjectName(const QString& locator, const QString& providerName)
{
    return Error::make(
        Error::Kind::NotFound,
        tr("“%1” is not an object name of provider “%2”").arg(locator, providerName));
}

namespace {

// findStored() of a kind that names its objects itself: a stat of that name, whose locator it is.
class StatOfName final : public ProviderJob
{
public:
    StatOfName(Provider* adapter, const QString& locator)
        : ProviderJob(adapter)
        , m_adapter(adapter)
    {
        m_locator = locator;
    }
    ~StatOfName() override
    {
        if (m_stat) {
            m_stat->disconnect(this);
            m_stat->abort();
            m_stat->deleteLater();
        }
    }

protected:
    void doStart() override
    {
        m_stat = m_adapter->stat(m_locator);
        m_stat->setParent(this);
        connect(m_stat, &ProviderJob::retrying, this, &ProviderJob::retrying);
        connect(m_stat, &ProviderJob::finished, this, [this] {
            ProviderJob* stat = std::exchange(m_stat, nullptr);
            stat->deleteLater();
            m_objectSize = stat->objectSize();
            finish(stat->error());
        });
        m_stat->start();
    }
    void doAbort() override
    {
        if (m_stat)
            m_stat->abort();
        else
            finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
    }

private:
    Provider* m_adapter;
    ProviderJob* m_stat = nullptr;
};

} // namespace

ProviderJob* Provider::put(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size)
{
    return new PutJob(this, cid, std::move(source), size);
}

ProviderJob* Provider::findStored(const QString& cid, qint64 size)
{
    const QString locator = locatorFor(cid, size);
    if (locator.isEmpty())
        return new ImmediateJob(this, Error::make(Error::Kind::NotFound, {}));
    return new StatOfName(this, locator);
}

QString Provider::locatorFor(const QString& cid, qint64 size) const
{
    Q_UNUSED(cid);
    Q_UNUSED(size);
    return {};
}

ProviderJob* Provider::noCatalog()
{
    return new ImmediateJob(
        this, Error::make(Error::Kind::Fatal,
                          tr("Provider “%1” (%2) cannot keep the catalog yet; the models it "
                             "holds are recorded on the other providers")
                              .arg(displayName(), kind())));
}

ProviderJob* Provider::writeCatalogObject(const QString&, const QByteArray&)
{
    return noCatalog();
}

ProviderJob* Provider::readCatalogObject(const QString&)
{
    return noCatalog();
}

ProviderJob* Provider::listCatalogObjects(const QString&)
{
    return noCatalog();
}

ProviderJob* Provider::removeCatalogObject(const QString&)
{
    return noCatalog();
}

ProviderJob* Provider::findStores()
{
    return new ImmediateJob(this);
}

qint64 Provider::catalogObjectLimit(const QString& name)
{
    return name.startsWith(QLatin1String("manifests/")) ? MaxManifestBytes : MaxCatalogObjectBytes;
}

Error Provider::catalogObjectTooLarge(const QString& what, const QString& name, qint64 size)
{
    return Error::make(Error::Kind::Corrupt, tr("%1: %2 bytes, more than the %3 it may be")
                                                 .arg(what)
                                                 .arg(size)
                                                 .arg(catalogObjectLimit(name)));
}

QString Provider::catalogFolderOf(const QString& name)
{
    const qsizetype slash = name.lastIndexOf(QLatin1Char('/'));
    return slash < 0 ? QString() : name.left(slash);
}

bool Provider::isValidCatalogName(const QString& name)
{
    // Segments of letters, digits, '.', '_' and '-', none empty or starting with '.', so that a
    // name never climbs out of the catalog root or lands in a temporary folder.
    static const QRegularExpression segment(QStringLiteral("^[A-Za-z0-9_-][A-Za-z0-9._-]*$"));
    if (name.isEmpty() || name.size() > 240)
        return false;
    for (const QString& s : name.split(QLatin1Char('/')))
        if (!segment.match(s).hasMatch())
            return false;
    return true;
}

} // namespace mf
