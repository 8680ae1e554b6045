// IpfsProvider's model DAGs (docs/cids.md, "On an IPFS node"): the file and directory nodes
// ModelFloat computes above its chunks' DAGs are put on the node as dag-pb blocks, and the
// model's root is pinned recursively, so that `ipfs get <model CID>` and `ipfs cat <file CID>`
// work on the node and through any gateway that reaches it. The chunks under them are already
// there, each pinned on its own (put()); the root's pin keeps the whole model together.
#include "ipfscid.h"
#include "ipfsprovider.h"
#include "providers/network/stepsjob.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace mf {

ProviderJob* IpfsProvider::putDag(const QString& root, const QList<DagBlock>& blocks)
{
    auto upload = std::make_shared<const DagUpload>(
        DagUpload{root, blocks, tr("the DAG of model %1").arg(root)});
    return new IpfsJob(this, [this, upload](IpfsJob& job) {
        if (ipfscid::decode(upload->root).isEmpty()) {
            job.complete(notAnObjectName(upload->root));
            return;
        }
        putDagBlock(&job, upload, 0);
    });
}

void IpfsProvider::putDagBlock(IpfsJob* j, const std::shared_ptr<const DagUpload>& upload,
                               qsizetype i)
{
    // One block after the other (they are small: links and names), each checked against the CID
    // it must have; then the pin, which the node can only make with every block under the root
    // there.
    if (i == upload->blocks.size()) {
        j->send(rpc(QStringLiteral("pin/add"),
                    {{QStringLiteral("arg"), upload->root},
                     {QStringLiteral("recursive"), QStringLiteral("true")},
                     {QStringLiteral("timeout"), timeoutArg(m_options.lookupTimeoutMs)}},
                    what(tr("Pinning"), upload->subject)),
                [j](HttpExchange& x) { j->complete(x.error()); });
        return;
    }
    const DagBlock& block = upload->blocks.at(i);
    HttpExchange::Request r = rpc(QStringLiteral("block/put"),
                                  {{QStringLiteral("cid-codec"), QStringLiteral("dag-pb")},
                                   {QStringLiteral("format"), QStringLiteral("dag-pb")},
                                   {QStringLiteral("mhtype"), QStringLiteral("sha2-256")},
                                   {QStringLiteral("mhlen"), QStringLiteral("32")},
                                   {QStringLiteral("pin"), QStringLiteral("false")}},
                                  what(tr("Uploading"), upload->subject));
    setFormBody(&r, "block", block.bytes);
    j->send(std::move(r), [this, j, upload, i](HttpExchange& x) {
        if (x.error()) {
            j->complete(x.error());
            return;
        }
        const DagBlock& sent = upload->blocks.at(i);
        const QString key =
            QJsonDocument::fromJson(x.body()).object().value(QStringLiteral("Key")).toString();
        if (ipfscid::decode(key) != ipfscid::decode(sent.cid)) {
            j->complete(Error::make(
                Error::Kind::Corrupt,
                tr("%1: the IPFS node stored a block as %2, not as %3; its hash or codec "
                   "settings differ")
                    .arg(what(tr("Uploading"), upload->subject), key.left(100), sent.cid)));
            return;
        }
        putDagBlock(j, upload, i + 1);
    });
}

ProviderJob* IpfsProvider::getBlock(const QString& cid)
{
    return new IpfsJob(this, [this, cid](IpfsJob& job) {
        IpfsJob* j = &job;
        if (ipfscid::decode(cid).isEmpty()) {
            j->complete(notAnObjectName(cid));
            return;
        }
        HttpExchange::Request r =
            rpc(QStringLiteral("block/get"),
                {{QStringLiteral("arg"), cid},
                 {QStringLiteral("timeout"), timeoutArg(m_options.lookupTimeoutMs)}},
                what(tr("Downloading"), tr("block %1").arg(cid)));
        r.maxCollectBytes = MaxBlockBytes;
        j->send(std::move(r), [j](HttpExchange& x) {
            if (!x.error())
                j->setData(x.body());
            j->complete(x.error());
        });
    });
}

} // namespace mf
