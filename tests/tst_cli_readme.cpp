// Every command README.md shows is run, so the README cannot drift from the tool.
//
// The ```sh blocks of README.md are read in order and each command (continuation lines joined)
// is run with bash in one sandbox, as a reader would type them one after another: HOME is the
// sandbox's, so `~` and the default vault (~/.local/share/modelfloat/vault) are there, and
// `modelfloat-cli` is on PATH. Example URLs, paths and names that need something real behind
// them are replaced by local stand-ins — real servers started on 127.0.0.1: s3rver behind the
// SigV4-checking proxy for the S3 example, `rclone serve webdav` for the WebDAV one, a js-ipfs
// node for the IPFS one, the local MEGA API server (tests/peers/mega) for the MEGA account, and
// tests/peers/hub-server.js (through HF_ENDPOINT) for the Hugging Face repo — and files the
// examples name (~/models/...) are made first.
//
// A command this suite does not know how to run is a failure, not a skip: a new `modelfloat-cli`
// command runs as it is (add a stand-in to StandIns below if it names something that must exist,
// or an entry to Specials if it needs input or a particular check); anything else must be in
// NotRunHere, with the reason and a check that what it names exists. An entry of these tables that
// the README no longer shows is a failure too, so they cannot rot.
//
// Bounded by the peers' start-up (js-ipfs takes up to a minute on a loaded machine) and a few
// small transfers: well under two minutes.

#include "clisandbox.h"
#include "credentials/catalogkey.h"
#include "ggufwriter.h"
#include "hubpeer.h"
#include "ipfspeer.h"
#include "megapeer.h"
#include "s3peer.h"
#include "testsupport.h"
#include "webdavpeer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <functional>
#include <memory>

using namespace mf;
using test::CliResult;

namespace {

const QByteArray MegaPassword = QByteArrayLiteral("readme mega password");

QString readmePath()
{
    return QString(mf::test::testsSourceDir() + QStringLiteral("/../README.md"));
}
QString sourceRoot()
{
    return QDir::cleanPath(QString(mf::test::testsSourceDir() + QStringLiteral("/..")));
}

// One command of a ```sh block: the text as the README shows it (continuations joined) and the
// command alone (comment and extra spaces removed), which the tables match.
struct ReadmeCommand
{
    QString text;
    QString command;
    int line = 0;
};

QString withoutComment(const QString& text)
{
    // A '#' that starts a word and is outside quotes starts a comment, as for the shell.
    QChar quote;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
        } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            quote = c;
        } else if (c == QLatin1Char('#') && (i == 0 || text.at(i - 1).isSpace())) {
            return text.left(i).simplified();
        }
    }
    return text.simplified();
}

QList<ReadmeCommand> readmeCommands(QString* error)
{
    QFile f(readmePath());
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read ") + readmePath();
        return {};
    }
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    QList<ReadmeCommand> out;
    bool inBlock = false;
    QString pending;
    int pendingLine = 0;
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines.at(i);
        if (!inBlock) {
            inBlock = line.trimmed() == QLatin1String("```sh");
            continue;
        }
        if (line.trimmed().startsWith(QLatin1String("```"))) {
            inBlock = false;
            continue;
        }
        if (pending.isEmpty())
            pendingLine = i + 1;
        QString part = line;
        const bool continued = withoutComment(part).endsWith(QLatin1Char('\\'));
        if (continued)
            part = part.left(part.lastIndexOf(QLatin1Char('\\')));
        pending += part + (continued ? QStringLiteral(" ") : QString());
        if (continued)
            continue;
        if (!withoutComment(pending).isEmpty())
            out.append({pending.trimmed(), withoutComment(pending), pendingLine});
        pending.clear();
    }
    return out;
}

bool isToolCommand(const QString& command)
{
    return command.startsWith(QLatin1String("modelfloat-cli ")) ||
           command.contains(QLatin1String("| modelfloat-cli "));
}

// An executable file of the source tree; empty, or why not.
QString executableInTree(const QString& relative)
{
    const QFileInfo f(sourceRoot() + QLatin1Char('/') + relative);
    return f.isFile() && f.isExecutable() ? QString()
                                          : relative + QStringLiteral(" is not an executable file");
}

