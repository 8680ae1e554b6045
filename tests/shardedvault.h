#pragma once

// A vault of local-folder providers at `shards 4+2` (docs/erasure.md), driven through the real
// modelfloat-cli: the vault's own local store and five more folders (a seventh on request), and
// one model "m" floated in fixed chunks. For the suites of models stored as shards
// (tst_erasure_float, tst_erasure_repair, tst_erasure_kills), with the checks they share: each
// provider holds one good shard of every chunk, and the model says healthy everywhere.

#include "chunking/cid.h"
#include "chunking/shardcodec.h"
#include "clisandbox.h"
#include "sqliteside.h"
#include "storedchunks.h"
#include "testsupport.h"

#include <QDir>
#include <QtTest>

namespace mf::test {

class ShardedVault
{
public:
    static constexpr int K = 4;
    static constexpr int M = 2;

    bool ok() const { return m_box.ok(); }
    CliSandbox& box() { return m_box; }
    const CliSandbox& box() const { return m_box; }
    CliResult run(const QStringList& args, const QByteArray& input = {}) const
    {
        return m_box.run(args, input);
    }
    const QByteArray& bytes() const { return m_bytes; }
    qint64 chunkSize() const { return m_chunkSize; }
    QString modelFile() const { return m_box.path(QStringLiteral("input/m.bin")); }

    // The providers' folders, the vault's own first: six, or seven after addSeventh().
    QStringList folders() const
    {
        QStringList out{m_box.localStore()};
        for (int i = 1; i < m_providers; ++i)
            out.append(m_box.path(QStringLiteral("store%1").arg(i)));
        return out;
    }

