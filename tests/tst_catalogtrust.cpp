// Who may write the catalog (docs/catalog.md, "Who may write"): a store shared with a stranger,
// who can put any object into it. Every state and lease is signed with the key only the user's
// computers hold; an object that does not authenticate is never acted upon — no removal, no
// model added, no counter raised — and is said once, by name and store. A store older
// versions wrote (unsigned) is taken in once by the first vault with a key, which signs it from
// then on. Issue 35, items 2 and 5.

#include "catalogtestsupport.h"
#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogformat.h"
#include "sync/catalogkeyloader.h"
#include "sync/catalogpublishjob.h"
#include "sync/catalogsyncjob.h"

#include <QDir>
#include <QFile>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

QString statePath(const QString& root, const QString& vault, qint64 seq)
{
    return root + QStringLiteral("/catalog/") + catalog::stateName(vault, seq);
}

// The body of a sealed object (what a forger edits).
QByteArray bodyOf(const QByteArray& object)
{
    return object.mid(object.indexOf('\n') + 1);
}

// How a forger seals an edited state: without a signature (as an older version wrote states),
// with a key of its own, or with the victim's key id and a MAC it made up.
enum class Forgery { Unsigned, OwnKey, MadeUpMac };

QByteArray forge(const catalog::VaultState& state, Forgery how, const CatalogKey& victimKey)
{
    const CatalogKey forgerKey = CatalogKey::generate();
    const QByteArray signedByForger = catalog::encodeState(state, forgerKey);
    switch (how) {
    case Forgery::Unsigned:
        return catalog::seal(catalog::ObjectType::State, bodyOf(signedByForger));
    case Forgery::OwnKey:
        return signedByForger;
    case Forgery::MadeUpMac: {
        // The header names the victim's key; the MAC is the forger's.
        QByteArray object = signedByForger;
        return object.replace(forgerKey.id(), victimKey.id());
    }
    }
    return {};
}

// A sync of `v` that must succeed; its report.
CatalogSyncJob::Report syncOk(TestVault& v, bool* ok)
{
    CatalogSyncJob sync(v.vault.get());
    QSignalSpy finished(&sync, &TransferJob::finished);
    sync.start();
    *ok = finished.wait(JobTimeoutMs) && sync.error().ok();
    if (!sync.error().ok())
        qWarning("%s", qPrintable(sync.error().message));
    return sync.report();
}

} // namespace

class TestCatalogTrust final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void forgedRemovalIsIgnored_data();
    void forgedRemovalIsIgnored();
    void forgedVaultAddsNoModel();
    void unsignedStoreIsAdoptedOnce();
    void importedKeySignsOwnStateAgain();
};

void TestCatalogTrust::forgedRemovalIsIgnored_data()
{
    QTest::addColumn<int>("how");
    QTest::newRow("unsigned") << int(Forgery::Unsigned);
    QTest::newRow("signed with the forger's key") << int(Forgery::OwnKey);
    QTest::newRow("the victim's key id, a made-up MAC") << int(Forgery::MadeUpMac);
}

