// Sharing a floated model through IPFS (docs/cids.md, "On an IPFS node"), against a real node
// (js-ipfs, tests/ipfspeer.h) and the real modelfloat-cli: a float to the node pins the model's
// root, so the node itself serves the file and model CIDs the vault records (`cat`, `ls`,
// `files/stat`); removing the model unpins it; a pin lost between a float and its record is
// made again by the next sync. Another vault imports the model by its CID alone, bit-exact and
// with the same CID, and refuses a block the node serves altered (through the fault proxy).
// A few crafted blocks that claim terabytes or millions of files, a part bigger than its parent
// declared, or a folder of too many entries are refused, and leave nothing behind.

#include "chunking/sha256.h"
#include "chunking/unixfs.h"
#include "clisandbox.h"
#include "credentials/catalogkey.h"
#include "faultproxy.h"
#include "ipfspeer.h"
#include "providers/ipfs/ipfscid.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestIpfsShare final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void floatPinsTheModelRoot();
    void removalUnpinsOnlyWhatNoModelShares();
    void aLostPinIsMadeByTheNextSync();
    void anotherVaultImportsByCid();
    void anAlteredBlockIsRefused();
    void importsWhatIpfsAddMade();
    void aClaimOfMillionsOfFilesStopsAtTheLimit();
    void aClaimOfTerabytesIsRefusedBeforeWriting();
    void aPartBiggerThanDeclaredIsRefused();
    void aFolderOfTooManyEntriesIsRefused();

private:
    // Puts a crafted block on the node; false if it refused it.
    bool putBlock(const QByteArray& block, bool raw);
    unixfs::BlockSink putter(bool* ok);
    // Imports `cid` into a new vault with `extra` arguments and checks that it fails with
    // `expected` in its message, leaving no model and nothing in the vault's temporary area;
    // the import's --json. `config`: a `config` command run in the vault first.
    QJsonObject expectRefused(const QString& cid, const QStringList& extra, const QString& expected,
                              const QStringList& config = {});
    // Floats input/<name> (a 3 MiB + 17 file: one chunk of three leaves, and a small one in a
    // folder) to the node; the model's `info --json`.
    QJsonObject floatModel(const QString& name, quint64 seed);
    // Runs the CLI in `box` while this thread's event loop runs (the fault proxy lives on it).
    static CliResult runWithEvents(const CliSandbox& box, const QStringList& args);
    // Whether the node holds a recursive pin of `cid`.
    bool pinnedOnNode(const QString& cid) const;

    QTemporaryDir m_dir;
    IpfsPeer m_ipfs;
    QByteArray m_recoveryKey; // the one user's, every test's vault takes it
    std::unique_ptr<CliSandbox> m_box;
};

namespace {
QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

void TestIpfsShare::initTestCase()
{
    m_recoveryKey = CatalogKey::generate().recoveryText().toUtf8();
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_ipfs.start(m_dir.filePath(QStringLiteral("ipfs"))),
             qPrintable(m_ipfs.errorString() + m_ipfs.output()));
}

void TestIpfsShare::init()
{
    m_box = std::make_unique<CliSandbox>();
    QVERIFY(m_box->ok());
    const CliResult add =
        m_box->run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("ipfs"),
                    QStringLiteral("node"), QStringLiteral("--api-url"), m_ipfs.apiUrl()});
    QVERIFY2(add.code == 0, add.describe().constData());
    // Every test's vault is a computer of one user: the node keeps the catalogs of the
    // earlier ones, which a vault with a key of its own would not act on.
    const CliResult key = m_box->run(
        {QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("import")}, m_recoveryKey);
    QVERIFY2(key.code == 0, key.describe().constData());
}

void TestIpfsShare::cleanup()
{
    m_box.reset();
}

