// ModelRows: the leases of the models' writers. Every check is made in the same IMMEDIATE
// transaction as the change it guards, so SQLite's write lock orders them: no interleaving of
// floats in any number of processes can merge two writers' files.
#include "healthrows.h"
#include "leaseowner.h"
#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

bool ModelRows::checkModelLease(qint64 modelId, const QString& owner)
{
    Query q(this, QStringLiteral("SELECT lease_owner FROM models WHERE id = ?"));
    if (!q.bind(modelId).exec())
        return false;
    if (!q.q().next())
        return fail(QStringLiteral("write model"), QStringLiteral("the model no longer exists"));
    if (q.q().value(0).toString() != owner)
        return fail(QStringLiteral("write model"),
                    QStringLiteral("another process has taken this model over"));
    return true;
}

bool ModelRows::checkFileLease(qint64 fileId, const QString& owner)
{
    Query q(this, QStringLiteral("SELECT model_id FROM files WHERE id = ?"));
    if (!q.bind(fileId).exec())
        return false;
    if (!q.q().next())
        return fail(QStringLiteral("write file"), QStringLiteral("no such file"));
    const qint64 modelId = q.q().value(0).toLongLong();
    q.q().finish();
    return checkModelLease(modelId, owner);
}

ModelRows::ModelClaim ModelRows::claimModel(const QString& name, const QString& source,
                                            const QString& owner, bool reopenComplete)
{
    ModelClaim claim;
    const bool ok = transaction([&] {
        Query find(this, QStringLiteral("SELECT id, state, source, lease_owner, lease_expires "
                                        "FROM models WHERE name = ?"));
        if (!find.bind(name).exec())
            return false;
        if (!find.q().next()) {
            find.q().finish();
            const auto id = createModel(name, source, owner);
            if (!id)
                return false;
            claim.status = ModelClaim::Status::Created;
            claim.modelId = *id;
            return true;
        }
        claim.modelId = find.q().value(0).toLongLong();
        claim.source = find.q().value(2).toString();
        if (find.q().value(1).toString() == QLatin1String("complete") && !reopenComplete) {
            claim.status = ModelClaim::Status::Complete;
            return true;
        }
        const QString holder = find.q().value(3).toString();
        if (holder != owner && leaseowner::isLive(holder, find.q().value(4))) {
            claim.status = ModelClaim::Status::Busy;
            claim.holderPid = leaseowner::describeHolder(holder);
            return true;
        }
        find.q().finish();
        Query take(this, QStringLiteral("UPDATE models SET lease_owner = ?, lease_expires = ? "
                                        "WHERE id = ?"));
        if (!take.bind(owner).bind(nowSecs() + ModelLeaseSecs).bind(claim.modelId).exec())
            return false;
        claim.status = ModelClaim::Status::Resumed;
        return true;
    });
    if (!ok)
        claim.status = ModelClaim::Status::Failed;
    return claim;
}

bool ModelRows::renewModelLease(qint64 modelId, const QString& owner)
{
    Query q(this, QStringLiteral("UPDATE models SET lease_expires = ? WHERE id = ? AND "
                                 "lease_owner = ?"));
    return q.bind(nowSecs() + ModelLeaseSecs).bind(modelId).bind(owner).exec() && q.affected() == 1;
}

void ModelRows::releaseModelLease(qint64 modelId, const QString& owner)
{
    Query q(this, QStringLiteral("UPDATE models SET lease_owner = NULL, lease_expires = NULL "
                                 "WHERE id = ? AND lease_owner = ?"));
    q.bind(modelId).bind(owner).exec();
}

bool ModelRows::completeModel(qint64 modelId, const QString& owner)
{
    return transaction([&] {
        if (!checkModelLease(modelId, owner))
            return false;
        // Complete and, in the same step, honest about its copies: a float that could not
        // reach every provider leaves a degraded model, which repair brings back.
        const int wanted = m_registry.healthRows().wantedCopies();
        Query q(this,
                QStringLiteral("UPDATE models SET state = 'complete', degraded = ") +
                    HealthRows::underReplicatedCondition() +
                    QStringLiteral(", lease_owner = NULL, lease_expires = NULL WHERE id = ?"));
        return q.bind(wanted).bind(modelId).exec();
    });
}

QString ModelRows::modelWriter(qint64 modelId, const QString& except)
{
    Query q(this, QStringLiteral("SELECT lease_owner, lease_expires FROM models WHERE id = ?"));
    if (!q.bind(modelId).exec() || !q.q().next())
        return {};
    const QString holder = q.q().value(0).toString();
    return holder != except && leaseowner::isLive(holder, q.q().value(1))
               ? leaseowner::describeHolder(holder)
               : QString();
}

} // namespace mf
