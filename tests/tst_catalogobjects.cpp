// The catalog-object part of the Provider contract (docs/providers.md, docs/catalog.md) against
// every adapter and a real server for each: a local folder, s3rver behind the SigV4-checking
// proxy, rclone's WebDAV server, Apache's mod_dav, js-ipfs's MFS, and the Google Drive and MEGA
// test servers (checked against their own clients in tst_driveprovider and tst_megaprovider). Each
// case runs once per kind: named objects written whole, read back, listed one folder at a time with
// the provider's clock, replaced, removed; names that would leave the catalog refused; catalog
// objects and chunk objects kept apart; the chunk a listed object holds named; locatorFor()
// agreeing with put().

#include "chunking/cid.h"
#include "everykind.h"
#include "testsupport.h"
#include "util/processidentity.h"
#include "util/temporaries.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QUuid>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

QList<CatalogObject> listCatalog(Provider& p, const QString& folder,
                                 QDateTime* serverTime = nullptr)
{
    QList<CatalogObject> out;
    runProviderJob(p.listCatalogObjects(folder), [&](ProviderJob& j) {
        if (!j.error().ok())
            qWarning("list %s: %s", qPrintable(folder), qPrintable(j.error().message));
        out = j.catalogObjects();
        if (serverTime)
            *serverTime = j.serverTime();
    });
    return out;
}

QStringList names(const QList<CatalogObject>& objects)
{
    QStringList out;
    for (const CatalogObject& o : objects)
        out.append(o.name);
    out.sort();
    return out;
}

QByteArray readCatalog(Provider& p, const QString& name, Error* error = nullptr)
{
    QByteArray data;
    runProviderJob(p.readCatalogObject(name), [&](ProviderJob& j) {
        data = j.data();
        if (error)
            *error = j.error();
    });
    return data;
}

} // namespace

class TestCatalogObjects final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void roundTrip_data() { kinds(); }
    void roundTrip();
    void oversizedManifestIsRefused_data() { kinds(); }
    void oversizedManifestIsRefused();
    void listsOneFolder_data() { kinds(); }
    void listsOneFolder();
    void providerClock_data() { kinds(); }
    void providerClock();
    void refusesBadNames_data() { kinds(); }
    void refusesBadNames();
    void keptApartFromChunks_data() { kinds(); }
    void keptApartFromChunks();
    void failedWriteLeavesNoTemporary_data() { kinds(); }
    void failedWriteLeavesNoTemporary();
    void s3FindsOtherStores();
    void ipfsSweepRemovesKilledWrites();

private:
    void kinds();
    // A provider of `kind` with a store of its own (a folder, a key prefix).
    std::unique_ptr<Provider> make(const QString& kind, const QString& store = {});
    // What is in the temporary area catalog writes of `kind` use (store `store`), looked at
    // on the server's side; false when this suite cannot look there (S3 writes in one PUT and
    // has none; Apache's files are its peer's own).
    bool temporaries(const QString& kind, const QString& store, QStringList* names);
    // POSTs <api>/api/v0/<command> to the suite's IPFS node, `file` (if any) as the multipart
    // body files/write takes; false when the node answers an error (`answer` holds it).
    bool ipfsRpc(const QString& command, const QByteArray& file, QJsonObject* answer);

    EveryKind m_kinds;
};

void TestCatalogObjects::initTestCase()
{
    QString error;
    QVERIFY2(m_kinds.start(&error), qPrintable(error));
}

void TestCatalogObjects::kinds()
{
    EveryKind::addRows();
}

std::unique_ptr<Provider> TestCatalogObjects::make(const QString& kind, const QString& store)
{
    std::unique_ptr<Provider> p = m_kinds.make(kind, store);
    // One node, one MFS: every IPFS provider of the suite shares the catalog root, so each case
    // clears what the previous one left.
    if (p && p->kind() == QLatin1String("ipfs")) {
        for (const char* folder : {"states", "manifests", "locks", "a"})
            for (const CatalogObject& o : listCatalog(*p, QString::fromLatin1(folder)))
                runProviderJob(p->removeCatalogObject(o.name));
    }
    return p;
}