QJsonObject TestIpfsShare::floatModel(const QString& name, quint64 seed)
{
    const QString dir = m_box->path(QStringLiteral("input/") + name);
    QDir().mkpath(dir + QStringLiteral("/sub"));
    if (!writeFile(dir + QStringLiteral("/weights.bin"),
                   pseudoRandomBytes(3 * 1024 * 1024 + 17, seed)) ||
        !writeFile(dir + QStringLiteral("/sub/config.json"),
                   QByteArray("{\"model\": \"") + name.toUtf8() + "\"}\n"))
        return {};
    const CliResult f = m_box->run({QStringLiteral("float"), dir, QStringLiteral("--name"), name,
                                    QStringLiteral("--replicas"), QStringLiteral("1"),
                                    QStringLiteral("--provider"), QStringLiteral("node")});
    if (f.code != 0) {
        qWarning("float: %s", f.describe().constData());
        return {};
    }
    const CliResult info = m_box->run({QStringLiteral("info"), name, QStringLiteral("--json")});
    return info.code == 0 ? info.json() : QJsonObject();
}

bool TestIpfsShare::pinnedOnNode(const QString& cid) const
{
    bool ok = false;
    const QByteArray answer =
        m_ipfs.rpc(QStringLiteral("pin/ls?type=recursive&arg=") + cid, {}, &ok);
    // The node names the pins in its own base (js-ipfs: base58btc); the argument already chose
    // which one is asked about.
    return ok && answer.contains("\"recursive\"");
}

void TestIpfsShare::floatPinsTheModelRoot()
{
    const QJsonObject info = floatModel(QStringLiteral("shared"), 1);
    QVERIFY(!info.isEmpty());
    const QString modelCid = info.value(QStringLiteral("cid")).toString();
    QVERIFY2(modelCid.startsWith(QLatin1Char('b')), QJsonDocument(info).toJson().constData());
    QVERIFY(pinnedOnNode(modelCid));

    // The node serves the model and each file by the CIDs the vault shows.
    const QJsonObject listing =
        QJsonDocument::fromJson(m_ipfs.rpc(QStringLiteral("ls?arg=") + modelCid)).object();
    const QJsonArray links = listing.value(QStringLiteral("Objects"))
                                 .toArray()
                                 .at(0)
                                 .toObject()
                                 .value(QStringLiteral("Links"))
                                 .toArray();
    QStringList names;
    for (const QJsonValue& l : links)
        names.append(l.toObject().value(QStringLiteral("Name")).toString());
    QCOMPARE(names, (QStringList{QStringLiteral("sub"), QStringLiteral("weights.bin")}));
    const QString input = m_box->path(QStringLiteral("input/shared/"));
    for (const QJsonValue& v : info.value(QStringLiteral("files")).toArray()) {
        const QJsonObject file = v.toObject();
        const QString path = file.value(QStringLiteral("path")).toString();
        const QString cid = file.value(QStringLiteral("cid")).toString();
        QVERIFY2(!cid.isEmpty(), qPrintable(path));
        QCOMPARE(m_ipfs.rpc(QStringLiteral("cat?arg=") + cid), fileBytes(input + path));
        QCOMPARE(m_ipfs.rpc(QStringLiteral("cat?arg=") + modelCid + QLatin1Char('/') + path),
                 fileBytes(input + path));
        const QJsonObject stat =
            QJsonDocument::fromJson(m_ipfs.rpc(QStringLiteral("files/stat?arg=/ipfs/") + cid))
                .object();
        // The node names it in its own base.
        QCOMPARE(ipfscid::decode(stat.value(QStringLiteral("Hash")).toString()),
                 ipfscid::decode(cid));
    }
}

void TestIpfsShare::removalUnpinsOnlyWhatNoModelShares()
{
    // Two models of the same files have one root; a third differs.
    const QString a = floatModel(QStringLiteral("a"), 2).value(QStringLiteral("cid")).toString();
    QVERIFY(!a.isEmpty());
    QDir().rename(m_box->path(QStringLiteral("input/a")),
                  m_box->path(QStringLiteral("input/twin")));
    const CliResult twin =
        m_box->run({QStringLiteral("float"), m_box->path(QStringLiteral("input/twin")),
                    QStringLiteral("--name"), QStringLiteral("twin"), QStringLiteral("--replicas"),
                    QStringLiteral("1")});
    QVERIFY2(twin.code == 0, twin.describe().constData());
    const QString c = floatModel(QStringLiteral("c"), 3).value(QStringLiteral("cid")).toString();
    QVERIFY(!c.isEmpty() && c != a);
    QVERIFY(pinnedOnNode(a));
    QVERIFY(pinnedOnNode(c));

    CliResult rm = m_box->run({QStringLiteral("rm"), QStringLiteral("a")});
    QVERIFY2(rm.code == 0, rm.describe().constData());
    QVERIFY2(pinnedOnNode(a), "the twin still has the root");
    rm = m_box->run({QStringLiteral("rm"), QStringLiteral("twin")});
    QVERIFY2(rm.code == 0, rm.describe().constData());
    QVERIFY(!pinnedOnNode(a));
    QVERIFY(pinnedOnNode(c));
    rm = m_box->run({QStringLiteral("rm"), QStringLiteral("c")});
    QVERIFY2(rm.code == 0, rm.describe().constData());
    QVERIFY(!pinnedOnNode(c));
}