    // The vault's own local provider and store1.. up to `providers` in all.
    void addProviders(int providers)
    {
        m_providers = providers;
        for (int i = 1; i < providers; ++i) {
            const CliResult added =
                run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                     QStringLiteral("store%1").arg(i), folders().at(i)});
            QVERIFY2(added.code == 0, added.describe().constData());
        }
    }
    // The model's bytes, written to modelFile() (not floated), cut in fixed chunks of
    // `chunkSize` when it is.
    void setModel(qint64 chunkSize, const QByteArray& bytes)
    {
        m_chunkSize = chunkSize;
        m_bytes = bytes;
        QVERIFY(test::writeFile(modelFile(), m_bytes));
    }
    // Six providers, the vault's redundancy shards 4+2, and the model set, not floated yet.
    void prepare(qint64 chunkSize, const QByteArray& bytes)
    {
        addProviders(K + M);
        if (QTest::currentTestFailed())
            return;
        const CliResult set = run({QStringLiteral("config"), QStringLiteral("redundancy"),
                                   QStringLiteral("shards"), QStringLiteral("4+2")});
        QVERIFY2(set.code == 0, set.describe().constData());
        setModel(chunkSize, bytes);
    }
    // The arguments of `float` for the model as "m" in fixed chunks.
    QStringList floatArgs() const
    {
        return {QStringLiteral("float"),        modelFile(),
                QStringLiteral("--name"),       QStringLiteral("m"),
                QStringLiteral("--chunker"),    QStringLiteral("fixed"),
                QStringLiteral("--chunk-size"), QString::number(m_chunkSize)};
    }
    // prepare(), then the float, which must succeed.
    void floatBytes(qint64 chunkSize, const QByteArray& bytes)
    {
        prepare(chunkSize, bytes);
        if (QTest::currentTestFailed())
            return;
        const CliResult floated = run(floatArgs() << QStringLiteral("--quiet"));
        QVERIFY2(floated.code == 0, floated.describe().constData());
    }

    void addSeventh()
    {
        m_providers = K + M + 1;
        const CliResult added =
            run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                 QStringLiteral("store6"), folders().at(6)});
        QVERIFY2(added.code == 0, added.describe().constData());
    }

    // The vault's registry, to open beside the CLI (test::Side).
    QString registryPath() const { return m_box.vault() + QStringLiteral("/registry.sqlite"); }
    // The name of provider `provider` (an index of folders()) in this vault.
    static QString providerName(int provider)
    {
        return provider == 0 ? QStringLiteral("local") : QStringLiteral("store%1").arg(provider);
    }

    // A second copy of the stored object `cid`: copied from provider `from` to provider `to`
    // (indices of folders()) and recorded there as stored, as this registry says once it took in
    // the catalog of a vault that stored it there too. The copy's path; empty when it failed.
    QString copyObject(const QString& cid, int from, int to) const
    {
        const QString original = test::chunkObjectBelow(folders().at(from), cid);
        if (original.isEmpty())
            return {};
        const QString copy = folders().at(to) + original.mid(folders().at(from).size());
        Side registry(registryPath());
        const bool ok =
            QDir().mkpath(QFileInfo(copy).path()) && QFile::copy(original, copy) &&
            registry.exec(QStringLiteral("INSERT INTO placements (cid, provider_id, "
                                         "short_locator, state, stored_at) SELECT cid, (SELECT id "
                                         "FROM providers WHERE name = '%1'), short_locator, "
                                         "'stored', stored_at FROM placements WHERE cid = '%2' "
                                         "LIMIT 1")
                              .arg(providerName(to), cid));
        return ok ? copy : QString();
    }

    // A provider that lost every object: its folder is there, empty.
    void emptyFolder(int provider) const
    {
        const QString folder = folders().at(provider);
        QVERIFY(!test::chunkObjects(folder).isEmpty());
        QVERIFY(QDir(folder).removeRecursively());
        QVERIFY(QDir().mkpath(folder));
    }

    QList<QByteArray> chunks() const
    {
        QList<QByteArray> out;
        for (qint64 at = 0; at < m_bytes.size(); at += m_chunkSize)
            out.append(m_bytes.mid(at, m_chunkSize));
        return out;
    }

    // The CIDs of a chunk's shards (six, at 4+2), in index order, made here from its bytes.
    static QStringList shardCids(const QByteArray& chunk, int k = K, int m = M)
    {
        ShardCodec::Error error;
        const auto codec = ShardCodec::make(k, m, &error);
        QStringList out;
        if (!codec)
            return out;
        for (const ShardCodec::Shard& s : codec->encode(chunk, &error))
            out.append(s.cid);
        return out;
    }

    static QByteArray fileBytes(const QString& path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    // Each chunk's six shards on six distinct providers, each of them whole, and nothing else
    // stored: what a healthy 4+2 model looks like (or its k + m shards, at another scheme).
    void checkOneGoodShardPerProvider(int k = K, int m = M) const
    {
        QHash<QString, int> chunkOf; // shard CID -> chunk index
        const QList<QByteArray> all = chunks();
        for (int c = 0; c < all.size(); ++c)
            for (const QString& s : shardCids(all.at(c), k, m))
                chunkOf.insert(s, c);
        QCOMPARE(chunkOf.size(), all.size() * (k + m));
        int holding = 0; // providers holding anything
        for (const QString& folder : folders())
            holding += test::chunkObjects(folder).isEmpty() ? 0 : 1;
        QSet<QString> seen;
        int shardsSeen = 0;
        for (const QString& folder : folders()) {
            QSet<int> chunksHere;
            for (const QString& path : test::chunkObjects(folder)) {
                const QString name = QFileInfo(path).fileName();
                QVERIFY2(chunkOf.contains(name),
                         qPrintable(path + QStringLiteral(": not a shard")));
                QVERIFY2(cid::ofData(fileBytes(path)) == name,
                         qPrintable(path + QStringLiteral(": bytes do not match the name")));
                QVERIFY2(!chunksHere.contains(chunkOf.value(name)),
                         qPrintable(
                             folder +
                             QStringLiteral(": two shards of chunk %1").arg(chunkOf.value(name))));
                chunksHere.insert(chunkOf.value(name));
                seen.insert(name);
                ++shardsSeen;
            }
            // With as many providers as shards, each holds a shard of every chunk.
            if (holding == k + m && !chunksHere.isEmpty())
                QVERIFY2(chunksHere.size() == all.size(),
                         qPrintable(folder + QStringLiteral(": shards of %1 of the %2 chunks")
                                                 .arg(chunksHere.size())
                                                 .arg(all.size())));
        }
        QCOMPARE(seen.size(), chunkOf.size());
        QCOMPARE(shardsSeen, chunkOf.size()); // and no shard twice
    }

    // Another vault, "vault-b", on the same providers' folders and with this vault's catalog
    // key, that takes this vault's models in from the catalog (`vault sync`): another computer,
    // or this vault recovered on a new one. `onB` gets its --vault arguments.
    void takeInOnAnotherVault(QStringList* onB) const
    {
        *onB = {QStringLiteral("--vault"), m_box.path(QStringLiteral("vault-b"))};
        QCOMPARE(run(QStringList{QStringLiteral("init")} + *onB).code, 0);
        const QStringList all = folders();
        for (int i = 0; i < all.size(); ++i) {
            const CliResult added = run(QStringList{QStringLiteral("provider"),
                                                    QStringLiteral("add"), QStringLiteral("local"),
                                                    QStringLiteral("shared%1").arg(i), all.at(i)} +
                                        *onB);
            QVERIFY2(added.code == 0, added.describe().constData());
        }
        const CliResult key = m_box.shareCatalogKey({}, *onB);
        QVERIFY2(key.code == 0, key.describe().constData());
        const CliResult synced =
            run(QStringList{QStringLiteral("vault"), QStringLiteral("sync")} + *onB);
        QVERIFY2(synced.code == 0, synced.describe().constData());
    }

    // `verify`, `info` and `list` all say the model is healthy.
    void checkHealthy() const
    {
        const CliResult verify =
            run({QStringLiteral("verify"), QStringLiteral("m"), QStringLiteral("--json")});
        QVERIFY2(verify.code == 0, verify.describe().constData());
        QCOMPARE(verify.json().value(QStringLiteral("missing")).toInt(), 0);
        QCOMPARE(verify.json().value(QStringLiteral("corrupt")).toInt(), 0);
        const CliResult info =
            run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
        QVERIFY2(info.code == 0, info.describe().constData());
        QCOMPARE(info.json().value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
        const CliResult list = run({QStringLiteral("list")});
        QVERIFY2(list.code == 0 && !list.out.contains("degraded"), list.describe().constData());
    }

    // `restore m` into out/NAME gives the model's bytes.
    void checkRestores(const QString& name) const
    {
        const QString out = m_box.path(QStringLiteral("out/") + name);
        const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                                        QStringLiteral("--to"), out, QStringLiteral("--quiet")});
        QVERIFY2(restored.code == 0, restored.describe().constData());
        QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_bytes);
    }

private:
    CliSandbox m_box;
    QByteArray m_bytes;
    qint64 m_chunkSize = 0;
    int m_providers = K + M;
};

} // namespace mf::test