void TestCatalogObjects::roundTrip()
{
    QFETCH(QString, kind);
    auto p = make(kind);
    QVERIFY(p);
    const QString name = QStringLiteral("states/0f3c-vault.000000000001");
    // Binary bytes of every value, and a size above the servers' small-body paths.
    const QByteArray first = pseudoRandomBytes(3 * 1024 * 1024 + 17, 7);
    QCOMPARE(runProviderJob(p->writeCatalogObject(name, first)).kind, Error::Kind::None);
    Error e;
    QCOMPARE(readCatalog(*p, name, &e), first);
    QVERIFY2(e.ok(), qPrintable(e.message));
    const QList<CatalogObject> listed = listCatalog(*p, QStringLiteral("states"));
    QCOMPARE(names(listed), QStringList{name});
    QCOMPARE(listed.first().size, first.size());

    // Writing the name again replaces the object whole.
    const QByteArray second("MFCAT 1 state 2 aaaa\n{}");
    QCOMPARE(runProviderJob(p->writeCatalogObject(name, second)).kind, Error::Kind::None);
    QCOMPARE(readCatalog(*p, name), second);
    QCOMPARE(names(listCatalog(*p, QStringLiteral("states"))), QStringList{name});

    // An empty object is an object.
    const QString empty = QStringLiteral("states/empty");
    QCOMPARE(runProviderJob(p->writeCatalogObject(empty, QByteArray())).kind, Error::Kind::None);
    QCOMPARE(readCatalog(*p, empty, &e), QByteArray());
    QVERIFY2(e.ok(), qPrintable(e.message));

    QCOMPARE(runProviderJob(p->removeCatalogObject(name)).kind, Error::Kind::None);
    QCOMPARE(runProviderJob(p->removeCatalogObject(empty)).kind, Error::Kind::None);
    readCatalog(*p, name, &e);
    QCOMPARE(e.kind, Error::Kind::NotFound);
    // Removing what is not there succeeds.
    QCOMPARE(runProviderJob(p->removeCatalogObject(name)).kind, Error::Kind::None);
    QVERIFY(listCatalog(*p, QStringLiteral("states")).isEmpty());
    // Reading what never was: NotFound, not another error.
    readCatalog(*p, QStringLiteral("manifests/never-written"), &e);
    QCOMPARE(e.kind, Error::Kind::NotFound);
}

void TestCatalogObjects::oversizedManifestIsRefused()
{
    // Issue 35, item 6: a manifest one byte past the limit is refused as damaged (Corrupt),
    // by its announced size where the server tells it, else once the read passes the limit; a
    // state of that size (another limit) reads.
    QFETCH(QString, kind);
    auto p = make(kind);
    QVERIFY(p);
    const QByteArray bytes = pseudoRandomBytes(Provider::MaxManifestBytes + 1, 8);
    const QString manifest = QStringLiteral("manifests/bafkreioversized");
    const QString state = QStringLiteral("states/0f3c-vault.000000000002");
    QCOMPARE(runProviderJob(p->writeCatalogObject(manifest, bytes)).kind, Error::Kind::None);
    QCOMPARE(runProviderJob(p->writeCatalogObject(state, bytes)).kind, Error::Kind::None);
    Error e;
    QVERIFY(readCatalog(*p, manifest, &e).isEmpty());
    QCOMPARE(e.kind, Error::Kind::Corrupt);
    qInfo("%s", qPrintable(e.message)); // by its announced size, or where the read passed it
    QVERIFY2(
        e.message.contains(QStringLiteral("%1 bytes it may be").arg(Provider::MaxManifestBytes)) ||
            e.message.contains(
                QStringLiteral("more than the %1 it may be").arg(Provider::MaxManifestBytes)),
        qPrintable(e.message));
    QCOMPARE(readCatalog(*p, state, &e).size(), bytes.size());
    QVERIFY2(e.ok(), qPrintable(e.message));
    QCOMPARE(runProviderJob(p->removeCatalogObject(manifest)).kind, Error::Kind::None);
    QCOMPARE(runProviderJob(p->removeCatalogObject(state)).kind, Error::Kind::None);
}

void TestCatalogObjects::listsOneFolder()
{
    QFETCH(QString, kind);
    auto p = make(kind);
    QVERIFY(p);
    // A folder that does not exist lists nothing, successfully.
    QCOMPARE(runProviderJob(p->listCatalogObjects(QStringLiteral("locks"))).kind,
             Error::Kind::None);
    QVERIFY(listCatalog(*p, QStringLiteral("locks")).isEmpty());

    const QStringList written{QStringLiteral("a/one"), QStringLiteral("a/two.x"),
                              QStringLiteral("a/b/deeper"), QStringLiteral("locks/v.1.float.3")};
    for (const QString& n : written)
        QCOMPARE(runProviderJob(p->writeCatalogObject(n, n.toUtf8())).kind, Error::Kind::None);
    // Only the objects directly in the folder, named from the catalog root.
    QCOMPARE(names(listCatalog(*p, QStringLiteral("a"))),
             (QStringList{QStringLiteral("a/one"), QStringLiteral("a/two.x")}));
    QCOMPARE(names(listCatalog(*p, QStringLiteral("a/b"))),
             QStringList{QStringLiteral("a/b/deeper")});
    QCOMPARE(names(listCatalog(*p, QStringLiteral("locks"))),
             QStringList{QStringLiteral("locks/v.1.float.3")});
    for (const QString& n : written) {
        QCOMPARE(readCatalog(*p, n), n.toUtf8());
        QCOMPARE(runProviderJob(p->removeCatalogObject(n)).kind, Error::Kind::None);
    }
    QVERIFY(listCatalog(*p, QStringLiteral("a")).isEmpty());
}