void TestIpfsShare::aLostPinIsMadeByTheNextSync()
{
    const QString cid = floatModel(QStringLiteral("m"), 4).value(QStringLiteral("cid")).toString();
    QVERIFY(pinnedOnNode(cid));
    // As if the process had been killed after the chunks were stored and before the pin: the
    // node has no pin, the registry says one was being made.
    bool ok = false;
    m_ipfs.rpc(QStringLiteral("pin/rm?arg=") + cid, {}, &ok);
    QVERIFY(ok);
    QVERIFY(!pinnedOnNode(cid));
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("rewind"));
        db.setDatabaseName(m_box->vault() + QStringLiteral("/registry.sqlite"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("UPDATE dag_pins SET pinned = 0")));
        QCOMPARE(q.numRowsAffected(), 1);
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("rewind"));
    const CliResult sync = m_box->run({QStringLiteral("vault"), QStringLiteral("sync")});
    QVERIFY2(sync.code == 0, sync.describe().constData());
    QVERIFY(pinnedOnNode(cid));
}

CliResult TestIpfsShare::runWithEvents(const CliSandbox& box, const QStringList& args)
{
    CliResult r;
    QProcess p;
    p.setProcessEnvironment(box.environment());
    p.setWorkingDirectory(box.root());
    p.start(CliSandbox::cli(), args);
    if (!p.waitForStarted(30000) ||
        !QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, 120000))
        return r;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

void TestIpfsShare::anotherVaultImportsByCid()
{
    // Each case's model has a name of its own: the node's catalog shows every earlier case's
    // models to the new vault of the next.
    const QJsonObject shared = floatModel(QStringLiteral("offered"), 5);
    const QString cid = shared.value(QStringLiteral("cid")).toString();
    QVERIFY(!cid.isEmpty());

    CliSandbox other;
    QVERIFY(other.ok());
    const CliResult imported =
        other.run({QStringLiteral("import"), QStringLiteral("ipfs://") + cid,
                   QStringLiteral("--from-ipfs"), m_ipfs.apiUrl(), QStringLiteral("--name"),
                   QStringLiteral("copy"), QStringLiteral("--json")});
    QVERIFY2(imported.code == 0, imported.describe().constData());
    QVERIFY2(imported.json().value(QStringLiteral("same_cid")).toBool(),
             imported.describe().constData());
    QCOMPARE(imported.json().value(QStringLiteral("cid")).toString(), cid);
    const CliResult restored =
        other.run({QStringLiteral("restore"), QStringLiteral("copy"), QStringLiteral("--to"),
                   other.path(QStringLiteral("out"))});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    for (const QString& path : {QStringLiteral("weights.bin"), QStringLiteral("sub/config.json")})
        QCOMPARE(fileBytes(other.path(QStringLiteral("out/") + path)),
                 fileBytes(m_box->path(QStringLiteral("input/offered/") + path)));
    // Nothing was left in the vault's temporary area.
    QCOMPARE(CliSandbox::filesBelow(other.vault() + QStringLiteral("/tmp")), QStringList());
    // A CID that is not one is refused before anything runs.
    const CliResult bad = other.run({QStringLiteral("import"), QStringLiteral("ipfs://nonsense")});
    QVERIFY2(bad.code != 0 && bad.errText().contains(QLatin1String("not a CID")),
             bad.describe().constData());
}

