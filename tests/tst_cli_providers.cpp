// modelfloat-cli's provider commands with secrets, on a vault that opted in to the plaintext
// store (so no keychain service is needed; tst_credentials covers the keychain): options
// generated from the kinds' fields, secrets read from stdin in every accepted form and refused
// from argv, never printed, never in the registry, removed with their provider.
#include "clitestsupport.h"
#include "testsupport.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace mf::test;

class TestCliProviders final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void kindsAndGeneratedHelp();
    void plaintextNeedsExplicitOptIn();
    void secretFromStdinInEveryForm();
    void secretFromHiddenPromptOnTerminal();
    void secretRefusedFromArgv();
    void badSecretInputAddsNothing();
    void updateReplacesSecret();
    void removeDeletesSecret();
    void localKindUnchanged();

private:
    CliRun cli(const QStringList& words, const QByteArray& input = {})
    {
        return runWithInput(mf::test::cliPath(),
                            words + QStringList{QStringLiteral("--vault"), m_vault}, input);
    }
    QJsonObject storedSecrets()
    {
        QFile f(m_vault + QStringLiteral("/credentials.json"));
        if (!f.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(f.readAll())
            .object()
            .value(QStringLiteral("secrets"))
            .toObject();
    }
    QStringList addWords(const QString& name) const
    {
        return QStringList{QStringLiteral("provider"), QStringLiteral("add"), m_kind.kind, name} +
               m_kind.requiredOptions;
    }
    int providerCount()
    {
        const CliRun r =
            cli({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")});
        if (r.code != 0)
            return -1;
        return int(QJsonDocument::fromJson(r.out)
                       .object()
                       .value(QStringLiteral("providers"))
                       .toArray()
                       .size());
    }
    // Everything the user could see or the vault could leak: no secret may be in it.
    void checkNowhere(const QByteArray& secret, const CliRun& run)
    {
        QVERIFY2(!run.all().contains(secret), run.describe().constData());
        QVERIFY(!registryBytes(m_vault).contains(secret));
        const CliRun list =
            cli({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")});
        QVERIFY(!list.all().contains(secret));
    }

    QTemporaryDir m_dir;
    QString m_vault;
    SecretKind m_kind;
};

void TestCliProviders::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_vault = m_dir.filePath(QStringLiteral("vault"));
    const CliRun made = cli({QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe().constData());
    const CliRun kinds =
        cli({QStringLiteral("provider"), QStringLiteral("kinds"), QStringLiteral("--json")});
    QVERIFY2(kinds.code == 0, kinds.describe().constData());
    m_kind = findSecretKind(kinds.out);
    if (m_kind.kind.isEmpty())
        QSKIP("No provider kind with a required secret is registered in this build");
    const CliRun optIn =
        cli({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("plaintext"),
             QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe().constData());
}

void TestCliProviders::kindsAndGeneratedHelp()
{
    const CliRun kinds = cli({QStringLiteral("provider"), QStringLiteral("kinds")});
    QCOMPARE(kinds.code, 0);
    QVERIFY2(kinds.out.contains("local") && kinds.out.contains("--path DIR"),
             kinds.describe().constData());
    QVERIFY(kinds.out.contains(m_kind.kind.toUtf8()));
    // The kind's fields are options of `provider add KIND`, in its --help too.
    const CliRun help = cli(
        {QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("--help"), m_kind.kind});
    QCOMPARE(help.code, 0);
    for (int i = 0; i < m_kind.requiredOptions.size(); i += 2)
        QVERIFY2(help.out.contains(m_kind.requiredOptions.at(i).toUtf8()),
                 help.describe().constData());
    QVERIFY2(help.out.contains("never from this option"), help.describe().constData());
}

void TestCliProviders::plaintextNeedsExplicitOptIn()
{
    QTemporaryDir other;
    const QStringList vault{QStringLiteral("--vault"), other.filePath(QStringLiteral("v"))};
    const QString exe = mf::test::cliPath();
    QCOMPARE(runWithInput(exe, QStringList{QStringLiteral("init")} + vault).code, 0);
    const CliRun refused =
        runWithInput(exe, QStringList{QStringLiteral("config"), QStringLiteral("credentials"),
                                      QStringLiteral("plaintext")} +
                              vault);
    QCOMPARE(refused.code, 2);
    QVERIFY2(refused.err.contains("--i-understand-plaintext"), refused.describe().constData());
    const CliRun config =
        runWithInput(exe, QStringList{QStringLiteral("config"), QStringLiteral("--json")} + vault);
    QCOMPARE(QJsonDocument::fromJson(config.out).object().value(QStringLiteral("credentials")),
             QJsonValue(QStringLiteral("keychain")));
    QVERIFY(!QFile::exists(other.filePath(QStringLiteral("v/credentials.json"))));

    // Opting in says what it means, on stderr.
    const CliRun yes = runWithInput(
        exe, QStringList{QStringLiteral("config"), QStringLiteral("credentials"),
                         QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext"),
                         QStringLiteral("--json")} +
                 vault);
    QCOMPARE(yes.code, 0);
    QVERIFY2(yes.err.contains("UNENCRYPTED"), yes.describe().constData());
    QCOMPARE(QJsonDocument::fromJson(yes.out).object().value(QStringLiteral("credentials")),
             QJsonValue(QStringLiteral("plaintext")));
}

void TestCliProviders::secretFromStdinInEveryForm()
{
    struct Form
    {
        const char* name;
        QByteArray input;
    };
    const QByteArray key = m_kind.secretKey.toUtf8();
    QList<Form> forms = {
        {"keyvalue", key + "=s3cr3t-kv=with=equals\n"},
        {"optionname", m_kind.secretOption.toUtf8() + "=s3cr3t-opt\r\n"},
        {"json", "{\"" + key + "\": \"s3cr3t-json\"}\n"},
        {"comments", "# from my password manager\n\n" + key + "=s3cr3t-comment\n"},
    };
    if (m_kind.secretCount == 1)
        forms.append(Form{"bare", "s3cr3t-bare==\n"});
    const QList<QByteArray> expected = {"s3cr3t-kv=with=equals", "s3cr3t-opt", "s3cr3t-json",
                                        "s3cr3t-comment", "s3cr3t-bare=="};
    for (int i = 0; i < forms.size(); ++i) {
        const QString name = QStringLiteral("form-") + QLatin1String(forms[i].name);
        const CliRun add =
            cli(addWords(name) + QStringList{QStringLiteral("--secret-stdin")}, forms[i].input);
        QVERIFY2(add.code == 0, add.describe().constData());
        checkNowhere(expected[i], add);
        // The secret is in the 0600 file under the provider's key, and only there.
        bool found = false;
        const QJsonObject all = storedSecrets();
        for (auto it = all.begin(); it != all.end(); ++it)
            found = found || it.value().toObject().value(m_kind.secretKey).toString().toUtf8() ==
                                 expected[i];
        QVERIFY2(found, forms[i].name);
        struct stat st = {};
        QCOMPARE(
            ::stat(QFile::encodeName(m_vault + QStringLiteral("/credentials.json")).constData(),
                   &st),
            0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
    }
}

// On a terminal (a pty made by util-linux's `script`) the CLI asks with echo off: what is
// typed after the prompt never appears in the terminal's transcript.
void TestCliProviders::secretFromHiddenPromptOnTerminal()
{
    QStringList words = QStringList{mf::test::cliPath()} + addWords(QStringLiteral("typed")) +
                        QStringList{QStringLiteral("--vault"), m_vault};
    for (QString& w : words)
        w = QLatin1Char('\'') + w + QLatin1Char('\'');
    QProcess term;
    term.setProcessChannelMode(QProcess::MergedChannels);
    term.start(QStringLiteral("script"),
               {QStringLiteral("-qec"), words.join(QLatin1Char(' ')), QStringLiteral("/dev/null")});
    QVERIFY2(term.waitForStarted(30000), "script (util-linux) does not start");
    QByteArray transcript;
    // Type only once the prompt is there: the terminal echoes what arrives before echo is off.
    while (!transcript.contains("input hidden") && term.waitForReadyRead(60000))
        transcript += term.readAll();
    QVERIFY2(transcript.contains("input hidden"), transcript.constData());
    const QByteArray secret =
        "typed-secret-" + QByteArray::number(QCoreApplication::applicationPid());
    term.write(secret + '\r');
    term.closeWriteChannel(); // `script` runs until its input ends
    QVERIFY(term.waitForFinished(60000));
    transcript += term.readAll();
    QVERIFY2(term.exitCode() == 0 && transcript.contains("Added provider"), transcript.constData());
    QVERIFY2(!transcript.contains(secret), transcript.constData());
    QVERIFY(QJsonDocument(storedSecrets()).toJson().contains(secret));
    QVERIFY(!registryBytes(m_vault).contains(secret));
}

void TestCliProviders::secretRefusedFromArgv()
{
    const int before = providerCount();
    const QString option = QStringLiteral("--") + m_kind.secretOption;
    for (const QStringList& extra :
         {QStringList{option, QStringLiteral("argv-secret-1")},
          QStringList{option + QStringLiteral("=argv-secret-1")},
          QStringList{QStringLiteral("--") + m_kind.secretKey, QStringLiteral("argv-secret-1"),
                      QStringLiteral("--secret-stdin")}}) {
        const CliRun r = cli(addWords(QStringLiteral("argv")) + extra, "x=y\n");
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("never taken from the command line"), r.describe().constData());
        QVERIFY2(r.err.contains("--secret-stdin"), r.describe().constData());
        checkNowhere("argv-secret-1", r);
    }
    QCOMPARE(providerCount(), before);
}

void TestCliProviders::badSecretInputAddsNothing()
{
    const int before = providerCount();
    const QJsonObject secretsBefore = storedSecrets();
    struct Case
    {
        QStringList extra;
        QByteArray input;
        const char* mentions;
    };
    const QList<Case> cases = {
        // Not a terminal and no --secret-stdin: nothing to read the secret from.
        {{}, "ignored\n", "--secret-stdin"},
        {{QStringLiteral("--secret-stdin")}, "", "read nothing"},
        {{QStringLiteral("--secret-stdin")}, "{not json\n", "JSON"},
        {{QStringLiteral("--secret-stdin")}, "a=1\nb=2\n", "key=value"},
        {{QStringLiteral("--secret-stdin")}, "{\"nosuchsecret\": \"v\"}", "nosuchsecret"},
    };
    for (const Case& c : cases) {
        const CliRun r = cli(addWords(QStringLiteral("bad")) + c.extra, c.input);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(c.mentions), r.describe().constData());
    }
    QCOMPARE(providerCount(), before);
    QCOMPARE(storedSecrets(), secretsBefore);
}

void TestCliProviders::updateReplacesSecret()
{
    const QByteArray key = m_kind.secretKey.toUtf8();
    QCOMPARE(
        cli(addWords(QStringLiteral("rotating")) + QStringList{QStringLiteral("--secret-stdin")},
            key + "=old-rotating\n")
            .code,
        0);
    const CliRun update = cli({QStringLiteral("provider"), QStringLiteral("update"),
                               QStringLiteral("rotating"), QStringLiteral("--secret-stdin")},
                              key + "=new-rotating\n");
    QVERIFY2(update.code == 0, update.describe().constData());
    checkNowhere("new-rotating", update);
    const QByteArray file = QJsonDocument(storedSecrets()).toJson();
    QVERIFY(file.contains("new-rotating"));
    QVERIFY(!file.contains("old-rotating"));
    // Without --secret-stdin the secret stays.
    const CliRun quota =
        cli({QStringLiteral("provider"), QStringLiteral("update"), QStringLiteral("rotating"),
             QStringLiteral("--quota"), QStringLiteral("5G")});
    QVERIFY2(quota.code == 0, quota.describe().constData());
    QVERIFY(QJsonDocument(storedSecrets()).toJson().contains("new-rotating"));
}

void TestCliProviders::removeDeletesSecret()
{
    const QByteArray key = m_kind.secretKey.toUtf8();
    QCOMPARE(
        cli(addWords(QStringLiteral("leaving")) + QStringList{QStringLiteral("--secret-stdin")},
            key + "=leaving-secret\n")
            .code,
        0);
    QVERIFY(QJsonDocument(storedSecrets()).toJson().contains("leaving-secret"));
    const CliRun r =
        cli({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("leaving")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY(!QJsonDocument(storedSecrets()).toJson().contains("leaving-secret"));
    QCOMPARE(
        cli({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("leaving")}).code,
        3);
}

void TestCliProviders::localKindUnchanged()
{
    const QString folder = m_dir.filePath(QStringLiteral("store-sync"));
    const CliRun add =
        cli({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
             QStringLiteral("synced"), folder, QStringLiteral("--quota"), QStringLiteral("1G")});
    QVERIFY2(add.code == 0, add.describe().constData());
    QVERIFY(QFileInfo(folder).isDir());
    const QJsonArray list =
        QJsonDocument::fromJson(
            cli({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")}).out)
            .object()
            .value(QStringLiteral("providers"))
            .toArray();
    bool seen = false;
    for (const QJsonValue& v : list) {
        const QJsonObject p = v.toObject();
        if (p.value(QStringLiteral("name")) != QJsonValue(QStringLiteral("synced")))
            continue;
        seen = true;
        QCOMPARE(p.value(QStringLiteral("settings")).toObject().value(QStringLiteral("path")),
                 QJsonValue(folder));
        QCOMPARE(p.value(QStringLiteral("quota_bytes")).toInteger(), qint64(1) << 30);
    }
    QVERIFY(seen);
    // A kind without secrets takes none.
    const CliRun secret =
        cli({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
             QStringLiteral("other"), folder, QStringLiteral("--secret-stdin")},
            "x\n");
    QCOMPARE(secret.code, 2);
    QVERIFY2(secret.err.contains("has no secrets"), secret.describe().constData());
    // The folder given twice (word and option) is a usage error.
    QCOMPARE(cli({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                  QStringLiteral("twice"), folder, QStringLiteral("--path"), folder})
                 .code,
             2);
    const CliRun removed =
        cli({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("synced")});
    QVERIFY2(removed.code == 0, removed.describe().constData());
}

QTEST_GUILESS_MAIN(TestCliProviders)
#include "tst_cli_providers.moc"