void TestCatalogObjects::providerClock()
{
    QFETCH(QString, kind);
    auto p = make(kind);
    QVERIFY(p);
    QCOMPARE(runProviderJob(p->writeCatalogObject(QStringLiteral("locks/x"), "lease")).kind,
             Error::Kind::None);
    QDateTime serverNow;
    const QList<CatalogObject> listed = listCatalog(*p, QStringLiteral("locks"), &serverNow);
    QCOMPARE(listed.size(), 1);
    if (kind == QLatin1String("ipfs")) {
        // MFS keeps no modification times: a reader falls back to the writer's time.
        QVERIFY(!listed.first().modified.isValid());
        return;
    }
    // The provider's clock and the object's time, both from the provider, agree.
    QVERIFY(serverNow.isValid());
    QVERIFY(listed.first().modified.isValid());
    QCOMPARE(serverNow.timeSpec(), Qt::UTC);
    const qint64 age = listed.first().modified.secsTo(serverNow);
    QVERIFY2(age >= -2 && age < 120, qPrintable(QString::number(age)));
}

void TestCatalogObjects::refusesBadNames()
{
    QFETCH(QString, kind);
    auto p = make(kind);
    QVERIFY(p);
    for (const char* bad :
         {"", "../x", "a/../../x", "/abs", ".tmp/x", "a//b", "a/", "sp ace", "a/.hidden", "ü"}) {
        const QString name = QString::fromUtf8(bad);
        QVERIFY2(!Provider::isValidCatalogName(name), bad);
        const Error w = runProviderJob(p->writeCatalogObject(name, "x"));
        QVERIFY2(!w.ok(), bad);
        Error r;
        readCatalog(*p, name, &r);
        QVERIFY2(!r.ok(), bad);
        QVERIFY2(!runProviderJob(p->removeCatalogObject(name)).ok(), bad);
    }
    for (const char* good : {"states/v.000000000001", "manifests/bafkreiabc", "a-b_c.d"})
        QVERIFY2(Provider::isValidCatalogName(QString::fromLatin1(good)), good);
}

void TestCatalogObjects::keptApartFromChunks()
{
    QFETCH(QString, kind);
    auto p = make(kind);
    QVERIFY(p);
    const QByteArray chunk = pseudoRandomBytes(100 * 1024, 3);
    const QString id = cid::ofData(chunk);
    QString locator;
    runProviderJob(p->put(id, sourceOf(chunk), chunk.size()), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        locator = j.locator();
    });
    // The locator a put gives, known beforehand where the adapter names its objects (a Drive
    // file id and a MEGA node handle are the provider's to choose).
    if (kind == QLatin1String("gdrive") || kind == QLatin1String("mega"))
        QVERIFY(p->locatorFor(id, chunk.size()).isEmpty());
    else
        QCOMPARE(p->locatorFor(id, chunk.size()), locator);
    // A catalog object named like a chunk is not a chunk.
    const QByteArray other = pseudoRandomBytes(1000, 4);
    const QString manifest = QStringLiteral("manifests/") + cid::ofData(other);
    QCOMPARE(runProviderJob(p->writeCatalogObject(manifest, other)).kind, Error::Kind::None);

    bool found = false;
    runProviderJob(p->list(), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        for (const StoredObject& o : j.objects()) {
            QVERIFY2(o.cid != cid::ofData(other), qPrintable(o.locator));
            if (o.locator == locator) {
                found = true;
                // The listing names the chunk the object holds.
                QCOMPARE(o.cid, id);
            }
        }
    });
    QVERIFY(found);
    QVERIFY(listCatalog(*p, QStringLiteral("manifests")).size() == 1);
    QCOMPARE(readCatalog(*p, manifest), other);
    QCOMPARE(runProviderJob(p->remove(locator)).kind, Error::Kind::None);
    QCOMPARE(readCatalog(*p, manifest), other);
    QCOMPARE(runProviderJob(p->removeCatalogObject(manifest)).kind, Error::Kind::None);
    QCOMPARE(p->listsOnlyOwnObjects(), kind != QLatin1String("ipfs"));
}

