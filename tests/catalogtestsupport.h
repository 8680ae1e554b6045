#pragma once

// Helpers of the suites that run the catalog jobs between vaults sharing local folders
// (tst_catalog, tst_catalogvaults, tst_catalogtrust): running a job, floating a file, two
// "computers" on one store, and a bit-exact restore.

#include "synctestsupport.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"

#include <QSignalSpy>
#include <QtTest>

#include <memory>

namespace mf::test {

// Runs a transfer job to its end.
inline bool runJob(TransferJob* job)
{
    std::unique_ptr<TransferJob> owned(job);
    QSignalSpy finished(job, &TransferJob::finished);
    job->start();
    if (!finished.wait(JobTimeoutMs)) {
        qWarning("the job did not finish");
        return false;
    }
    for (const QString& w : job->warnings())
        qInfo("warning: %s", qPrintable(w));
    if (!job->error().ok())
        qWarning("%s", qPrintable(job->error().message));
    return job->error().ok();
}

inline bool floatInto(Vault* vault, const QString& path, const QString& name)
{
    FloatJob::Request r;
    r.paths = {path};
    r.modelName = name;
    r.options.chunker = SmallChunks;
    r.options.replication = vault->replicationFactor();
    return runJob(new FloatJob(vault, r));
}

// Two vaults, as two computers of one user, with the same local folders (under a's directory,
// by these names) as their providers and one catalog key (what `vault key import` gives the
// second): the folders, or none if that failed.
inline QStringList shareFolders(TestVault& a, TestVault& b, const QStringList& names)
{
    QStringList roots;
    for (const QString& name : names)
        roots.append(a.dir.filePath(name));
    if (!a.ok() || !b.ok() || !useSharedFolders(a, roots) || !useSharedFolders(b, roots) ||
        !shareCatalogKey(a.vault.get(), b.vault.get()))
        return {};
    return roots;
}

inline QStringList shareTwoFolders(TestVault& a, TestVault& b, const QString& first,
                                   const QString& second)
{
    return shareFolders(a, b, {first, second});
}

inline bool restoreOk(Vault* vault, const QString& model, const QString& dir, const QString& file,
                      const QString& original)
{
    RestoreJob::Request r;
    r.modelName = model;
    r.destinationDir = dir;
    if (!runJob(new RestoreJob(vault, r)))
        return false;
    return opensslSha256Hex(dir + QLatin1Char('/') + file) == opensslSha256Hex(original);
}

} // namespace mf::test
