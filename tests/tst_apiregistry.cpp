// The local API as a container registry (OCI distribution v2, read side): what `ollama pull`
// asks for, answered in Docker's manifest form with Ollama's media types, and what an
// independent OCI client, Debian's skopeo, copies with every digest checked. Real runs of the
// real `modelfloat-cli serve` (apitestsupport.h).

#include "apitestsupport.h"
#include "testsupport.h"

#include <QStandardPaths>

#include <tuple>

using namespace mf;
using namespace mf::test;

namespace {
const QByteArray DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
const QByteArray OciManifest = "application/vnd.oci.image.manifest.v1+json";

QByteArray sha256Digest(const QByteArray& bytes)
{
    return "sha256:" + QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}
} // namespace

class TestApiRegistry : public ApiTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { ApiTestBase::cleanupTestCase(); }
    void ollamaPullsTheManifestAndBlobs();
    void skopeoCopiesEveryDigestChecked();
    void tokenIsAskedForAsARegistryDoes();
    void unknownNamesTagsAndDigestsAreClear();
    void notHttpIsRefusedAtOnce();

private:
    // skopeo copy docker://…/library/tiny:TAG into `to` (a dir: layout) with `auth` options.
    int skopeoCopy(const QString& tag, const QStringList& auth, const QString& to, QString* output);

    QByteArray m_first;  // tiny/first.gguf, "latest"
    QByteArray m_second; // tiny/second.gguf
};