QString fileInTree(const QString& relative)
{
    return QFileInfo(sourceRoot() + QLatin1Char('/') + relative).isFile()
               ? QString()
               : relative + QStringLiteral(" is not a file");
}

// The CMake presets the README names exist, as configure, build and test presets.
QString presetsExist(const QString& preset)
{
    QFile f(sourceRoot() + QStringLiteral("/CMakePresets.json"));
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("no CMakePresets.json");
    const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
    for (const char* kind : {"configurePresets", "buildPresets", "testPresets"}) {
        bool found = false;
        for (const QJsonValue& p : doc.value(QLatin1String(kind)).toArray())
            found = found || p.toObject().value(QStringLiteral("name")).toString() == preset;
        if (!found)
            return QStringLiteral("CMakePresets.json has no %1 named %2")
                .arg(QLatin1String(kind), preset);
    }
    return {};
}

// Commands the README shows that this suite does not run, and why. Each names what it needs
// and that is checked instead.
struct NotRun
{
    QString command;
    QString why;
    std::function<QString()> check;
};

const QList<NotRun>& notRunHere()
{
    static const QList<NotRun> all{
        {QStringLiteral("./scripts/run.sh"),
         QStringLiteral("installs, builds and starts the desktop app (tst_ui_singleinstance "
                        "starts the app)"),
         [] { return executableInTree(QStringLiteral("scripts/run.sh")); }},
        {QStringLiteral("./scripts/test.sh"),
         QStringLiteral("is the test command that runs this suite"),
         [] { return executableInTree(QStringLiteral("scripts/test.sh")); }},
        {QStringLiteral("cmake --preset default && cmake --build --preset default && ctest "
                        "--preset default"),
         QStringLiteral("builds and tests everything: the test command's own work"),
         [] { return presetsExist(QStringLiteral("default")); }},
        {QStringLiteral("cmake --preset asan && cmake --build --preset asan && ctest --preset "
                        "asan"),
         QStringLiteral("builds and tests everything under the sanitizers: the test command's "
                        "own work"),
         [] { return presetsExist(QStringLiteral("asan")); }},
        {QStringLiteral("scripts/fuzz.sh 60"),
         QStringLiteral("fuzzes for a minute per target (the test command fuzzes)"),
         [] { return executableInTree(QStringLiteral("scripts/fuzz.sh")); }},
        {QStringLiteral("cmake --build build --target package"),
         QStringLiteral("builds the packages (installer/)"),
         [] {
             QFile f(sourceRoot() + QStringLiteral("/installer/CMakeLists.txt"));
             return f.open(QIODevice::ReadOnly) && f.readAll().contains("include(CPack)")
                        ? QString()
                        : QStringLiteral("installer/CMakeLists.txt does not include CPack");
         }},
        {QStringLiteral("cmake --preset default && cmake --build build --target package"),
         QStringLiteral("builds the .deb (scripts/package-check.sh, in the test command, builds "
                        "it the same way and checks it)"),
         [] { return presetsExist(QStringLiteral("default")); }},
        {QStringLiteral("sudo apt-get install ./build/modelfloat_0.1.0_amd64.deb"),
         QStringLiteral("installs the package system-wide (scripts/package-check.sh installs it "
                        "into a clean Debian 12 and uses it)"),
         [] {
             // The file name CPack gives the package: the project's version, Debian's arch.
             QFile f(sourceRoot() + QStringLiteral("/CMakeLists.txt"));
             return f.open(QIODevice::ReadOnly) &&
                            f.readAll().contains("project(ModelFloat VERSION 0.1.0 ")
                        ? QString()
                        : QStringLiteral("the README's package name has another version than "
                                         "project() in CMakeLists.txt");
         }},
        {QStringLiteral("modelfloat-cli mount ~/floating"),
         QStringLiteral("runs until it is unmounted, and needs FUSE; tst_mount mounts, reads "
                        "and unmounts with the real command"),
         [] { return fileInTree(QStringLiteral("tests/tst_mount.cpp")); }},
        {QStringLiteral("modelfloat-cli unmount ~/floating"),
         QStringLiteral("ends the mount above; tst_mount runs it on a mount of its own"),
         [] { return fileInTree(QStringLiteral("tests/tst_mount.cpp")); }},
        {QStringLiteral("modelfloat-cli serve"),
         QStringLiteral("runs until Ctrl-C; tst_websignin runs it and signs a browser in "
                        "through the link it prints, tst_webpage with a real browser"),
         [] { return fileInTree(QStringLiteral("tests/tst_websignin.cpp")); }},
        {QStringLiteral("modelfloat-cli watch run"),
         QStringLiteral("runs until Ctrl-C; tst_cli_watch runs it, drops a model into the "
                        "watched folder and stops it with SIGTERM"),
         [] { return fileInTree(QStringLiteral("tests/tst_cli_watch.cpp")); }},
        {QStringLiteral("scripts/package-check.sh build"),
         QStringLiteral("checks the package on a clean Debian 12; the test command runs it"),
         [] { return executableInTree(QStringLiteral("scripts/package-check.sh")); }},
    };
    return all;
}

} // namespace