void TestIpfsShare::anAlteredBlockIsRefused()
{
    const QJsonObject shared = floatModel(QStringLiteral("tampered"), 6);
    const QString cid = shared.value(QStringLiteral("cid")).toString();
    QVERIFY(!cid.isEmpty());
    // The small file is one raw block: the proxy answers for it with other bytes.
    QString configCid;
    for (const QJsonValue& v : shared.value(QStringLiteral("files")).toArray())
        if (v.toObject().value(QStringLiteral("path")).toString() ==
            QLatin1String("sub/config.json"))
            configCid = v.toObject().value(QStringLiteral("cid")).toString();
    QVERIFY(configCid.startsWith(QLatin1String("bafk")));
    FaultProxy proxy(quint16(QUrl(m_ipfs.apiUrl()).port()));
    QVERIFY(proxy.listen());
    FaultProxy::Rule rule = FaultProxy::Rule::of(FaultProxy::Fault::Status, {},
                                                 QStringLiteral("block/get?arg=") + configCid, -1);
    rule.status = 200;
    rule.body = "{\"model\": \"forged\"}\n";
    rule.contentType = "application/octet-stream";
    proxy.addRule(rule);

    CliSandbox other;
    QVERIFY(other.ok());
    const CliResult imported =
        runWithEvents(other, {QStringLiteral("import"), cid, QStringLiteral("--from-ipfs"),
                              proxy.url(), QStringLiteral("--name"), QStringLiteral("copy")});
    QVERIFY(proxy.faultsInjected() > 0);
    QVERIFY2(imported.code != 0, imported.describe().constData());
    QVERIFY2(imported.errText().contains(configCid) &&
                 imported.errText().contains(QLatin1String("altered")),
             imported.describe().constData());
    // No model, and nothing left behind.
    const CliResult list = other.run({QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(list.code == 0, list.describe().constData());
    QVERIFY2(!list.outText().contains(QLatin1String("copy")), list.describe().constData());
    QCOMPARE(CliSandbox::filesBelow(other.vault() + QStringLiteral("/tmp")), QStringList());
}

void TestIpfsShare::importsWhatIpfsAddMade()
{
    // `ipfs add` with its old defaults: CIDv0, leaves as dag-pb nodes with their bytes inline,
    // 64 KiB of them, wrapped in a directory.
    const QByteArray big = pseudoRandomBytes(300 * 1024 + 5, 7);
    const QByteArray small("tokenizer\n");
    bool ok = false;
    const QByteArray answer = m_ipfs.rpc(
        QStringLiteral("add?cid-version=0&raw-leaves=false&chunker=size-65536&pin=true&"
                       "wrap-with-directory=true"),
        {{QStringLiteral("weights.bin"), big}, {QStringLiteral("tokenizer.txt"), small}}, &ok);
    QVERIFY2(ok, answer.constData());
    QString root;
    for (const QByteArray& line : answer.split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QStringLiteral("Name")).toString().isEmpty() &&
            o.contains(QStringLiteral("Hash")))
            root = o.value(QStringLiteral("Hash")).toString();
    }
    QVERIFY2(root.startsWith(QLatin1String("Qm")), answer.constData());

    CliSandbox other;
    QVERIFY(other.ok());
    const CliResult imported =
        other.run({QStringLiteral("import"), root, QStringLiteral("--from-ipfs"), m_ipfs.apiUrl(),
                   QStringLiteral("--name"), QStringLiteral("added"), QStringLiteral("--json")});
    QVERIFY2(imported.code == 0, imported.describe().constData());
    // Another layout than ModelFloat's: the vault says the CID differs.
    QVERIFY(!imported.json().value(QStringLiteral("same_cid")).toBool());
    QVERIFY2(imported.errText().contains(QLatin1String("chunking")),
             imported.describe().constData());
    const CliResult restored =
        other.run({QStringLiteral("restore"), QStringLiteral("added"), QStringLiteral("--to"),
                   other.path(QStringLiteral("out"))});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(fileBytes(other.path(QStringLiteral("out/weights.bin"))), big);
    QCOMPARE(fileBytes(other.path(QStringLiteral("out/tokenizer.txt"))), small);
}