void TestApiRegistry::initTestCase()
{
    ApiTestBase::initTestCase();
    // Two GGUF files of one quantization (F32) and one size: tagged by their names, "latest"
    // the first by path.
    const QString folder = m_box->path(QStringLiteral("input/tiny"));
    QVERIFY(QDir().mkpath(folder));
    for (const auto& [name, seed, bytes] :
         {std::tuple{"first", "1", &m_first}, std::tuple{"second", "2", &m_second}}) {
        const QString path =
            folder + QLatin1Char('/') + QLatin1String(name) + QStringLiteral(".gguf");
        QString made;
        QVERIFY2(runProcess(QStringLiteral("node"),
                            {QString(mf::test::testsSourceDir() +
                                     QStringLiteral("/peers/tiny-llama-gguf.mjs")),
                             path, QLatin1String(seed)},
                            &made),
                 qPrintable(made));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        *bytes = file.readAll();
    }
    QVERIFY(m_first != m_second);
    const CliResult floated = m_box->run({QStringLiteral("float"), folder, QStringLiteral("--name"),
                                          QStringLiteral("tiny"), QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe());
}

int TestApiRegistry::skopeoCopy(const QString& tag, const QStringList& auth, const QString& to,
                                QString* output)
{
    QProcess skopeo;
    skopeo.setProcessChannelMode(QProcess::MergedChannels);
    // --insecure-policy: no /etc/containers/policy.json needed; plain HTTP to this address.
    skopeo.start(
        QStringLiteral("skopeo"),
        QStringList{QStringLiteral("--insecure-policy"), QStringLiteral("copy"),
                    QStringLiteral("--src-tls-verify=false")} +
            auth +
            QStringList{
                QStringLiteral("docker://127.0.0.1:%1/library/tiny:%2").arg(m_port).arg(tag),
                QStringLiteral("dir:") + to});
    if (!skopeo.waitForFinished(120'000))
        skopeo.kill();
    *output = QString::fromUtf8(skopeo.readAll());
    return skopeo.exitStatus() == QProcess::NormalExit ? skopeo.exitCode() : -1;
}

// The requests `ollama pull --insecure 127.0.0.1:PORT/library/tiny` makes: the manifest in
// Docker's form (the only one it accepts), its config, and the model layer by ranges.
void TestApiRegistry::ollamaPullsTheManifestAndBlobs()
{
    const QStringList accept{QStringLiteral("-H"),
                             QStringLiteral("Accept: ") + QString::fromLatin1(DockerManifest)};
    const Reply manifest = get(QStringLiteral("/v2/library/tiny/manifests/latest"), accept);
    QVERIFY2(manifest.status == 200, manifest.describe());
    QCOMPARE(manifest.header("Content-Type"), DockerManifest);
    QCOMPARE(manifest.header("Docker-Content-Digest"), sha256Digest(manifest.body));
    const QJsonObject m = manifest.json();
    QCOMPARE(m.value(QStringLiteral("schemaVersion")).toInt(), 2);
    QCOMPARE(m.value(QStringLiteral("mediaType")).toString().toLatin1(), DockerManifest);
    const QJsonArray layers = m.value(QStringLiteral("layers")).toArray();
    QCOMPARE(layers.size(), 1);
    const QJsonObject layer = layers.first().toObject();
    QCOMPARE(layer.value(QStringLiteral("mediaType")).toString(),
             QStringLiteral("application/vnd.ollama.image.model"));
    QCOMPARE(layer.value(QStringLiteral("digest")).toString().toLatin1(), sha256Digest(m_first));
    QCOMPARE(layer.value(QStringLiteral("size")).toInteger(), qint64(m_first.size()));
    const QJsonObject config = m.value(QStringLiteral("config")).toObject();
    QCOMPARE(config.value(QStringLiteral("mediaType")).toString(),
             QStringLiteral("application/vnd.docker.container.image.v1+json"));

    // HEAD gives the same digest, no body; the manifest by that digest is the same bytes.
    const Reply head = get(QStringLiteral("/v2/library/tiny/manifests/latest"),
                           accept + QStringList{QStringLiteral("-I")});
    QVERIFY2(head.status == 200, head.describe());
    QCOMPARE(head.header("Docker-Content-Digest"), manifest.header("Docker-Content-Digest"));
    const Reply byDigest = get(QStringLiteral("/v2/library/tiny/manifests/") +
                                   QString::fromLatin1(manifest.header("Docker-Content-Digest")),
                               accept);
    QVERIFY2(byDigest.status == 200, byDigest.describe());
    QCOMPARE(byDigest.body, manifest.body);

    // The config is Ollama's: the GGUF's family and quantization, one layer in its rootfs.
    const Reply configBlob = get(QStringLiteral("/v2/library/tiny/blobs/") +
                                 config.value(QStringLiteral("digest")).toString());
    QVERIFY2(configBlob.status == 200, configBlob.describe());
    QCOMPARE(sha256Digest(configBlob.body),
             config.value(QStringLiteral("digest")).toString().toLatin1());
    const QJsonObject c = configBlob.json();
    QCOMPARE(c.value(QStringLiteral("model_format")).toString(), QStringLiteral("gguf"));
    QCOMPARE(c.value(QStringLiteral("model_family")).toString(), QStringLiteral("llama"));
    QCOMPARE(c.value(QStringLiteral("file_type")).toString(), QStringLiteral("F32"));

    // The layer, in two ranges as Ollama downloads big blobs in parts.
    const QString blob = QStringLiteral("/v2/library/tiny/blobs/") +
                         layer.value(QStringLiteral("digest")).toString();
    const qint64 half = m_first.size() / 2;
    const Reply first = get(blob, {QStringLiteral("-r"), QStringLiteral("0-%1").arg(half - 1)});
    const Reply rest = get(blob, {QStringLiteral("-r"), QStringLiteral("%1-").arg(half)});
    QVERIFY2(first.status == 206, first.describe());
    QVERIFY2(rest.status == 206, rest.describe());
    QVERIFY(first.body + rest.body == m_first);
    QCOMPARE(first.header("Docker-Content-Digest"), sha256Digest(m_first));

    // Tags: "latest" and each file by name, both F32.
    const Reply tags = get(QStringLiteral("/v2/library/tiny/tags/list"));
    QVERIFY2(tags.status == 200, tags.describe());
    QCOMPARE(
        tags.json().value(QStringLiteral("tags")).toArray(),
        (QJsonArray{QStringLiteral("latest"), QStringLiteral("first"), QStringLiteral("second")}));
    // "tiny" without "library/" is the same repository.
    const Reply bare = get(QStringLiteral("/v2/tiny/manifests/second"), accept);
    QVERIFY2(bare.status == 200, bare.describe());
    QVERIFY(bare.body.contains(sha256Digest(m_second)));
    // A tag asked in capitals, as a quantization is usually written.
    const Reply capitals = get(QStringLiteral("/v2/library/tiny/manifests/SECOND"), accept);
    QCOMPARE(capitals.body, bare.body);
}

// skopeo asks for OCI's form (Docker's form may not carry Ollama's layer type), fetches the
// config and the layer, and checks each against its digest; with the token as a bearer token,
// and as a password through the token service.
void TestApiRegistry::skopeoCopiesEveryDigestChecked()
{
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("skopeo")).isEmpty(),
             "skopeo is missing: scripts/install-deps.sh installs it");
    for (const QStringList& auth :
         {QStringList{QStringLiteral("--src-registry-token"), QString::fromLatin1(m_token)},
          QStringList{QStringLiteral("--src-creds"),
                      QStringLiteral("me:") + QString::fromLatin1(m_token)}}) {
        const QString to = m_box->path(QStringLiteral("skopeo-") + auth.first().mid(6));
        QString said;
        QVERIFY2(skopeoCopy(QStringLiteral("second"), auth, to, &said) == 0, qPrintable(said));
        QFile manifestFile(to + QStringLiteral("/manifest.json"));
        QVERIFY(manifestFile.open(QIODevice::ReadOnly));
        const QJsonObject manifest = QJsonDocument::fromJson(manifestFile.readAll()).object();
        QCOMPARE(manifest.value(QStringLiteral("mediaType")).toString().toLatin1(), OciManifest);
        // The layer skopeo stored is the file's bytes, named by their digest.
        QFile layer(to + QLatin1Char('/') + QString::fromLatin1(sha256Digest(m_second).mid(7)));
        QVERIFY(layer.open(QIODevice::ReadOnly));
        QVERIFY(layer.readAll() == m_second);
    }
}

// Without the token: 401 with the challenge a registry client follows (a bearer token from the
// realm), and the realm hands the token only to a client that sends it.
void TestApiRegistry::tokenIsAskedForAsARegistryDoes()
{
    const Reply refused = get(QStringLiteral("/v2/library/tiny/manifests/latest"), {}, false);
    QVERIFY2(refused.status == 401, refused.describe());
    const QByteArray challenge = refused.header("WWW-Authenticate");
    QVERIFY2(challenge.startsWith("Bearer realm=\"http://127.0.0.1:"), challenge.constData());
    QVERIFY(challenge.contains("/v2/token\""));
    QCOMPARE(refused.json()
                 .value(QStringLiteral("errors"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("code"))
                 .toString(),
             QStringLiteral("UNAUTHORIZED"));
    const Reply noToken = get(QStringLiteral("/v2/token"), {}, false);
    QVERIFY2(noToken.status == 401, noToken.describe());
    QVERIFY(!noToken.body.contains(m_token));
    const Reply wrong = get(QStringLiteral("/v2/token"),
                            {QStringLiteral("-u"), QStringLiteral("me:hf_wrong")}, false);
    QVERIFY2(wrong.status == 401, wrong.describe());
    const Reply given =
        get(QStringLiteral("/v2/token"),
            {QStringLiteral("-u"), QStringLiteral("me:") + QString::fromLatin1(m_token)}, false);
    QVERIFY2(given.status == 200, given.describe());
    QCOMPARE(given.json().value(QStringLiteral("token")).toString().toLatin1(), m_token);
    // skopeo without the token stops at the 401 and says so.
    QString said;
    QVERIFY(skopeoCopy(QStringLiteral("latest"), {}, m_box->path(QStringLiteral("no-token")),
                       &said) != 0);
    QVERIFY2(said.contains(QStringLiteral("401")) ||
                 said.contains(QStringLiteral("unauthorized"), Qt::CaseInsensitive),
             qPrintable(said));

    // With the read-only endpoints opened on purpose, Ollama (which sends no token of ours)
    // pulls: the registry's reads are open, the rest of the API is not.
    QProcess server;
    QByteArray started;
    const quint16 port =
        startServer(server, {QStringLiteral("--hub-without-token")}, "without the token", &started);
    QVERIFY2(port != 0, started.constData());
    const quint16 mainPort = m_port;
    m_port = port;
    auto restore = qScopeGuard([&] {
        m_port = mainPort;
        server.terminate();
        server.waitForFinished(60'000);
    });
    const Reply open = get(QStringLiteral("/v2/library/tiny/manifests/latest"), {}, false);
    QVERIFY2(open.status == 200, open.describe());
    const Reply stillClosed = get(QStringLiteral("/v2/token"), {}, false);
    QVERIFY2(stillClosed.status == 401, stillClosed.describe());
}

void TestApiRegistry::unknownNamesTagsAndDigestsAreClear()
{
    const auto code = [](const Reply& r) {
        return r.json()
            .value(QStringLiteral("errors"))
            .toArray()
            .first()
            .toObject()
            .value(QStringLiteral("code"))
            .toString();
    };
    // "m" is floated but has no GGUF file: nothing Ollama could run.
    for (const QString& name : {QStringLiteral("library/nothing"), QStringLiteral("library/m")}) {
        const Reply r = get(QStringLiteral("/v2/") + name + QStringLiteral("/manifests/latest"));
        QVERIFY2(r.status == 404, r.describe());
        QCOMPARE(code(r), QStringLiteral("NAME_UNKNOWN"));
    }
    const Reply tag = get(QStringLiteral("/v2/library/tiny/manifests/q9_x"));
    QVERIFY2(tag.status == 404, tag.describe());
    QCOMPARE(code(tag), QStringLiteral("MANIFEST_UNKNOWN"));
    QVERIFY2(tag.body.contains("latest, first, second"), tag.body.constData()); // what there is
    // A digest of something else in the vault (another model's file) is not this model's blob.
    const Reply other =
        get(QStringLiteral("/v2/library/tiny/blobs/") + QString::fromLatin1(sha256Digest(m_bytes)));
    QVERIFY2(other.status == 404, other.describe());
    QCOMPARE(code(other), QStringLiteral("BLOB_UNKNOWN"));
    for (const QString& bad :
         QStringList{QStringLiteral("sha256:XYZ"), QStringLiteral("md5:00"),
                     QString(QStringLiteral("sha256:") + QString(64, QLatin1Char('A')))}) {
        const Reply r = get(QStringLiteral("/v2/library/tiny/blobs/") + bad);
        QVERIFY2(r.status == 400, r.describe());
        QCOMPARE(code(r), QStringLiteral("DIGEST_INVALID"));
    }
    // Only reads.
    const Reply put = get(QStringLiteral("/v2/library/tiny/manifests/latest"),
                          {QStringLiteral("-X"), QStringLiteral("PUT")});
    QVERIFY2(put.status == 405, put.describe());
    const Reply base = get(QStringLiteral("/v2/"));
    QVERIFY2(base.status == 200, base.describe());
    QCOMPARE(base.header("Docker-Distribution-API-Version"), QByteArray("registry/2.0"));
}

// A client that tries https first (skopeo does) sends a TLS ClientHello: refused at once as not
// HTTP, so it falls back to http without waiting out the request's deadline (it waited 10 s).
void TestApiRegistry::notHttpIsRefusedAtOnce()
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(socket.waitForConnected(10'000));
    socket.write(QByteArray::fromHex("160301020001"));
    QByteArray answer;
    QVERIFY(QTest::qWaitFor(
        [&] {
            socket.waitForReadyRead(100);
            answer += socket.readAll();
            return socket.state() != QAbstractSocket::ConnectedState;
        },
        60'000));
    answer += socket.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 400"), answer.constData()); // not 408 at the deadline
}

QTEST_GUILESS_MAIN(TestApiRegistry)
#include "tst_apiregistry.moc"
