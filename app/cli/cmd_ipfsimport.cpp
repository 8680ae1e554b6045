// `import ipfs://CID` and `import CID --from-ipfs URL`: float a model someone shared by its CID,
// read from an IPFS node block by block and checked against the CID (docs/cids.md). `import`
// hands its arguments here when they name IPFS (cmd_hub.cpp).
#include "command.h"

#include "providers/ipfs/ipfscid.h"
#include "registry/modelname.h"
#include "share/ipfsimportjob.h"
#include "sync/catalogguard.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QJsonObject>

namespace mf::cli {

namespace {

// The node a bare ipfs:// link is read from: the vault's first IPFS provider, else the RPC API's
// usual address on this computer.
QString defaultNode(Vault* vault)
{
    for (const ProviderRecord& p : vault->registry().providerRows().providers())
        if (p.kind == QLatin1String("ipfs") && p.enabled) {
            const QString url = p.settings.value(QStringLiteral("apiUrl")).toString();
            if (!url.isEmpty())
                return url;
        }
    return QStringLiteral("http://127.0.0.1:5001");
}

class IpfsImportCommand final : public JobCommand<IpfsImportJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("cid"),
                                QStringLiteral("ipfs://CID, or a CID with --from-ipfs."),
                                QStringLiteral("ipfs://CID"));
        p.addOption({QStringLiteral("from-ipfs"),
                     QStringLiteral("The IPFS node's RPC API to read it from (default: the "
                                    "vault's IPFS provider, else http://127.0.0.1:5001)."),
                     QStringLiteral("url")});
        p.addOption({QStringLiteral("name"),
                     QStringLiteral("Model name (default: ipfs- and the CID's end)."),
                     QStringLiteral("name")});
        p.addOption({QStringLiteral("replicas"),
                     QStringLiteral("Copies of every chunk (default: the vault's setting)."),
                     QStringLiteral("n")});
        p.addOption({QStringLiteral("max-size"),
                     QStringLiteral("The most bytes the shared DAG may declare and bring (default: "
                                    "the vault's import-limit, 1T unless set)."),
                     QStringLiteral("size")});
        p.addOption({QStringLiteral("max-files"),
                     QStringLiteral("The most files and folders it may hold (default: 100000)."),
                     QStringLiteral("n")});
        addChunkerOptions(p);
        p.addOption({QStringLiteral("provider"),
                     QStringLiteral("Place chunks only on this provider (repeatable)."),
                     QStringLiteral("name")});
        addDurabilityOptions(p);
        if (!parse(p, args,
                   QStringLiteral("import ipfs://CID [--from-ipfs URL] [--name NAME] "
                                  "[--max-size SIZE] [--max-files N] [--chunker cdc|fixed]"),
                   1, 1))
            return;
        IpfsImportJob::Request request;
        request.cid = p.positionalArguments().first();
        if (request.cid.startsWith(QLatin1String("ipfs://")))
            request.cid = request.cid.mid(7);
        while (request.cid.endsWith(QLatin1Char('/')))
            request.cid.chop(1);
        if (ipfscid::normalize(request.cid).isEmpty()) {
            console().error(QStringLiteral("“%1” is not a CID (expected ipfs://bafy…, or a CID "
                                           "such as bafy…, z… or Qm… with --from-ipfs)")
                                .arg(p.positionalArguments().first().left(100)));
            return finish(Usage);
        }
        request.modelName = p.value(QStringLiteral("name"));
        if (p.isSet(QStringLiteral("name"))) {
            if (const QString bad = modelname::problem(request.modelName); !bad.isEmpty()) {
                console().error(bad);
                return finish(Usage);
            }
        }
        if (p.isSet(QStringLiteral("max-size"))) {
            const auto bytes = units::parseBytes(p.value(QStringLiteral("max-size")));
            if (!bytes || *bytes <= 0) {
                console().error(QStringLiteral("--max-size takes a size such as 2T or 500G"));
                return finish(Usage);
            }
            request.limits.maxBytes = quint64(*bytes);
        }
        if (p.isSet(QStringLiteral("max-files"))) {
            bool ok = false;
            const qint64 n = p.value(QStringLiteral("max-files")).toLongLong(&ok);
            if (!ok || n < 1) {
                console().error(QStringLiteral("--max-files takes a number of at least 1"));
                return finish(Usage);
            }
            request.limits.maxEntries = n;
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        request.apiUrl = p.isSet(QStringLiteral("from-ipfs")) ? p.value(QStringLiteral("from-ipfs"))
                                                              : defaultNode(vault);
        if (!placementFrom(p, vault, &request.options))
            return;

        auto* job = new IpfsImportJob(vault, request, this);
        // Inside the catalog's rules, as a float (docs/catalog.md).
        auto* guard =
            new CatalogGuard(vault, job, QStringLiteral("“%1”").arg(job->modelName()), this);
        connect(guard, &TransferJob::warning, this,
                [this](const QString& w) { console().warning(w); });
        connect(guard, &TransferJob::finished, this, &IpfsImportCommand::onFinished);
        runJob(job, guard);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        const double secs = elapsedSeconds();
        QJsonObject doc{{QStringLiteral("model"), m_job->modelName()},
                        {QStringLiteral("ok"), e.ok()},
                        {QStringLiteral("cid"), m_job->vaultCid()},
                        {QStringLiteral("same_cid"), m_job->sameCid()},
                        {QStringLiteral("bytes_read"), m_job->bytesRead()},
                        {QStringLiteral("blocks_read"), m_job->blocksRead()},
                        {QStringLiteral("degraded"), m_job->degraded()},
                        {QStringLiteral("seconds"), secs}};
        if (!e.ok())
            doc.insert(QStringLiteral("error"), e.message);
        console().printJson(doc);
        if (!e.ok())
            return finishFailed(e, QStringLiteral("Interrupted. Run the same command again to "
                                                  "resume; placed chunks are not sent again."));
        console().print(QStringLiteral("Imported “%1”%2: %3 in %4 blocks, each checked against "
                                       "its CID")
                            .arg(m_job->modelName(),
                                 m_job->degraded() ? QStringLiteral(", DEGRADED") : QString(),
                                 units::formatBytes(m_job->bytesRead()))
                            .arg(m_job->blocksRead()));
        console().print(QStringLiteral("  CID %1%2, %3 s")
                            .arg(m_job->vaultCid(),
                                 m_job->sameCid() ? QStringLiteral(" (the one shared)") : QString())
                            .arg(secs, 0, 'f', 1));
        finish(Success);
    }
};

} // namespace

Command* makeIpfsImportCommand(Context& c)
{
    return new IpfsImportCommand(c);
}

} // namespace mf::cli