void TestCatalogTrust::forgedRemovalIsIgnored()
{
    // A forger copies A's newest state, drops model "kept" from it, tombstones its entry, and
    // writes it as A's next state into both shared folders (checksum recomputed: only the MAC
    // can tell). Before signatures, B's sync removed "kept" and its collect freed the chunks.
    QFETCH(int, how);
    TestVault a;
    TestVault b;
    const QStringList roots = shareTwoFolders(a, b, QStringLiteral("f1"), QStringLiteral("f2"));
    QVERIFY(!roots.isEmpty());
    const QString kept = a.dir.filePath(QStringLiteral("kept.bin"));
    const QString other = a.dir.filePath(QStringLiteral("other.bin"));
    QVERIFY(writePseudoRandomFile(kept, 600 * KiB, 51));
    QVERIFY(writePseudoRandomFile(other, 300 * KiB, 52));
    QVERIFY(floatInto(a.vault.get(), kept, QStringLiteral("kept")));
    QVERIFY(floatInto(a.vault.get(), other, QStringLiteral("other")));
    QVERIFY(runJob(new CatalogPublishJob(a.vault.get())));
    bool ok = false;
    syncOk(b, &ok);
    QVERIFY(ok);
    QVERIFY(b.registry().modelRows().modelByName(QStringLiteral("kept")));

    const QString aId = a.vault->id();
    const qint64 seq = a.registry().catalogRows().catalogSeq();
    QString why;
    const auto real = catalog::decodeState(readAll(statePath(roots.first(), aId, seq)),
                                           a.vault->catalogKey(), &why);
    QVERIFY2(real, qPrintable(why));
    QCOMPARE(real->signedBy.signature, catalog::Signature::Valid);
    catalog::VaultState forged = *real;
    forged.seq = seq + 1;
    for (qsizetype i = 0; i < forged.entries.size(); ++i)
        if (forged.entries.at(i).name == QLatin1String("kept"))
            forged.tombstones.append(forged.entries.takeAt(i).eid);
    QCOMPARE(forged.entries.size(), 1);
    const QByteArray object = forge(forged, Forgery(how), *a.vault->catalogKey());
    for (const QString& root : roots)
        QVERIFY(writeFile(statePath(root, aId, forged.seq), object));

    const CatalogSyncJob::Report r = syncOk(b, &ok);
    QVERIFY(ok);
    QCOMPARE(r.modelsRemoved, 0);
    QVERIFY(r.unresolved.isEmpty());            // nothing trustworthy is newer: not a failure
    QCOMPARE(r.untrusted.size(), roots.size()); // once per store, by name
    for (const QString& said : r.untrusted)
        QVERIFY2(said.contains(catalog::stateName(aId, forged.seq)) &&
                     said.contains(QStringLiteral("not written by your computers")),
                 qPrintable(said));
    QVERIFY(b.registry().modelRows().modelByName(QStringLiteral("kept")));

    // Said once: the next sync passes it by in silence, and obeys it no more than before.
    const CatalogSyncJob::Report again = syncOk(b, &ok);
    QVERIFY(ok);
    QVERIFY2(again.untrusted.isEmpty(), qPrintable(again.untrusted.join(QLatin1Char('\n'))));
    QCOMPARE(again.modelsRemoved, 0);

    // A collection on B frees nothing of "kept", and both models restore bit-exact from B.
    QVERIFY(runJob(new CatalogCollectJob(b.vault.get(), QString())));
    QVERIFY(restoreOk(b.vault.get(), QStringLiteral("kept"), b.dir.filePath(QStringLiteral("o1")),
                      QStringLiteral("kept.bin"), kept));
    QVERIFY(restoreOk(b.vault.get(), QStringLiteral("other"), b.dir.filePath(QStringLiteral("o2")),
                      QStringLiteral("other.bin"), other));
    // A is not fooled by a state under its own name either: its counter stays.
    syncOk(a, &ok);
    QVERIFY(ok);
    QCOMPARE(a.registry().catalogRows().catalogSeq(), seq);
}