bool TestIpfsShare::putBlock(const QByteArray& block, bool raw)
{
    const QString codec = raw ? QStringLiteral("raw") : QStringLiteral("dag-pb");
    bool ok = false;
    m_ipfs.rpc(
        QStringLiteral("block/put?cid-codec=%1&format=%1&mhtype=sha2-256&pin=true").arg(codec),
        {{QStringLiteral("block"), block}}, &ok);
    return ok;
}

unixfs::BlockSink TestIpfsShare::putter(bool* ok)
{
    *ok = true;
    return [this, ok](const unixfs::Node&, const QByteArray& block) {
        *ok = putBlock(block, false) && *ok;
    };
}

QJsonObject TestIpfsShare::expectRefused(const QString& cid, const QStringList& extra,
                                         const QString& expected, const QStringList& config)
{
    CliSandbox other;
    if (!other.ok())
        return {};
    if (!config.isEmpty()) {
        const CliResult set = other.run(QStringList{QStringLiteral("config")} + config);
        if (set.code != 0) {
            qWarning("config: %s", set.describe().constData());
            return {};
        }
    }
    const CliResult imported = other.run(
        QStringList{QStringLiteral("import"), cid, QStringLiteral("--from-ipfs"), m_ipfs.apiUrl(),
                    QStringLiteral("--name"), QStringLiteral("crafted"), QStringLiteral("--json")} +
        extra);
    if (imported.code == 0 || !imported.errText().contains(expected)) {
        qWarning("expected a refusal naming “%s”: %s", qPrintable(expected),
                 imported.describe().constData());
        return {};
    }
    const CliResult list = other.run({QStringLiteral("list"), QStringLiteral("--json")});
    if (list.code != 0 || list.outText().contains(QLatin1String("crafted"))) {
        qWarning("a model was left: %s", list.describe().constData());
        return {};
    }
    const QStringList left = CliSandbox::filesBelow(other.vault() + QStringLiteral("/tmp"));
    if (!left.isEmpty()) {
        qWarning("left in tmp: %s", qPrintable(left.join(QLatin1Char(' '))));
        return {};
    }
    return imported.json();
}

void TestIpfsShare::aClaimOfMillionsOfFilesStopsAtTheLimit()
{
    // Four blocks: a one-byte leaf, a folder of 4,096 links to it, and a folder of 4,096 links
    // to that folder: 16.7 million files. The import stops when the next folder would pass
    // the files it takes (here 10,000, to keep the test short), before reading that folder's
    // entries; the default is 100,000.
    QVERIFY(putBlock("x", true));
    const unixfs::Node leaf = unixfs::rawLeaf(Sha256::hash("x"), 1);
    bool ok = false;
    const unixfs::BlockSink sink = putter(&ok);
    QList<unixfs::Entry> files;
    for (int i = 0; i < 4096; ++i)
        files.append({QStringLiteral("f%1").arg(i, 4, 10, QLatin1Char('0')), leaf});
    const unixfs::Node inner = unixfs::directory(files, sink);
    QList<unixfs::Entry> folders;
    for (int i = 0; i < 4096; ++i)
        folders.append({QStringLiteral("d%1").arg(i, 4, 10, QLatin1Char('0')), inner});
    const unixfs::Node root = unixfs::directory(folders, sink);
    QVERIFY(ok);
    const QJsonObject json = expectRefused(unixfs::toText(root.cid),
                                           {QStringLiteral("--max-files"), QStringLiteral("10000")},
                                           QStringLiteral("more than 10000 files and folders"));
    QVERIFY(!json.isEmpty());
    QVERIFY2(json.value(QStringLiteral("bytes_read")).toInteger() <= 10000,
             QJsonDocument(json).toJson().constData());
}