class TestCliReadme : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everyCommandRuns();

private:
    // Example text in the README -> what stands in for it here.
    struct StandIn
    {
        QString example;
        QString local;
    };
    QList<StandIn> standIns() const;

    // What a command needs beyond being run: input, and a check of what it claims.
    struct Special
    {
        QString command;         // the README's command (without its comment)
        QByteArray stdinput;     // written to its standard input
        QList<QByteArray> typed; // typed at its hidden prompts, one each, on a terminal
        std::function<QString(const CliResult&)> check;
    };
    QList<Special> specials() const;

    void makeFixtures();
    CliResult runCommand(const QString& command, const Special* special);
    QProcessEnvironment environment() const;
    QString home(const QString& relative) const
    {
        return m_box.path(QStringLiteral("home/") + relative);
    }
    QStringList modelNames() const;

    test::CliSandbox m_box;
    test::S3Peer m_s3;
    test::WebDavPeer m_dav;
    test::IpfsPeer m_ipfs;
    test::HubPeer m_hub;
    test::MegaPeer m_mega;
    QTemporaryDir m_peerDir;
    QByteArray m_gguf;   // ~/models/llama-3-8b.Q4_K_M.gguf
    QString m_sharedCid; // of a folder on the IPFS node, for `import ipfs://`
};

QList<TestCliReadme::StandIn> TestCliReadme::standIns() const
{
    return {
        {QStringLiteral("/media/me/usb/modelfloat"), m_box.path(QStringLiteral("media/usb"))},
        {QStringLiteral("https://ACCOUNT.r2.cloudflarestorage.com"), m_s3.endpoint()},
        {QStringLiteral("--bucket models"),
         QStringLiteral("--bucket ") + QLatin1String(test::S3Peer::Bucket)},
        // R2's region is "auto"; the local server checks signatures made for us-east-1, as an AWS
        // region would refuse one made for another.
        {QStringLiteral("--region auto"), QStringLiteral("--region us-east-1")},
        {QStringLiteral("--access-key-id AKIA..."),
         QStringLiteral("--access-key-id ") + QLatin1String(test::S3Peer::AccessKey)},
        {QStringLiteral("https://cloud.example.org/remote.php/dav/files/me/"), m_dav.url()},
        {QStringLiteral("--username me"), QStringLiteral("--username ") + test::WebDavPeer::user()},
        {QStringLiteral("http://127.0.0.1:5001"), m_ipfs.apiUrl()},
        // The model someone shared: a folder added to the node.
        {QStringLiteral("bafybeieo6ylbbvdd5bkhaazajq2bvvec6lmtbg6h5ngbek7bm3ywkrrjjm"),
         m_sharedCid},
        // MEGA itself is the default API server; the local one is named.
        {QStringLiteral("me@example.com"),
         QStringLiteral("me@example.com --api-url ") + m_mega.apiUrl()},
    };
}