void TestCatalogTrust::forgedVaultAddsNoModel()
{
    // A state under a vault id of the forger's choosing, naming a manifest of its own (a
    // 1,000-byte file whose chunk it also wrote): no model appears on B.
    TestVault a;
    TestVault b;
    const QStringList roots = shareTwoFolders(a, b, QStringLiteral("g1"), QStringLiteral("g2"));
    QVERIFY(!roots.isEmpty());
    const QString src = a.dir.filePath(QStringLiteral("real.bin"));
    QVERIFY(writePseudoRandomFile(src, 300 * KiB, 53));
    QVERIFY(floatInto(a.vault.get(), src, QStringLiteral("real")));
    QVERIFY(runJob(new CatalogPublishJob(a.vault.get())));

    const QByteArray payload(1000, 'x');
    catalog::Manifest m;
    m.uid = catalog::newId();
    m.model.name = QStringLiteral("planted");
    catalog::ManifestFile f;
    f.file.path = QStringLiteral("planted.gguf");
    f.file.size = payload.size();
    f.file.sha256 = Sha256::hash(payload).toHex();
    f.file.chunker = QStringLiteral("fixed-1048576");
    f.chunks = {FileChunk{0, 0, payload.size(), cid::ofData(payload)}};
    m.files = {f};
    const QByteArray manifest = catalog::encodeManifest(m);
    catalog::VaultState forged;
    forged.vault = catalog::newId();
    forged.seq = 1;
    forged.entries = {
        {catalog::newId(), m.uid, forged.vault, cid::ofData(manifest), m.model.name, 1}};
    for (const QString& root : roots) {
        QVERIFY(writeFile(root + QStringLiteral("/catalog/") +
                              catalog::manifestName(cid::ofData(manifest)),
                          manifest));
        QVERIFY(writeFile(statePath(root, forged.vault, 1),
                          forge(forged, Forgery::OwnKey, *a.vault->catalogKey())));
    }
    bool ok = false;
    const CatalogSyncJob::Report r = syncOk(b, &ok);
    QVERIFY(ok);
    QCOMPARE(r.modelsAdded, 1); // "real", from A
    QVERIFY(b.registry().modelRows().modelByName(QStringLiteral("real")));
    QVERIFY(!b.registry().modelRows().modelByName(QStringLiteral("planted")));
    QCOMPARE(r.untrusted.size(), roots.size());
}

void TestCatalogTrust::unsignedStoreIsAdoptedOnce()
{
    // A store an older version wrote: A's states carry no signature. B, a vault that has no
    // key yet, makes one and takes the store in once (nothing of A's is lost); from then on an
    // unsigned state is a stranger's, and B's own state is signed.
    TestVault a;
    TestVault b;
    QVERIFY(a.ok() && b.ok());
    const QStringList roots{a.dir.filePath(QStringLiteral("u1")),
                            a.dir.filePath(QStringLiteral("u2"))};
    QVERIFY(useSharedFolders(a, roots) && useSharedFolders(b, roots));
    const QString one = a.dir.filePath(QStringLiteral("one.bin"));
    QVERIFY(writePseudoRandomFile(one, 400 * KiB, 54));
    QVERIFY(floatInto(a.vault.get(), one, QStringLiteral("one")));
    QVERIFY(runJob(new CatalogPublishJob(a.vault.get())));
    const QString aId = a.vault->id();
    const qint64 seq = a.registry().catalogRows().catalogSeq();
    QString why;
    const auto state = catalog::decodeState(readAll(statePath(roots.first(), aId, seq)),
                                            a.vault->catalogKey(), &why);
    QVERIFY2(state, qPrintable(why));
    for (const QString& root : roots) {
        const QString path = statePath(root, aId, seq);
        QVERIFY(writeFile(path, catalog::seal(catalog::ObjectType::State, bodyOf(readAll(path)))));
    }

    bool ok = false;
    const CatalogSyncJob::Report first = syncOk(b, &ok);
    QVERIFY(ok);
    QVERIFY2(first.untrusted.isEmpty(), qPrintable(first.untrusted.join(QLatin1Char('\n'))));
    QCOMPARE(first.modelsAdded, 1);
    QVERIFY(restoreOk(b.vault.get(), QStringLiteral("one"), b.dir.filePath(QStringLiteral("o1")),
                      QStringLiteral("one.bin"), one));

    // An unsigned state written now (as a forger would) is not obeyed.
    catalog::VaultState removal = *state;
    removal.seq = seq + 1;
    removal.tombstones.append(removal.entries.takeFirst().eid);
    for (const QString& root : roots)
        QVERIFY(writeFile(statePath(root, aId, removal.seq),
                          forge(removal, Forgery::Unsigned, *a.vault->catalogKey())));
    const CatalogSyncJob::Report second = syncOk(b, &ok);
    QVERIFY(ok);
    QCOMPARE(second.modelsRemoved, 0);
    QCOMPARE(second.untrusted.size(), roots.size());
    QVERIFY(b.registry().modelRows().modelByName(QStringLiteral("one")));

    // B's own state is signed with its key.
    const QString two = b.dir.filePath(QStringLiteral("two.bin"));
    QVERIFY(writePseudoRandomFile(two, 200 * KiB, 55));
    QVERIFY(floatInto(b.vault.get(), two, QStringLiteral("two")));
    QVERIFY(runJob(new CatalogPublishJob(b.vault.get())));
    const auto own = catalog::decodeState(
        readAll(statePath(roots.first(), b.vault->id(), b.registry().catalogRows().catalogSeq())),
        b.vault->catalogKey(), &why);
    QVERIFY2(own, qPrintable(why));
    QCOMPARE(own->signedBy.signature, catalog::Signature::Valid);
}