void TestIpfsShare::aClaimOfTerabytesIsRefusedBeforeWriting()
{
    // One leaf of a million bytes (js-ipfs takes no bigger block) and four file nodes of 174,
    // 174, 174 and 3 links to the one below: a file that says it has 15.8 TB. Refused before a byte
    // is written: past the import limit (1 TiB by default), and with the limit raised, past the
    // free space of the disk.
    const QByteArray bytes = pseudoRandomBytes(1000 * 1000, 35);
    QVERIFY(putBlock(bytes, true));
    bool ok = false;
    const unixfs::BlockSink sink = putter(&ok);
    unixfs::Node node = unixfs::rawLeaf(Sha256::hash(bytes), quint64(bytes.size()));
    for (const int links : {174, 174, 174, 3})
        node = unixfs::balancedFile(QList<unixfs::Node>(links, node), sink);
    QVERIFY(ok);
    QCOMPARE(node.fileSize, quint64(3) * 174 * 174 * 174 * 1000 * 1000);
    const QString cid = unixfs::toText(node.cid);
    QJsonObject json =
        expectRefused(cid, {}, QStringLiteral("more than the 1.00 TiB an import takes"));
    QVERIFY(!json.isEmpty());
    QCOMPARE(json.value(QStringLiteral("bytes_read")).toInteger(), 0);
    json = expectRefused(cid, {QStringLiteral("--max-size"), QStringLiteral("20T")},
                         QStringLiteral("Not enough free space"));
    QVERIFY(!json.isEmpty());
    QCOMPARE(json.value(QStringLiteral("bytes_read")).toInteger(), 0);
    // The vault's setting raises it the same way.
    json = expectRefused(cid, {}, QStringLiteral("Not enough free space"),
                         {QStringLiteral("import-limit"), QStringLiteral("20T")});
    QVERIFY(!json.isEmpty());
}

void TestIpfsShare::aPartBiggerThanDeclaredIsRefused()
{
    // A file node that says its two parts have 300 and 700 bytes, over leaves of 700 and 300:
    // the total is right, each part is not.
    const QByteArray a = pseudoRandomBytes(700, 36);
    const QByteArray b = pseudoRandomBytes(300, 37);
    QVERIFY(putBlock(a, true));
    QVERIFY(putBlock(b, true));
    bool ok = false;
    const unixfs::BlockSink sink = putter(&ok);
    const unixfs::Node swapped = unixfs::balancedFile(
        {unixfs::rawLeaf(Sha256::hash(a), 300), unixfs::rawLeaf(Sha256::hash(b), 700)}, sink);
    QVERIFY(ok);
    QCOMPARE(swapped.fileSize, quint64(1000));
    QVERIFY(!expectRefused(unixfs::toText(swapped.cid), {},
                           QStringLiteral("has 700 bytes where its parent declares 300"))
                 .isEmpty());

    // A leaf of a million bytes under a file that says 1,010 bytes, in a folder: stopped before the
    // leaf is written.
    const QByteArray big = pseudoRandomBytes(1000 * 1000, 38);
    QVERIFY(putBlock(big, true));
    const unixfs::Node lying = unixfs::balancedFile(
        {unixfs::rawLeaf(Sha256::hash(big), 1000), unixfs::rawLeaf(Sha256::hash(b), 10)}, sink);
    const unixfs::Node folder = unixfs::directory({{QStringLiteral("weights.bin"), lying}}, sink);
    QVERIFY(ok);
    const QJsonObject json = expectRefused(unixfs::toText(folder.cid), {},
                                           QStringLiteral("where its parent declares 1000"));
    QVERIFY(!json.isEmpty());
    QCOMPARE(json.value(QStringLiteral("bytes_read")).toInteger(), 0);
}

void TestIpfsShare::aFolderOfTooManyEntriesIsRefused()
{
    // 10,001 entries in one folder block (10,000 are read), refused before any is.
    QVERIFY(putBlock("y", true));
    const unixfs::Node leaf = unixfs::rawLeaf(Sha256::hash("y"), 1);
    bool ok = false;
    QList<unixfs::Entry> files;
    for (int i = 0; i < 10001; ++i)
        files.append({QStringLiteral("f%1").arg(i, 5, 10, QLatin1Char('0')), leaf});
    const unixfs::Node root = unixfs::directory(files, putter(&ok));
    QVERIFY(ok);
    const QJsonObject json = expectRefused(
        unixfs::toText(root.cid), {}, QStringLiteral("has 10001 entries, more than the 10000"));
    QVERIFY(!json.isEmpty());
    QCOMPARE(json.value(QStringLiteral("bytes_read")).toInteger(), 0);
}

QTEST_GUILESS_MAIN(TestIpfsShare)
#include "tst_ipfsshare.moc"
