// ProviderSetup and modelfloat-cli with the real keychain: a provider's secrets are written,
// kept, replaced and removed together with its row (rolled back when a write fails, kept with
// the provider when they cannot be removed), and the CLI's secrets never reach argv, its output
// or the registry, also when a vault switches stores.

#include "credentialstestsupport.h"
#include "testsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::credentialstest;

class TestCredentialSetup final : public CredentialsTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { CredentialsTestBase::initTestCase(); }
    void cleanupTestCase() { CredentialsTestBase::cleanupTestCase(); }
    void setupAddsAndRemovesSecretsInKeychain();
    void setupRollsBackWhenSecretWriteFails();
    void setupUpdateKeepsOrReplacesSecrets();
    void setupRemoveKeepsProviderWhenSecretsStay();
    void cliSecretsGoToKeychainNeverToArgvOrOutput();
    void cliSwitchingStoreMovesSecrets();
};

void TestCredentialSetup::setupAddsAndRemovesSecretsInKeychain()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-setup"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    const QString secret =
        QStringLiteral("setup-secret-%1").arg(QCoreApplication::applicationPid());

    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("remote");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://dav.example.org")},
                     {QStringLiteral("user"), QStringLiteral("bob")}};
    spec.secrets = {{QStringLiteral("password"), secret}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QVERIFY2(add->error().ok(), qPrintable(add->error().message));
    const qint64 id = add->providerId();
    QVERIFY(id > 0);
    const QString key = CredentialStore::providerKey(vault->id(), id);
    QCOMPARE(QJsonDocument::fromJson(secretToolLookup(key)).object(), spec.secrets);
    const auto row = vault->registry().providerRows().provider(id);
    QVERIFY(row);
    QCOMPARE(row->settings.value(QStringLiteral("user")).toString(), QStringLiteral("bob"));
    QVERIFY(!row->settings.contains(QStringLiteral("password")));
    QVERIFY(!registryBytes(dir).contains(secret.toUtf8()));

    // The same name again is refused before anything is written.
    std::unique_ptr<ProviderSetup> again(runSetup(ProviderSetup::add(*vault, spec)));
    QCOMPARE(again->failure(), ProviderSetup::Failure::NameTaken);

    // Removing the provider removes its secrets.
    std::unique_ptr<ProviderSetup> remove(runSetup(ProviderSetup::remove(*vault, id, false)));
    QVERIFY2(remove->error().ok(), qPrintable(remove->error().message));
    QVERIFY(!vault->registry().providerRows().provider(id));
    QVERIFY(secretToolLookup(key).isEmpty());
    QVERIFY(!registryBytes(dir).contains(secret.toUtf8()));
}

void TestCredentialSetup::setupRollsBackWhenSecretWriteFails()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-rollback"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    // A real failure: the credentials file's folder cannot exist, a file is in its place.
    QVERIFY(test::writeFile(m_dir.filePath(QStringLiteral("not-a-folder")), "x"));
    vault->setCredentialStore(std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("not-a-folder/credentials.json"))));
    const int before = int(vault->registry().providerRows().providers().size());

    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("doomed");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://dav.example.org")}};
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("rollback-secret")}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QCOMPARE(add->failure(), ProviderSetup::Failure::Failed);
    QVERIFY2(add->error().message.contains(QStringLiteral("was not added")),
             qPrintable(add->error().message));
    QVERIFY(!add->error().message.contains(QStringLiteral("rollback-secret")));
    QCOMPARE(int(vault->registry().providerRows().providers().size()), before);
    QVERIFY(!vault->registry().providerRows().providerByName(QStringLiteral("doomed")));

    // Invalid input writes nothing at all.
    spec.secrets = {};
    std::unique_ptr<ProviderSetup> noSecret(runSetup(ProviderSetup::add(*vault, spec)));
    QCOMPARE(noSecret->failure(), ProviderSetup::Failure::Invalid);
    QVERIFY2(noSecret->error().message.contains(QStringLiteral("Password")),
             qPrintable(noSecret->error().message));
    QCOMPARE(int(vault->registry().providerRows().providers().size()), before);
}