QList<TestCliReadme::Special> TestCliReadme::specials() const
{
    const QString restored = home(QStringLiteral("restored"));
    const QString models = home(QStringLiteral("models"));
    return {
        {QStringLiteral("modelfloat-cli float ~/models/llama-3-8b.Q4_K_M.gguf"),
         {},
         {},
         [this](const CliResult&) {
             return modelNames().contains(QStringLiteral("llama-3-8b.Q4_K_M"))
                        ? QString()
                        : QStringLiteral("no model named llama-3-8b.Q4_K_M, as the comment says");
         }},
        {QStringLiteral("modelfloat-cli restore mistral-7b --to ~/restored/"),
         {},
         {},
         [restored, models](const CliResult&) {
             for (const QString& f :
                  test::CliSandbox::filesBelow(models + QStringLiteral("/mistral-7b")))
                 if (test::opensslSha256Hex(restored + QLatin1Char('/') + f) !=
                     test::opensslSha256Hex(models + QStringLiteral("/mistral-7b/") + f))
                     return QStringLiteral("%1 was not restored bit-exact").arg(f);
             return QString();
         }},
        {QStringLiteral("modelfloat-cli cat llama-3-8b.Q4_K_M llama-3-8b.Q4_K_M.gguf --range "
                        "0-1023"),
         {},
         {},
         [this](const CliResult& r) {
             return r.out == m_gguf.left(1024) ? QString()
                                               : QStringLiteral("not bytes 0..1023 of the file");
         }},
        {QStringLiteral("modelfloat-cli provider add webdav nextcloud --url "
                        "https://cloud.example.org/remote.php/dav/files/me/ --username me"),
         {},
         {test::WebDavPeer::password().toUtf8()},
         {}},
        // The recovery key another computer showed (here: one of a computer the sandbox never
        // had; the vault then signs its catalog with it).
        {QStringLiteral("modelfloat-cli vault key import"),
         CatalogKey::generate().recoveryText().toUtf8(),
         {},
         [](const CliResult& r) {
             return r.outText().contains(QStringLiteral("now signs and checks its catalog"))
                        ? QString()
                        : QStringLiteral("it does not say the key is taken");
         }},
        // The password, then Enter at the optional two-factor code (the account has none).
        {QStringLiteral("modelfloat-cli provider add mega cloud me@example.com"),
         {},
         {MegaPassword, QByteArray()},
         {}},
        {QStringLiteral("modelfloat-cli provider auth cloud"),
         {},
         {MegaPassword, QByteArray()},
         {}},
        {QStringLiteral("modelfloat-cli hub login"),
         QByteArrayLiteral("hf_readme_token\n"),
         {},
         {}},
        {QStringLiteral("modelfloat-cli materialize bartowski/Llama-3.2-3B-Instruct-GGUF --to "
                        "~/.cache/huggingface/hub --layout hf"),
         {},
         {},
         [this](const CliResult&) {
             const QString repo =
                 home(QStringLiteral(".cache/huggingface/hub/models--bartowski--Llama-3.2-3B-"
                                     "Instruct-GGUF/snapshots"));
             // The variant imported (with the repo's small files), not the other one.
             const QStringList files = test::CliSandbox::filesBelow(repo);
             const QString all = files.join(QLatin1Char(' '));
             return all.contains(QLatin1String("/Llama-3.2-3B-Instruct-Q4_K_M.gguf")) &&
                            !all.contains(QLatin1String("Q8_0"))
                        ? QString()
                        : QStringLiteral("the snapshot holds %1").arg(all);
         }},
    };
}

QProcessEnvironment TestCliReadme::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // The reader's own defaults: the vault in ~/.local/share, no override.
    for (const char* name : {"MODELFLOAT_VAULT", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                             "XDG_CACHE_HOME", "HF_TOKEN", "HF_HUB_OFFLINE", "HF_HOME"})
        env.remove(QLatin1String(name));
    env.insert(QStringLiteral("HOME"), home(QString()));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    env.insert(QStringLiteral("PATH"), m_box.path(QStringLiteral("bin")) + QLatin1Char(':') +
                                           env.value(QStringLiteral("PATH")));
    env.insert(QStringLiteral("HF_ENDPOINT"), m_hub.endpoint());
    env.insert(QStringLiteral("AWS_SECRET"), QLatin1String(test::S3Peer::Secret));
    return env;
}

