#pragma once

#include "providers/localprovider.h"
#include "sync/catalogkeyloader.h"
#include "vault/vault.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace mf::test {

constexpr quint32 KiB = 1024;
constexpr quint32 MiB = 1024 * KiB;
// Small chunks, so that files of a few MiB have many of them.
inline const ChunkerParams SmallChunks = ChunkerParams::contentDefined(64 * KiB, 256 * KiB, MiB);
constexpr int JobTimeoutMs = 120000; // generous: the sanitizer build is slow

// A vault in a temporary folder: its embedded provider "local" plus `extraProviders` more
// local-folder providers, each in a folder of its own; the vault wants 2 replicas where it can.
class TestVault
{
public:
    explicit TestVault(int extraProviders = 0)
    {
        QString error;
        vault = Vault::open(dir.filePath(QStringLiteral("vault")), Vault::OpenMode::CreateIfMissing,
                            &error);
        if (!vault) {
            qWarning("Cannot open a vault: %s", qPrintable(error));
            return;
        }
        for (int i = 0; i < extraProviders; ++i)
            addProvider(QStringLiteral("extra%1").arg(i + 1));
        vault->setReplicationFactor(qMin(2, extraProviders + 1));
    }

    bool ok() const { return vault != nullptr; }
    Registry& registry() { return vault->registry(); }

    qint64 addProvider(const QString& name, qint64 quotaBytes = -1)
    {
        const QString root = dir.filePath(QStringLiteral("store-") + name);
        QDir().mkpath(root);
        ProviderRecord r;
        r.kind = QStringLiteral("local");
        r.name = name;
        r.settings.insert(QStringLiteral("path"), root);
        r.quotaBytes = quotaBytes;
        return registry().providerRows().addProvider(r).value_or(0);
    }
    QList<qint64> providerIds()
    {
        QList<qint64> ids;
        for (const ProviderRecord& p : registry().providerRows().providers())
            ids.append(p.id);
        return ids;
    }
    QString root(qint64 providerId)
    {
        const auto p = registry().providerRows().provider(providerId);
        return p ? p->settings.value(QStringLiteral("path")).toString() : QString();
    }
    QString objectPath(qint64 providerId, const QString& cid)
    {
        return LocalProvider::objectPath(root(providerId), cid);
    }
    QString path(const QString& name) const { return dir.filePath(name); }

    QTemporaryDir dir; // declared first: it outlives the vault inside it
    std::unique_ptr<Vault> vault;
};

// Gives the vault the local-folder providers at `roots` (shared with other test vaults) instead
// of its embedded folder, which no other vault sees, and wants a copy of every chunk on two.
inline bool useSharedFolders(TestVault& v, const QStringList& roots)
{
    for (const QString& root : roots) {
        QDir().mkpath(root);
        ProviderRecord rec;
        rec.kind = QStringLiteral("local");
        rec.name = QFileInfo(root).fileName();
        rec.settings.insert(QStringLiteral("path"), root);
        if (!v.registry().providerRows().addProvider(rec))
            return false;
    }
    const auto own = v.registry().providerRows().providerByName(QStringLiteral("local"));
    if (!own || !v.registry().providerRows().removeProvider(own->id))
        return false;
    v.vault->setReplicationFactor(qMin(2, int(roots.size())));
    return true;
}

// Starts an engine job and waits for its one finished().
template <typename Job> bool run(Job& job)
{
    QSignalSpy finished(&job, &Job::finished);
    job.start();
    if (finished.isEmpty() && !finished.wait(JobTimeoutMs))
        return false;
    QTest::qWait(0); // a second finished() would be queued by now
    return finished.size() == 1;
}

// What a user does for a second computer on the same store: `vault key show` on the first,
// `vault key import` on the second. `from` gets its key first if it has none yet.
inline bool shareCatalogKey(Vault* from, Vault* to)
{
    QObject context;
    bool done = false;
    Error error;
    const auto then = [&](const Error& e) {
        error = e;
        done = true;
    };
    CatalogKeyLoader::withKey(from, &context, then);
    if (!QTest::qWaitFor([&] { return done; }, 30000) || !error.ok()) {
        qWarning("no catalog key: %s", qPrintable(error.message));
        return false;
    }
    done = false;
    CatalogKeyLoader::importKey(to, *from->catalogKey(), &context, then);
    if (!QTest::qWaitFor([&] { return done; }, 30000) || !error.ok()) {
        qWarning("catalog key not imported: %s", qPrintable(error.message));
        return false;
    }
    return true;
}

} // namespace mf::test