bool TestCatalogObjects::ipfsRpc(const QString& command, const QByteArray& file,
                                 QJsonObject* answer)
{
    bool ok = false;
    QList<QPair<QString, QByteArray>> files;
    if (!file.isNull())
        files.append({QStringLiteral("f"), file});
    *answer = QJsonDocument::fromJson(m_kinds.ipfs.rpc(command, files, &ok)).object();
    return ok;
}

bool TestCatalogObjects::temporaries(const QString& kind, const QString& store, QStringList* names)
{
    names->clear();
    const QDir::Filters all = QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot;
    if (kind == QLatin1String("local")) {
        *names = QDir(m_kinds.filePath(QStringLiteral("local-") + store + QStringLiteral("/.tmp")))
                     .entryList(all);
        return true;
    }
    if (kind == QLatin1String("webdav")) {
        *names = QDir(m_kinds.dav.root() + QLatin1Char('/') + store + QStringLiteral("/.partial"))
                     .entryList(all);
        return true;
    }
    if (kind == QLatin1String("ipfs")) {
        // The node's own answer: MFS /modelfloat/catalog/.tmp, through its RPC API.
        QJsonObject answer;
        if (!ipfsRpc(QStringLiteral("files/ls?arg=/modelfloat/catalog/.tmp&long=true"), {},
                     &answer))
            // No .tmp folder at all: nothing was ever left there.
            return answer.value(QStringLiteral("Message"))
                .toString()
                .contains(QLatin1String("does not exist"));
        for (const QJsonValue& e : answer.value(QStringLiteral("Entries")).toArray())
            names->append(e.toObject().value(QStringLiteral("Name")).toString());
        return true;
    }
    return false;
}

void TestCatalogObjects::failedWriteLeavesNoTemporary()
{
    // Writes that may fail once their temporary exists: an object below one that is a file (no
    // folder can be made there), and an object where a folder is. Whatever the outcome, no
    // temporary stays behind, and the name holds either the whole object or nothing new.
    QFETCH(QString, kind);
    const QString store = QStringLiteral("failing-") + kind;
    auto p = make(kind, store);
    QVERIFY(p);
    const QByteArray blocker = pseudoRandomBytes(500, 5);
    const QByteArray inFolder = pseudoRandomBytes(700, 6);
    const Error wroteBlocker =
        runProviderJob(p->writeCatalogObject(QStringLiteral("blocker"), blocker));
    QVERIFY2(wroteBlocker.ok(), qPrintable(wroteBlocker.message));
    QCOMPARE(runProviderJob(p->writeCatalogObject(QStringLiteral("folder/y"), inFolder)).kind,
             Error::Kind::None);
    const QByteArray attempt = pseudoRandomBytes(2000, 7);
    for (const QString& name : {QStringLiteral("blocker/x"), QStringLiteral("folder")}) {
        const Error e = runProviderJob(p->writeCatalogObject(name, attempt));
        QVERIFY2(e.kind != Error::Kind::Cancelled, qPrintable(e.message));
        Error read;
        const QByteArray found = readCatalog(*p, name, &read);
        if (e.ok())
            QCOMPARE(found, attempt);
        else
            QVERIFY2(!read.ok() || found.isEmpty(),
                     qPrintable(name + QStringLiteral(": ") + e.message));
        QStringList left;
        if (temporaries(kind, store, &left)) {
            // WebDAV removes its temporary after the job ends (a request of its own).
            QTRY_VERIFY2_WITH_TIMEOUT(
                temporaries(kind, store, &left) && left.isEmpty(),
                qPrintable(name + QStringLiteral(" left ") + left.join(QLatin1Char(' '))),
                ProviderJobTimeoutMs);
        }
        if (e.ok())
            QCOMPARE(runProviderJob(p->removeCatalogObject(name)).kind, Error::Kind::None);
    }
    QCOMPARE(readCatalog(*p, QStringLiteral("blocker")), blocker);
    for (const QString& name : {QStringLiteral("blocker"), QStringLiteral("folder/y")})
        QCOMPARE(runProviderJob(p->removeCatalogObject(name)).kind, Error::Kind::None);
}