void TestCredentialSetup::setupUpdateKeepsOrReplacesSecrets()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-update"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("edit-me");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://a.example.org")}};
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("first-pw")}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QVERIFY2(add->error().ok(), qPrintable(add->error().message));
    const qint64 id = add->providerId();
    const QString key = CredentialStore::providerKey(vault->id(), id);

    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://b.example.org")}};
    spec.secrets = {};
    std::unique_ptr<ProviderSetup> keep(runSetup(ProviderSetup::update(*vault, id, spec)));
    QVERIFY2(keep->error().ok(), qPrintable(keep->error().message));
    QCOMPARE(vault->registry()
                 .providerRows()
                 .provider(id)
                 ->settings.value(QStringLiteral("url"))
                 .toString(),
             QStringLiteral("https://b.example.org"));
    QCOMPARE(QJsonDocument::fromJson(secretToolLookup(key)).object(),
             (QJsonObject{{QStringLiteral("password"), QStringLiteral("first-pw")}}));

    spec.secrets = {{QStringLiteral("password"), QStringLiteral("second-pw")}};
    std::unique_ptr<ProviderSetup> change(runSetup(ProviderSetup::update(*vault, id, spec)));
    QVERIFY2(change->error().ok(), qPrintable(change->error().message));
    QCOMPARE(QJsonDocument::fromJson(secretToolLookup(key)).object(), spec.secrets);
    std::unique_ptr<ProviderSetup> remove(runSetup(ProviderSetup::remove(*vault, id, false)));
    QVERIFY(remove->error().ok());
    QVERIFY(secretToolLookup(key).isEmpty());
}

void TestCredentialSetup::setupRemoveKeepsProviderWhenSecretsStay()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-remove"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("sticky");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://a.example.org")}};
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("sticky-pw")}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QVERIFY2(add->error().ok(), qPrintable(add->error().message));
    const qint64 id = add->providerId();
    const QString key = CredentialStore::providerKey(vault->id(), id);

    // A store that cannot remove anything (its file's folder is a file): the provider stays,
    // so its secret is not orphaned without a word.
    QVERIFY(test::writeFile(m_dir.filePath(QStringLiteral("blocker")), "x"));
    vault->setCredentialStore(std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("blocker/credentials.json"))));
    std::unique_ptr<ProviderSetup> refused(runSetup(ProviderSetup::remove(*vault, id, false)));
    QCOMPARE(refused->failure(), ProviderSetup::Failure::Failed);
    QVERIFY2(refused->error().message.contains(QStringLiteral("provider is kept")),
             qPrintable(refused->error().message));
    QVERIFY(vault->registry().providerRows().provider(id));

    // --force forgets it and says what was left behind.
    std::unique_ptr<ProviderSetup> forced(runSetup(ProviderSetup::remove(*vault, id, true)));
    QVERIFY2(forced->error().ok(), qPrintable(forced->error().message));
    QVERIFY2(forced->warning().contains(QStringLiteral("could not be removed")),
             qPrintable(forced->warning()));
    QVERIFY(!vault->registry().providerRows().provider(id));

    KeychainCredentialStore keychain;
    QVERIFY(!secretToolLookup(key).isEmpty());
    QVERIFY(runJob(keychain.remove(key)).error.ok());
}

