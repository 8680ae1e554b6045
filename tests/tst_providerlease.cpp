// Adapters are leased, not guessed (docs/providers.md, "Who owns an adapter"): a provider edited
// while the local API streams from it and deletes through it keeps its old adapter alive until
// the last stream and the delete let go of it. Run under ASan by the test command, where an
// adapter freed under its jobs is an abort; here, in any build, a stream that never ends or ends
// with wrong bytes fails the test.

#include "engine/engine.h"
#include "testsupport.h"
#include "testvault.h"
#include "webdavpeer.h"

#include "credentials/vaultcredentials.h"
#include "vault/providersetup.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QUrl>
#include <QtTest>

#include <memory>
#include <vector>

using namespace mf;
using namespace mf::test;

namespace {

// One HTTP request on a connection of its own, read until the answer is whole (its
// Content-Length) or the server closes the connection.
class RawRequest final : public QObject
{
public:
    RawRequest(quint16 port, const QByteArray& request)
    {
        connect(&m_socket, &QTcpSocket::connected, this,
                [this, request] { m_socket.write(request); });
        connect(&m_socket, &QTcpSocket::readyRead, this, [this] {
            m_received += m_socket.readAll();
            if (whole())
                m_ended = true;
        });
        connect(&m_socket, &QTcpSocket::disconnected, this, [this] { m_ended = true; });
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this] {
            m_received += m_socket.readAll();
            m_ended = true;
        });
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    }

    bool ended() const { return m_ended; }
    bool headReceived() const { return m_received.contains("\r\n\r\n"); }
    int status() const
    {
        const QList<QByteArray> line = m_received.left(m_received.indexOf("\r\n")).split(' ');
        return line.size() >= 2 ? line.at(1).toInt() : 0;
    }
    QByteArray body() const
    {
        const qsizetype end = m_received.indexOf("\r\n\r\n");
        return end < 0 ? QByteArray() : m_received.mid(end + 4);
    }
    qint64 contentLength() const
    {
        const qsizetype end = m_received.indexOf("\r\n\r\n");
        for (const QByteArray& line : m_received.left(qMax<qsizetype>(0, end)).split('\n')) {
            const QByteArray l = line.trimmed();
            if (l.toLower().startsWith("content-length:"))
                return l.mid(15).trimmed().toLongLong();
        }
        return -1;
    }

private:
    bool whole() const
    {
        const qint64 length = contentLength();
        return headReceived() && length >= 0 && body().size() >= length;
    }

    QTcpSocket m_socket;
    QByteArray m_received;
    bool m_ended = false;
};

QByteArray requestHead(const QByteArray& method, const QString& path, quint16 port,
                       const QString& token, const QByteArray& extra = {})
{
    return method + ' ' + QUrl(path).toEncoded() +
           " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
           "\r\nAuthorization: Bearer " + token.toLatin1() + "\r\nConnection: close\r\n" + extra +
           "\r\n";
}

} // namespace

class TestProviderLease final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void editWhileApiStreamsAndDeletes();

private:
    QTemporaryDir m_dir;
    WebDavPeer m_dav;
};

void TestProviderLease::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_dav.start(m_dir.filePath(QStringLiteral("dav"))), qPrintable(m_dav.errorString()));
}