void TestCatalogObjects::s3FindsOtherStores()
{
    // Two vaults' stores in one bucket, one with a catalog; a third prefix without.
    auto a = make(QStringLiteral("s3"), QStringLiteral("store-a"));
    auto b = make(QStringLiteral("s3"), QStringLiteral("store-b"));
    auto c = make(QStringLiteral("s3"), QStringLiteral("store-c"));
    QVERIFY(a && b && c);
    QCOMPARE(
        runProviderJob(a->writeCatalogObject(QStringLiteral("states/va.000000000001"), "s")).kind,
        Error::Kind::None);
    QCOMPARE(
        runProviderJob(b->writeCatalogObject(QStringLiteral("states/vb.000000000001"), "s")).kind,
        Error::Kind::None);
    const QByteArray chunk = pseudoRandomBytes(1000, 5);
    QCOMPARE(runProviderJob(c->put(cid::ofData(chunk), sourceOf(chunk), chunk.size())).kind,
             Error::Kind::None);
    QList<QJsonObject> stores;
    runProviderJob(c->findStores(), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        stores = j.stores();
    });
    QStringList prefixes;
    for (const QJsonObject& s : stores)
        prefixes.append(s.value(QStringLiteral("prefix")).toString());
    prefixes.sort();
    QVERIFY2(prefixes.contains(QStringLiteral("modelfloat/store-a/")),
             qPrintable(prefixes.join(QLatin1Char(','))));
    QVERIFY(prefixes.contains(QStringLiteral("modelfloat/store-b/")));
    QVERIFY(!prefixes.contains(QStringLiteral("modelfloat/store-c/")));
    // Other kinds have no other stores to offer.
    auto local = make(QStringLiteral("local"));
    runProviderJob(local->findStores(), [&](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QVERIFY(j.stores().isEmpty());
    });
}

void TestCatalogObjects::ipfsSweepRemovesKilledWrites()
{
    // Catalog writes killed between files/write and files/mv leave their temporary in MFS; the
    // sweep removes those of this host's dead processes and nothing else: not this process's
    // (a write in flight), not another host's (whose process cannot be checked from here).
    auto p = make(QStringLiteral("ipfs"), QStringLiteral("sweep"));
    QVERIFY(p);
    QStringList left;
    QVERIFY(temporaries(QStringLiteral("ipfs"), {}, &left));
    for (const QString& name : std::as_const(left)) {
        QJsonObject answer;
        QVERIFY(
            ipfsRpc(QStringLiteral("files/rm?arg=/modelfloat/catalog/.tmp/") + name, {}, &answer));
    }
    QProcess gone; // a process of this host that has ended: its pid names a killed writer
    gone.start(QStringLiteral("sleep"), {QStringLiteral("0.1")});
    QVERIFY(gone.waitForStarted());
    const qint64 deadPid = gone.processId();
    QVERIFY(gone.waitForFinished());
    QVERIFY(!processidentity::mayBeRunning(deadPid));
    const QString killed = QStringLiteral("catalog.modelfloat-%1-%2-0123abcd-00000000000000aa")
                               .arg(processidentity::hostKey())
                               .arg(deadPid);
    const QString mine = temporaries::uniqueName(QStringLiteral("catalog"));
    const QString otherHostKey = processidentity::hostKey() == QLatin1String("00000001")
                                     ? QStringLiteral("00000002")
                                     : QStringLiteral("00000001");
    const QString otherHost =
        QStringLiteral("catalog.modelfloat-%1-1-0123abcd-00000000000000bb").arg(otherHostKey);
    for (const QString& name : {killed, mine, otherHost}) {
        QJsonObject answer;
        QVERIFY2(ipfsRpc(QStringLiteral("files/write?arg=/modelfloat/catalog/.tmp/") + name +
                             QStringLiteral("&create=true&parents=true"),
                         pseudoRandomBytes(300, 9), &answer),
                 QJsonDocument(answer).toJson().constData());
    }
    QStringList removed;
    const bool ran = runProviderJob(p->sweepTemporaries(), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        for (const StoredObject& o : j.objects())
            removed.append(o.locator);
    });
    QVERIFY(ran);
    QCOMPARE(removed, QStringList{killed});
    QVERIFY(temporaries(QStringLiteral("ipfs"), {}, &left));
    left.sort();
    QStringList kept{mine, otherHost};
    kept.sort();
    QCOMPARE(left, kept);
    for (const QString& name : std::as_const(kept)) {
        QJsonObject answer;
        QVERIFY(
            ipfsRpc(QStringLiteral("files/rm?arg=/modelfloat/catalog/.tmp/") + name, {}, &answer));
    }
}

QTEST_GUILESS_MAIN(TestCatalogObjects)
#include "tst_catalogobjects.moc"