void TestCredentialSetup::cliSecretsGoToKeychainNeverToArgvOrOutput()
{
    // A kind this build knows that has a required secret, with its required settings filled
    // in by type: the test follows the kinds as they are registered.
    const QString cli = mf::test::cliPath();
    const QString vaultDir = m_dir.filePath(QStringLiteral("vault-cli"));
    const QStringList common{QStringLiteral("--vault"), vaultDir};
    QByteArray out;
    QCOMPARE(runWithInput(cli, QStringList{QStringLiteral("init")} + common, {}, &out), 0);
    QCOMPARE(runWithInput(cli,
                          QStringList{QStringLiteral("provider"), QStringLiteral("kinds"),
                                      QStringLiteral("--json")} +
                              common,
                          {}, &out),
             0);
    const test::SecretKind found = test::findSecretKind(out);
    const QString kind = found.kind;
    const QString secretKey = found.secretKey;
    const QStringList options = found.requiredOptions;
    if (kind.isEmpty())
        QSKIP("No provider kind with a required secret is registered in this build");

    const QString secret =
        QStringLiteral("cli-keychain-secret-%1").arg(QCoreApplication::applicationPid());
    const QStringList add = QStringList{QStringLiteral("provider"), QStringLiteral("add"), kind,
                                        QStringLiteral("remote")} +
                            options + common;
    // The secret as an option is refused, and not repeated.
    QByteArray err;
    const QString asOption = QStringLiteral("--") + providerfields::optionName(secretKey);
    QCOMPARE(runWithInput(cli, add + QStringList{asOption, secret}, {}, &out, &err), 2);
    QVERIFY2(QString::fromUtf8(err).contains(QStringLiteral("never taken from the command line")),
             err.constData());
    QVERIFY(!QByteArray(out + err).contains(secret.toUtf8()));

    // From stdin it goes to the keychain, and nowhere else.
    QCOMPARE(runWithInput(cli, add + QStringList{QStringLiteral("--secret-stdin")},
                          (secretKey + QLatin1Char('=') + secret + QLatin1Char('\n')).toUtf8(),
                          &out, &err),
             0);
    QVERIFY(!QByteArray(out + err).contains(secret.toUtf8()));
    QVERIFY(!registryBytes(vaultDir).contains(secret.toUtf8()));
    QVERIFY(!QFile::exists(vaultDir + QStringLiteral("/credentials.json")));
    QCOMPARE(runWithInput(cli,
                          QStringList{QStringLiteral("provider"), QStringLiteral("list"),
                                      QStringLiteral("--json")} +
                              common,
                          {}, &out, &err),
             0);
    QVERIFY(!QByteArray(out + err).contains(secret.toUtf8()));
    QByteArray search;
    QByteArray searchErr;
    QCOMPARE(runWithInput(QStringLiteral("secret-tool"),
                          {QStringLiteral("search"), QStringLiteral("--all"),
                           QStringLiteral("server"), Service},
                          {}, &search, &searchErr),
             0);
    QVERIFY2(QByteArray(search + searchErr).contains(secret.toUtf8()),
             QByteArray(search + searchErr).constData());

    // Removing the provider removes the secret from the keychain.
    QCOMPARE(runWithInput(cli,
                          QStringList{QStringLiteral("provider"), QStringLiteral("remove"),
                                      QStringLiteral("remote")} +
                              common,
                          {}, &out, &err),
             0);
    search.clear();
    runWithInput(
        QStringLiteral("secret-tool"),
        {QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("server"), Service}, {},
        &search, &searchErr);
    QVERIFY2(!QByteArray(search + searchErr).contains(secret.toUtf8()),
             QByteArray(search + searchErr).constData());
}

void TestCredentialSetup::cliSwitchingStoreMovesSecrets()
{
    const QString cli = mf::test::cliPath();
    const QString vaultDir = m_dir.filePath(QStringLiteral("vault-switch"));
    const QStringList common{QStringLiteral("--vault"), vaultDir};
    const auto cmd = [&](const QStringList& words, const QByteArray& input = {}) {
        return test::runWithInput(cli, words + common, input);
    };
    QCOMPARE(cmd({QStringLiteral("init")}).code, 0);
    const test::SecretKind found = test::findSecretKind(
        cmd({QStringLiteral("provider"), QStringLiteral("kinds"), QStringLiteral("--json")}).out);
    if (found.kind.isEmpty())
        QSKIP("No provider kind with a required secret is registered in this build");
    const QByteArray secret =
        "moving-secret-" + QByteArray::number(QCoreApplication::applicationPid());
    const test::CliRun add =
        cmd(QStringList{QStringLiteral("provider"), QStringLiteral("add"), found.kind,
                        QStringLiteral("mover"), QStringLiteral("--secret-stdin")} +
                found.requiredOptions,
            found.secretKey.toUtf8() + '=' + secret + '\n');
    QVERIFY2(add.code == 0, add.describe().constData());
    const auto inKeychain = [&] {
        const test::CliRun r = test::runWithInput(
            QStringLiteral("secret-tool"),
            {QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("server"), Service});
        return r.all().contains(secret);
    };
    const auto inFile = [&] {
        QFile f(vaultDir + QStringLiteral("/credentials.json"));
        return f.open(QIODevice::ReadOnly) && f.readAll().contains(secret);
    };
    QVERIFY(inKeychain());
    QVERIFY(!inFile());

    const test::CliRun toPlain =
        cmd({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("plaintext"),
             QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(toPlain.code == 0, toPlain.describe().constData());
    QVERIFY2(toPlain.err.contains("UNENCRYPTED"), toPlain.describe().constData());
    QVERIFY(!toPlain.all().contains(secret));
    QVERIFY(inFile());
    QVERIFY(!inKeychain());

    const test::CliRun back =
        cmd({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("keychain")});
    QVERIFY2(back.code == 0, back.describe().constData());
    QVERIFY(inKeychain());
    QVERIFY(!inFile());
    QVERIFY(!registryBytes(vaultDir).contains(secret));
    QCOMPARE(
        cmd({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("mover")}).code,
        0);
    QVERIFY(!inKeychain());
}

QTEST_GUILESS_MAIN(TestCredentialSetup)
#include "tst_credentialsetup.moc"