// 20 range downloads of one model and the removal of another, all through the local API from a
// WebDAV provider whose downloads are slowed (the vault's download limit), so that they still
// run when the provider is edited as the app's form edits it (Engine::updateProvider). Each
// download ends, either whole with exactly its range's bytes, or cut short (an error status, a
// closed connection) with only right bytes before the cut; the removal answers.
void TestProviderLease::editWhileApiStreamsAndDeletes()
{
    TestVault v;
    QVERIFY(v.ok());
    // Secrets in the vault's own file, so that the test needs no keychain for them.
    v.registry().settings().setSetting(vaultcredentials::settingKey(),
                                       vaultcredentials::plaintext());
    const QString dir = v.vault->directory();
    v.vault.reset();
    QString error;
    v.vault = Vault::open(dir, Vault::OpenMode::Existing, &error);
    QVERIFY2(v.vault, qPrintable(error));
    QVERIFY(v.vault->setDefaultChunker(SmallChunks));
    const QJsonObject settings{{QStringLiteral("url"), m_dav.url()},
                               {QStringLiteral("username"), WebDavPeer::user()}};
    ProviderSpec spec;
    spec.kind = QStringLiteral("webdav");
    spec.name = QStringLiteral("dav");
    spec.settings = settings;
    spec.secrets = {{QStringLiteral("password"), WebDavPeer::password()}};
    std::unique_ptr<ProviderSetup> setup(ProviderSetup::add(*v.vault, spec));
    QSignalSpy added(setup.get(), &ProviderSetup::finished);
    setup->start();
    QVERIFY(added.wait(JobTimeoutMs));
    QVERIFY2(setup->error().ok(), qPrintable(setup->error().message));
    const qint64 dav = setup->providerId();
    setup.reset();
    v.vault.reset(); // the engine opens it

    const QString modelFile = v.path(QStringLiteral("model.bin"));
    const QString otherFile = v.path(QStringLiteral("other.bin"));
    QVERIFY(writePseudoRandomFile(modelFile, 6 * MiB, 21));
    QVERIFY(writePseudoRandomFile(otherFile, MiB, 22));
    QFile source(modelFile);
    QVERIFY(source.open(QIODevice::ReadOnly));
    const QByteArray bytes = source.readAll();

    Engine engine;
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(dir);
    QVERIFY(opened.wait(JobTimeoutMs));
    QCOMPARE(opened.first().first().toString(), QString());
    QHash<qint64, TransferInfo> transfers;
    connect(&engine, &Engine::transferChanged, this,
            [&](const TransferInfo& i) { transfers.insert(i.id, i); });
    for (const auto& [path, name] : {std::pair{modelFile, QStringLiteral("m")},
                                     std::pair{otherFile, QStringLiteral("other")}}) {
        FloatRequest request;
        request.paths = {path};
        request.modelName = name;
        request.replicas = 1;
        request.providerIds = {dav};
        const qint64 id = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor(
            [&] { return transfers.value(id).state == TransferInfo::State::Done; }, JobTimeoutMs));
    }

    ApiServerStatus api;
    connect(&engine, &Engine::apiServerChanged, this, [&](const ApiServerStatus& s) { api = s; });
    engine.setApiServer(true, 0);
    QVERIFY(
        QTest::qWaitFor([&] { return !api.url.isEmpty() || !api.error.isEmpty(); }, JobTimeoutMs));
    QVERIFY2(api.error.isEmpty(), qPrintable(api.error));
    const quint16 port = quint16(QUrl(api.url).port());
    const QString filePath = QStringLiteral("/api/v1/models/m/files/model.bin");
    // Slow enough that every stream still runs when the edit lands.
    engine.setBandwidthLimits(0, 2 * MiB);

    constexpr int Downloads = 20;
    const qint64 span = bytes.size() / Downloads;
    std::vector<std::unique_ptr<RawRequest>> downloads;
    QList<std::pair<qint64, qint64>> ranges; // first byte, length
    for (int i = 0; i < Downloads; ++i) {
        // Overlapping ranges that start inside chunks: every stream reads several chunks.
        const qint64 begin = i * span + 1000 * i;
        const qint64 length = qMin<qint64>(span + 300 * KiB, bytes.size() - begin);
        ranges.append({begin, length});
        downloads.push_back(std::make_unique<RawRequest>(
            port, requestHead("GET", filePath, port, api.token,
                              "Range: bytes=" + QByteArray::number(begin) + '-' +
                                  QByteArray::number(begin + length - 1) + "\r\n")));
    }
    RawRequest removal(
        port, requestHead("DELETE", QStringLiteral("/api/v1/models/other"), port, api.token));
    const auto streaming = [&] {
        int started = 0;
        for (const auto& d : downloads)
            started += d->headReceived() && !d->body().isEmpty() ? 1 : 0;
        return started;
    };
    QVERIFY(QTest::qWaitFor([&] { return streaming() > 0; }, JobTimeoutMs));
    for (const auto& d : downloads)
        QVERIFY2(!d->ended(), "a download ended before the edit: the test shows nothing");

    QSignalSpy providersChanged(&engine, &Engine::providersChanged);
    QSignalSpy providerErrors(&engine, &Engine::providerError);
    engine.updateProvider(dav, QStringLiteral("dav renamed"), settings, {}, -1);
    QVERIFY(QTest::qWaitFor([&] { return !providersChanged.isEmpty(); }, JobTimeoutMs));
    QVERIFY2(providerErrors.isEmpty(),
             qPrintable(providerErrors.isEmpty() ? QString()
                                                 : providerErrors.first().first().toString()));

    const auto allEnded = [&] {
        for (const auto& d : downloads)
            if (!d->ended())
                return false;
        return removal.ended();
    };
    QVERIFY2(QTest::qWaitFor(allEnded, JobTimeoutMs), "a download or the removal never ended");

    int whole = 0;
    for (int i = 0; i < Downloads; ++i) {
        const RawRequest& d = *downloads.at(size_t(i));
        const auto [begin, length] = ranges.at(i);
        const QByteArray expected = bytes.mid(begin, length);
        const QByteArray body = d.body();
        const QString which = QStringLiteral("download %1 (bytes %2-%3): status %4, %5 bytes")
                                  .arg(i)
                                  .arg(begin)
                                  .arg(begin + length - 1)
                                  .arg(d.status())
                                  .arg(body.size());
        if (d.status() < 200 || d.status() > 299)
            continue; // failed cleanly: an error status
        QCOMPARE(d.status(), 206);
        QVERIFY2(body.size() <= expected.size(), qPrintable(which + QStringLiteral(": too long")));
        QVERIFY2(body == expected.left(body.size()),
                 qPrintable(which + QStringLiteral(": wrong bytes")));
        whole += body.size() == expected.size() ? 1 : 0;
    }
    // The edit renamed the provider: its old adapter serves what it started, to the end.
    QCOMPARE(whole, Downloads);
    QCOMPARE(removal.status(), 200);

    // The provider, edited, still serves.
    RawRequest after(port, requestHead("GET", filePath, port, api.token, "Range: bytes=0-99\r\n"));
    QVERIFY(QTest::qWaitFor([&] { return after.ended(); }, JobTimeoutMs));
    QCOMPARE(after.status(), 206);
    QCOMPARE(after.body(), bytes.left(100));
}

QTEST_GUILESS_MAIN(TestProviderLease)
#include "tst_providerlease.moc"