void TestCatalogTrust::importedKeySignsOwnStateAgain()
{
    // B published under a key of its own before it was given A's (a second computer set up
    // before the user imported the recovery key): its next publish signs its state again under
    // A's key, as a new version, with nothing else changed — so A takes B's models in.
    TestVault a;
    TestVault b;
    QVERIFY(a.ok() && b.ok());
    const QStringList roots{a.dir.filePath(QStringLiteral("k1"))};
    QVERIFY(useSharedFolders(a, roots) && useSharedFolders(b, roots));
    const QString src = b.dir.filePath(QStringLiteral("b.bin"));
    QVERIFY(writePseudoRandomFile(src, 300 * KiB, 56));
    QVERIFY(floatInto(b.vault.get(), src, QStringLiteral("from-b")));
    QVERIFY(runJob(new CatalogPublishJob(b.vault.get())));
    const qint64 before = b.registry().catalogRows().catalogSeq();
    QVERIFY(before > 0);
    // A's first sync: B's state is signed with a key A does not hold; A makes no key of its
    // own over it, and says what to do.
    {
        CatalogSyncJob sync(a.vault.get());
        QSignalSpy finished(&sync, &TransferJob::finished);
        sync.start();
        QVERIFY(finished.wait(JobTimeoutMs));
        QVERIFY(!sync.error().ok());
        QVERIFY2(sync.error().message.contains(QStringLiteral("vault key import")),
                 qPrintable(sync.error().message));
        QVERIFY(!a.vault->catalogKey());
    }
    QVERIFY(shareCatalogKey(b.vault.get(), a.vault.get())); // the other way: A takes B's key
    bool ok = false;
    syncOk(a, &ok);
    QVERIFY(ok);
    QVERIFY(a.registry().modelRows().modelByName(QStringLiteral("from-b")));

    // Now B takes a new key (as if it imported another computer's): its state is re-signed.
    const CatalogKey other = CatalogKey::generate();
    QObject context;
    bool done = false;
    Error error;
    CatalogKeyLoader::importKey(b.vault.get(), other, &context, [&](const Error& e) {
        error = e;
        done = true;
    });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 30000) && error.ok());
    QVERIFY(runJob(new CatalogPublishJob(b.vault.get())));
    QCOMPARE(b.registry().catalogRows().catalogSeq(), before + 1);
    QString why;
    const auto resigned = catalog::decodeState(
        readAll(statePath(roots.first(), b.vault->id(), before + 1)), b.vault->catalogKey(), &why);
    QVERIFY2(resigned, qPrintable(why));
    QCOMPARE(resigned->signedBy.signature, catalog::Signature::Valid);
}

QTEST_GUILESS_MAIN(TestCatalogTrust)
#include "tst_catalogtrust.moc"