void TestCliReadme::makeFixtures()
{
    // ~/models/llama-3-8b.Q4_K_M.gguf: a real GGUF (inspect reads it), and a folder of files.
    m_gguf = test::sampleGguf().build();
    QVERIFY(QDir().mkpath(home(QStringLiteral("models/mistral-7b"))));
    QVERIFY(test::writeFile(home(QStringLiteral("models/llama-3-8b.Q4_K_M.gguf")), m_gguf));
    QVERIFY(test::writeFile(home(QStringLiteral("models/mistral-7b/config.json")),
                            R"({"model_type": "mistral"})"));
    const QByteArray tensors = test::buildSafetensors(
        {{QStringLiteral("model.embed_tokens.weight"), QStringLiteral("BF16"), {512, 256}, 2},
         {QStringLiteral("lm_head.weight"), QStringLiteral("BF16"), {512, 256}, 2}});
    QVERIFY(test::writeFile(home(QStringLiteral("models/mistral-7b/model.safetensors")), tensors));
    QVERIFY(test::writePseudoRandomFile(home(QStringLiteral("models/mistral-7b/tokenizer.json")),
                                        300 * 1024, 9));
    // `modelfloat-cli` on PATH, as an installed one would be.
    QVERIFY(QDir().mkpath(m_box.path(QStringLiteral("bin"))));
    QVERIFY(QFile::link(test::CliSandbox::cli(), m_box.path(QStringLiteral("bin/modelfloat-cli"))));
    // The Hub repo of the examples: two quantizations and a README.
    const QString repo = m_peerDir.filePath(QStringLiteral("hub/Llama-3.2-3B-Instruct-GGUF"));
    QVERIFY(QDir().mkpath(repo));
    for (const char* quant : {"Q4_K_M", "Q8_0"}) {
        test::GgufWriter w = test::sampleGguf();
        w.tensors.first().bytes += 64 * 1024; // a little weight to carry
        QVERIFY(test::writeFile(
            repo + QStringLiteral("/Llama-3.2-3B-Instruct-%1.gguf").arg(QLatin1String(quant)),
            w.build()));
    }
    QVERIFY(test::writeFile(repo + QStringLiteral("/README.md"), "# Llama 3.2 3B Instruct\n"));
    QVERIFY2(m_hub.start({{QStringLiteral("bartowski/Llama-3.2-3B-Instruct-GGUF"), repo}}),
             qPrintable(m_hub.errorString()));
}

void TestCliReadme::initTestCase()
{
    QVERIFY(m_box.ok() && m_peerDir.isValid());
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
    QVERIFY2(m_dav.start(m_peerDir.filePath(QStringLiteral("dav"))),
             qPrintable(m_dav.errorString()));
    QVERIFY2(m_ipfs.start(m_peerDir.filePath(QStringLiteral("ipfs"))),
             qPrintable(m_ipfs.errorString()));
    QVERIFY2(m_mega.start(
                 {{QStringLiteral("me@example.com"), QString::fromUtf8(MegaPassword), false, {}}}),
             qPrintable(m_mega.errorString()));
    makeFixtures();
    bool added = false;
    const QByteArray answer = m_ipfs.rpc(
        QStringLiteral("add?cid-version=1&raw-leaves=true&pin=true&wrap-with-directory=true"),
        {{QStringLiteral("config.json"), QByteArray("{\"shared\": true}\n")},
         {QStringLiteral("weights.bin"), test::pseudoRandomBytes(200 * 1024, 12)}},
        &added);
    QVERIFY2(added, answer.constData());
    for (const QByteArray& line : answer.split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.contains(QStringLiteral("Hash")) &&
            o.value(QStringLiteral("Name")).toString().isEmpty())
            m_sharedCid = o.value(QStringLiteral("Hash")).toString();
    }
    QVERIFY2(!m_sharedCid.isEmpty(), answer.constData());
}

QStringList TestCliReadme::modelNames() const
{
    QStringList names;
    const CliResult r =
        m_box.runIn(environment(), {QStringLiteral("list"), QStringLiteral("--json")});
    for (const QJsonValue& m : r.json().value(QStringLiteral("models")).toArray())
        names << m.toObject().value(QStringLiteral("name")).toString();
    return names;
}

CliResult TestCliReadme::runCommand(const QString& command, const Special* special)
{
    const QProcessEnvironment env = environment();
    CliResult r;
    if (!special || special->typed.isEmpty()) {
        static_cast<test::CliRun&>(r) =
            test::runWithInput(QStringLiteral("bash"), {QStringLiteral("-c"), command},
                               special ? special->stdinput : QByteArray(), env, home(QString()));
        return r;
    }
    // A hidden prompt wants a terminal: util-linux's `script` gives it one; each answer is typed
    // once its prompt is there (what arrives earlier would be echoed).
    QProcess term;
    term.setProcessEnvironment(env);
    term.setWorkingDirectory(home(QString()));
    term.setProcessChannelMode(QProcess::MergedChannels);
    term.start(QStringLiteral("script"),
               {QStringLiteral("-qec"), command, QStringLiteral("/dev/null")});
    if (!term.waitForStarted(30000))
        return r;
    for (qsizetype i = 0; i < special->typed.size(); ++i) {
        while (r.out.count("input hidden") <= i && term.waitForReadyRead(60000))
            r.out += term.readAll();
        term.write(special->typed.at(i) + '\r');
    }
    term.closeWriteChannel();
    term.waitForFinished(120000);
    r.out += term.readAll();
    r.code = term.exitStatus() == QProcess::NormalExit ? term.exitCode() : -1;
    return r;
}

void TestCliReadme::everyCommandRuns()
{
    QString error;
    const QList<ReadmeCommand> commands = readmeCommands(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(commands.size() > 20, "README.md shows fewer commands than it did: is it parsed?");

    // Secrets go to the vault's opt-in plaintext store here: the keychain path is tested by
    // tst_credentials, and this suite runs where no Secret Service may answer.
    const CliResult optIn = m_box.runIn(
        environment(), {QStringLiteral("config"), QStringLiteral("credentials"),
                        QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe().constData());

    const QList<StandIn> standIn = standIns();
    const QList<Special> special = specials();
    QSet<QString> usedStandIns, usedSpecials, usedNotRun;
    QStringList failures;
    for (const ReadmeCommand& c : commands) {
        const QString where = QStringLiteral("README.md:%1: %2").arg(c.line).arg(c.text);
        const auto notRun = std::find_if(notRunHere().begin(), notRunHere().end(),
                                         [&](const NotRun& n) { return n.command == c.command; });
        if (notRun != notRunHere().end()) {
            usedNotRun.insert(notRun->command);
            if (const QString why = notRun->check(); !why.isEmpty())
                failures << where + QStringLiteral("\n  not run here (") + notRun->why +
                                QStringLiteral("), and: ") + why;
            continue;
        }
        if (!isToolCommand(c.command)) {
            failures << where + QStringLiteral("\n  is not a modelfloat-cli command and is not in "
                                               "NotRunHere: say there how it is checked");
            continue;
        }
        QString command = c.text;
        for (const StandIn& s : standIn) {
            if (command.contains(s.example)) {
                command.replace(s.example, s.local);
                usedStandIns.insert(s.example);
            }
        }
        const auto sp = std::find_if(special.begin(), special.end(),
                                     [&](const Special& s) { return s.command == c.command; });
        if (sp != special.end())
            usedSpecials.insert(sp->command);
        const CliResult r = runCommand(command, sp != special.end() ? &*sp : nullptr);
        if (r.code != 0) {
            failures << where + QStringLiteral("\n  ran as: ") + command + QLatin1Char('\n') +
                            QString::fromUtf8(r.describe());
            continue;
        }
        if (sp != special.end() && sp->check) {
            if (const QString why = sp->check(r); !why.isEmpty())
                failures << where + QStringLiteral("\n  ") + why;
        }
    }
    // The tables hold nothing the README no longer shows.
    for (const StandIn& s : standIn)
        if (!usedStandIns.contains(s.example))
            failures << QStringLiteral("stand-in for “%1”: the README no longer shows it")
                            .arg(s.example);
    for (const Special& s : special)
        if (!usedSpecials.contains(s.command))
            failures << QStringLiteral("special handling of “%1”: the README no longer shows it")
                            .arg(s.command);
    for (const NotRun& n : notRunHere())
        if (!usedNotRun.contains(n.command))
            failures << QStringLiteral("“%1” is listed as not run, but the README no longer "
                                       "shows it")
                            .arg(n.command);
    // Each failure in full (a test message is cut short), then the verdict.
    for (const QString& f : std::as_const(failures))
        qWarning("%s\n", qPrintable(f));
    QVERIFY2(failures.isEmpty(),
             qPrintable(QStringLiteral("%1 of the README's commands failed or are not covered (see "
                                       "above)")
                            .arg(failures.size())));
}

QTEST_GUILESS_MAIN(TestCliReadme)
#include "tst_cli_readme.moc"
