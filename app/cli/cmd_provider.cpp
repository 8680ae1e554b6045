// `modelfloat-cli provider ...`: add (options generated from the kind's fields), kinds, list,
// test, update, auth (sign in again) and remove. Secrets come from a hidden prompt or
// --secret-stdin, never argv.
#include "command.h"

#include "secretinput.h"
#include "sync/drainjob.h"

#include "credentials/credentialstore.h"
#include "providers/providerfactory.h"
#include "providers/providerfields.h"
#include "providers/providerprobe.h"
#include "util/units.h"
#include "vault/providersetup.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QJsonArray>

namespace mf::cli {

namespace {

// "unknown" where a provider cannot tell (a WebDAV server without quota properties).
QString knownBytes(qint64 bytes)
{
    return bytes < 0 ? QStringLiteral("unknown") : units::formatBytes(bytes);
}

// A moment in local time for people ("14:05" today, else with the date).
QString timeText(qint64 ms)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms);
    return t.date() == QDate::currentDate() ? t.toString(QStringLiteral("HH:mm"))
                                            : t.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

// The same moment for programs (UTC, ISO 8601); null when there is none.
QJsonValue isoTime(qint64 ms)
{
    if (ms <= 0)
        return QJsonValue::Null;
    return QDateTime::fromMSecsSinceEpoch(ms).toUTC().toString(Qt::ISODate);
}

const QString Syntax = QStringLiteral(
    "provider add KIND NAME [VALUE] [--FIELD VALUE ...] [--secret-stdin] [--quota SIZE] | "
    "update NAME [--FIELD VALUE ...] [--secret-stdin] | auth NAME [--secret-stdin] | kinds | "
    "list | test NAME | drain NAME [--force] | remove NAME [--force]");

// The first words of `args` (after the command's name) that are not options, skipping the
// values of the options known to take one: enough to find the action, the kind and the name
// before the kind's own options are known.
QStringList leadingWords(const QStringList& args)
{
    QStringList words;
    for (qsizetype i = 1; i < args.size() && words.size() < 2; ++i) {
        const QString& a = args.at(i);
        if (a == QLatin1String("--vault") || a == QLatin1String("--quota")) {
            ++i;
            continue;
        }
        if (!a.startsWith(QLatin1Char('-')))
            words << a;
    }
    return words;
}

QString optionText(const ProviderField& f)
{
    QString text = f.label + QStringLiteral(". ") + f.help;
    if (f.isSecret())
        text = f.label + QStringLiteral(": a secret, read from the prompt or --secret-stdin, "
                                        "never from this option.");
    else if (f.required)
        text += QStringLiteral(" Required.");
    if (!f.placeholder.isEmpty() && !f.isSecret())
        text += QStringLiteral(" Example: %1").arg(f.placeholder);
    return text;
}

QStringList optionNames(const ProviderField& f)
{
    const QString kebab = providerfields::optionName(f.key);
    return kebab == f.key ? QStringList{f.key} : QStringList{kebab, f.key};
}

// The first required setting, which may be given as a third word: "add local NAME PATH".
const ProviderField* positionalField(const ProviderKind& kind)
{
    for (const ProviderField& f : kind.fields)
        if (f.required && !f.isSecret())
            return &f;
    return nullptr;
}

// What `provider list` shows as where a provider keeps its objects.
QString whereOf(const ProviderFactory& factory, const ProviderRecord& r)
{
    const ProviderKind* kind = factory.kind(r.kind);
    return kind ? providerfields::whereOf(*kind, r.settings) : QString();
}

int exitCodeOf(ProviderSetup::Failure f)
{
    switch (f) {
    case ProviderSetup::Failure::None:
        return Success;
    case ProviderSetup::Failure::Invalid:
        return Usage;
    case ProviderSetup::Failure::BadPath:
        return BadInput;
    case ProviderSetup::Failure::NameTaken:
        return AlreadyExists;
    case ProviderSetup::Failure::NotFound:
        return NotFound;
    case ProviderSetup::Failure::HoldsChunks:
    case ProviderSetup::Failure::SignIn:
    case ProviderSetup::Failure::Failed:
        break;
    }
    return Failed;
}

class ProviderCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        const QStringList words = leadingWords(args);
        const QString action = words.value(0);
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("action"),
                                QStringLiteral("add, update, auth, kinds, list, test, drain or "
                                               "remove."));
        p.addPositionalArgument(QStringLiteral("args"),
                                QStringLiteral("add KIND NAME [VALUE] | update NAME | auth NAME | "
                                               "test NAME | drain NAME | remove NAME"),
                                QStringLiteral("[ARGS...]"));
        p.addOption({QStringLiteral("quota"),
                     QStringLiteral("add, update: the most this provider may hold, e.g. 50G."),
                     QStringLiteral("size")});
        p.addOption({QStringLiteral("force"),
                     QStringLiteral("drain: even if chunks then keep fewer copies than the vault "
                                    "wants; remove: forget it at once, with the chunks it "
                                    "holds.")});
        p.addOption({QStringLiteral("secret-stdin"),
                     QStringLiteral("add, update, auth: read the secrets from standard input, "
                                    "as key=value lines, one JSON object, or the single secret's "
                                    "value.")});

        // The kind's fields become options: for `add KIND` from the kind, for `update NAME`
        // from the provider's kind in the vault.
        m_kind = nullptr;
        if (action == QLatin1String("add")) {
            m_kind = m_factory.kind(words.value(1));
        } else if ((action == QLatin1String("update") || action == QLatin1String("auth")) &&
                   words.size() == 2) {
            m_ctx.vaultDir = vaultOption(args, m_ctx.vaultDir);
            if (Vault* vault = m_ctx.openVault())
                if (const auto r = vault->registry().providerRows().providerByName(words.at(1)))
                    m_kind = m_factory.kind(r->kind);
        }
        if (m_kind) {
            for (const ProviderField& f : m_kind->fields) {
                if (f.type == ProviderField::Type::Bool)
                    p.addOption({optionNames(f), optionText(f)});
                else
                    p.addOption({optionNames(f), optionText(f), providerfields::valueHint(f)});
            }
        }
        QString syntax = Syntax;
        if (m_kind)
            syntax += QStringLiteral("\n\n%1 (%2): %3")
                          .arg(m_kind->displayName, m_kind->id, m_kind->description);
        else
            syntax += QStringLiteral("\n\nKinds: %1. `provider add --help KIND` shows a kind's "
                                     "options; `provider kinds` lists them all.")
                          .arg(m_factory.kinds().join(QStringLiteral(", ")));
        if (!parse(p, args, syntax, 1, 4))
            return;

        if (m_kind && refuseSecretOptions(p))
            return;
        const QStringList a = p.positionalArguments();
        if (action == QLatin1String("kinds") && a.size() == 1)
            return kinds();
        if (action == QLatin1String("add") && !m_kind && a.size() >= 2) {
            console().error(QStringLiteral("Unknown provider kind “%1”; this version knows: %2 "
                                           "(see `modelfloat-cli provider kinds`)")
                                .arg(a.at(1), m_factory.kinds().join(QStringLiteral(", "))));
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        if (action == QLatin1String("list") && a.size() == 1)
            return list(vault);
        if (action == QLatin1String("add") && (a.size() == 3 || a.size() == 4))
            return add(vault, a, p);
        if (action == QLatin1String("update") && a.size() == 2)
            return update(vault, a.at(1), p);
        if (action == QLatin1String("auth") && a.size() == 2)
            return auth(vault, a.at(1), p);
        if (action == QLatin1String("test") && a.size() == 2)
            return test(vault, a.at(1));
        if (action == QLatin1String("drain") && a.size() == 2)
            return drain(vault, a.at(1), p.isSet(QStringLiteral("force")), false);
        if (action == QLatin1String("remove") && a.size() == 2)
            return remove(vault, a.at(1), p.isSet(QStringLiteral("force")));
        console().error(QStringLiteral("usage: modelfloat-cli %1").arg(Syntax));
        finish(Usage);
    }

private:
    // --vault before the options are known (update needs the vault to know the kind).
    static QString vaultOption(const QStringList& args, const QString& fallback)
    {
        for (qsizetype i = 1; i < args.size(); ++i) {
            if (args.at(i) == QLatin1String("--vault") && i + 1 < args.size())
                return args.at(i + 1);
            if (args.at(i).startsWith(QLatin1String("--vault=")))
                return args.at(i).mid(8);
        }
        return fallback;
    }

    // A secret typed as an option is in the process list and the shell history already: refuse
    // it and say what to do instead. The value is never repeated.
    bool refuseSecretOptions(const QCommandLineParser& p)
    {
        for (const ProviderField& f : m_kind->fields) {
            if (!f.isSecret() || !p.isSet(optionNames(f).first()))
                continue;
            console().error(
                QStringLiteral(
                    "--%1: secrets are never taken from the command line, where other users can "
                    "see them in the process list and your shell keeps them in its history. "
                    "Leave the option out and type the secret at the hidden prompt, or pipe it "
                    "in with --secret-stdin (for example from a password manager: "
                    "`pass show s3 | modelfloat-cli provider add %2 NAME ... --secret-stdin`). "
                    "If you typed a real secret, consider changing it.")
                    .arg(providerfields::optionName(f.key), m_kind->id));
            finish(Usage);
            return true;
        }
        return false;
    }

    void kinds()
    {
        QJsonArray out;
        for (const QString& id : m_factory.kinds()) {
            const ProviderKind* k = m_factory.kind(id);
            console().print(QStringLiteral("%1  %2: %3")
                                .arg(id.leftJustified(8), k->displayName, k->description));
            QJsonArray fields;
            for (const ProviderField& f : k->fields) {
                const QString usage =
                    f.isSecret()
                        ? QStringLiteral("(secret: prompt or --secret-stdin as %1=…)").arg(f.key)
                    : f.type == ProviderField::Type::Bool
                        ? QStringLiteral("--%1").arg(providerfields::optionName(f.key))
                        : QStringLiteral("--%1 %2").arg(providerfields::optionName(f.key),
                                                        providerfields::valueHint(f));
                console().print(QStringLiteral("    %1 %2%3")
                                    .arg(usage.leftJustified(40), f.label,
                                         f.required ? QStringLiteral(" (required)") : QString()));
                fields.append(
                    QJsonObject{{QStringLiteral("key"), f.key},
                                {QStringLiteral("option"), providerfields::optionName(f.key)},
                                {QStringLiteral("label"), f.label},
                                {QStringLiteral("type"), providerfields::valueHint(f)},
                                {QStringLiteral("secret"), f.isSecret()},
                                {QStringLiteral("required"), f.required},
                                {QStringLiteral("help"), f.help}});
            }
            out.append(QJsonObject{{QStringLiteral("kind"), id},
                                   {QStringLiteral("name"), k->displayName},
                                   {QStringLiteral("description"), k->description},
                                   {QStringLiteral("signs_in"), bool(k->signIn)},
                                   {QStringLiteral("fields"), fields}});
        }
        console().printJson({{QStringLiteral("kinds"), out}});
        finish(Success);
    }

    void list(Vault* vault)
    {
        const auto stored = vault->registry().healthRows().storedBytesByProvider();
        QJsonArray out;
        for (const ProviderRecord& r : vault->registry().providerRows().providers()) {
            const ProviderBudget b = vault->registry().providerRows().providerBudget(r.id);
            console().print(
                QStringLiteral("%1  %2  %3  %4%5")
                    .arg(r.name.leftJustified(16), r.kind.leftJustified(7),
                         units::formatBytes(stored.value(r.id)).rightJustified(10),
                         whereOf(m_factory, r),
                         r.quotaBytes >= 0
                             ? QStringLiteral("  (quota %1)").arg(units::formatBytes(r.quotaBytes))
                             : QString()));
            // Budgets: a pause says until when and why; a daily budget what is left of it.
            if (b.dailyUploadBytes >= 0)
                console().print(
                    QStringLiteral("    daily upload budget %1, %2 used%3")
                        .arg(units::formatBytes(b.dailyUploadBytes),
                             units::formatBytes(b.uploadedTodayBytes),
                             b.dayEndsMs > 0
                                 ? QStringLiteral(", resets %1").arg(timeText(b.dayEndsMs))
                                 : QString()));
            if (b.uploadPaused())
                console().print(QStringLiteral("    uploads paused until %1: %2")
                                    .arg(timeText(b.uploadPausedUntilMs), b.uploadPauseReason));
            if (b.downloadPaused())
                console().print(QStringLiteral("    downloads paused until %1: %2")
                                    .arg(timeText(b.downloadPausedUntilMs), b.downloadPauseReason));
            QJsonObject budget{
                {QStringLiteral("daily_upload_bytes"), b.dailyUploadBytes},
                {QStringLiteral("uploaded_today_bytes"), b.uploadedTodayBytes},
                {QStringLiteral("day_resets_at"), isoTime(b.dayEndsMs)},
                {QStringLiteral("uploads_paused_until"), isoTime(b.uploadPausedUntilMs)},
                {QStringLiteral("upload_pause_reason"), b.uploadPauseReason},
                {QStringLiteral("downloads_paused_until"), isoTime(b.downloadPausedUntilMs)},
                {QStringLiteral("download_pause_reason"), b.downloadPauseReason}};
            out.append(QJsonObject{{QStringLiteral("name"), r.name},
                                   {QStringLiteral("kind"), r.kind},
                                   {QStringLiteral("settings"), r.settings},
                                   {QStringLiteral("quota_bytes"), r.quotaBytes},
                                   {QStringLiteral("stored_bytes"), stored.value(r.id)},
                                   {QStringLiteral("health"), r.health},
                                   {QStringLiteral("enabled"), r.enabled},
                                   {QStringLiteral("budget"), budget}});
        }
        console().printJson({{QStringLiteral("providers"), out}});
        finish(Success);
    }

    // Settings from the kind's options (strings as typed; Bool options are switches).
    QJsonObject settingsFromOptions(const QCommandLineParser& p)
    {
        QJsonObject settings;
        for (const ProviderField& f : m_kind->fields) {
            if (f.isSecret() || !p.isSet(optionNames(f).first()))
                continue;
            if (f.type == ProviderField::Type::Bool)
                settings.insert(f.key, true);
            else
                settings.insert(f.key, p.value(optionNames(f).first()));
        }
        return settings;
    }

    // The secrets for add (`required`) or update; false after finish().
    bool readSecrets(const QCommandLineParser& p, bool required, QJsonObject* secrets)
    {
        QString why;
        if (p.isSet(QStringLiteral("secret-stdin"))) {
            if (!m_kind->hasSecrets()) {
                console().error(QStringLiteral("A provider of kind “%1” has no secrets; leave out "
                                               "--secret-stdin")
                                    .arg(m_kind->id));
                finish(Usage);
                return false;
            }
            *secrets = secretinput::parse(*m_kind, secretinput::readAllStdin(), &why);
        } else if (!m_kind->hasSecrets() || !required) {
            return true; // update without --secret-stdin keeps the stored secrets
        } else if (secretinput::stdinIsTerminal()) {
            *secrets = secretinput::prompt(*m_kind, &why);
        } else {
            bool needed = false;
            for (const ProviderField& f : m_kind->fields)
                needed = needed || (f.isSecret() && f.required);
            if (!needed)
                return true;
            why = QStringLiteral(
                      "A provider of kind “%1” needs its secret, and standard input is not a "
                      "terminal to ask on: pass --secret-stdin and write it there "
                      "(key=value lines or one JSON object)")
                      .arg(m_kind->id);
        }
        if (!why.isEmpty()) {
            console().error(why);
            finish(Usage);
            return false;
        }
        return true;
    }

    bool quotaOption(const QCommandLineParser& p, qint64* quota)
    {
        if (!p.isSet(QStringLiteral("quota")))
            return true;
        const auto q = units::parseBytes(p.value(QStringLiteral("quota")));
        if (!q) {
            console().error(QStringLiteral("--quota takes a size such as 50G"));
            finish(Usage);
            return false;
        }
        *quota = *q;
        return true;
    }

    void add(Vault* vault, const QStringList& a, const QCommandLineParser& p)
    {
        ProviderSpec spec;
        spec.kind = m_kind->id;
        spec.name = a.at(2);
        spec.settings = settingsFromOptions(p);
        if (a.size() == 4) {
            const ProviderField* f = positionalField(*m_kind);
            if (!f || spec.settings.contains(f->key)) {
                console().error(QStringLiteral("usage: modelfloat-cli %1").arg(Syntax));
                return finish(Usage);
            }
            spec.settings.insert(f->key, a.at(3));
        }
        if (!quotaOption(p, &spec.quotaBytes))
            return;
        if (vault->registry().providerRows().providerByName(spec.name)) {
            console().error(QStringLiteral("A provider named “%1” already exists").arg(spec.name));
            return finish(AlreadyExists);
        }
        if (!readSecrets(p, true, &spec.secrets))
            return;
        runSetup(ProviderSetup::add(*vault, spec, this), [this, vault, spec](qint64 id) {
            const auto r = vault->registry().providerRows().provider(id);
            const QString where = r ? whereOf(m_factory, *r) : QString();
            console().print(QStringLiteral("Added provider “%1” (%2)%3")
                                .arg(spec.name, spec.kind,
                                     where.isEmpty() ? QString() : QStringLiteral(" at ") + where));
            console().printJson({{QStringLiteral("ok"), true},
                                 {QStringLiteral("name"), spec.name},
                                 {QStringLiteral("kind"), spec.kind}});
        });
    }

    void update(Vault* vault, const QString& name, const QCommandLineParser& p)
    {
        const auto record = vault->registry().providerRows().providerByName(name);
        if (!record || !m_kind) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        ProviderSpec spec;
        spec.name = record->name;
        spec.settings = record->settings;
        const QJsonObject changed = settingsFromOptions(p);
        for (auto it = changed.begin(); it != changed.end(); ++it)
            spec.settings.insert(it.key(), it.value());
        spec.quotaBytes = record->quotaBytes;
        if (!quotaOption(p, &spec.quotaBytes) || !readSecrets(p, false, &spec.secrets))
            return;
        runSetup(ProviderSetup::update(*vault, record->id, spec, this), [this, name](qint64) {
            console().print(QStringLiteral("Updated provider “%1”").arg(name));
            console().printJson({{QStringLiteral("ok"), true}, {QStringLiteral("name"), name}});
        });
    }

    // Signs a provider in again (a session the service ended, a changed password): its kind's
    // secrets are asked for, exchanged by its sign-in, and only the result is stored.
    void auth(Vault* vault, const QString& name, const QCommandLineParser& p)
    {
        const auto record = vault->registry().providerRows().providerByName(name);
        if (!record || !m_kind) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        if (!m_kind->signIn) {
            console().error(
                QStringLiteral("Provider “%1” (%2) does not sign in; change its secrets "
                               "with `modelfloat-cli provider update %1 "
                               "--secret-stdin`")
                    .arg(name, m_kind->id));
            return finish(Usage);
        }
        ProviderSpec spec;
        spec.name = record->name;
        spec.settings = record->settings;
        spec.quotaBytes = record->quotaBytes;
        if (!readSecrets(p, true, &spec.secrets))
            return;
        if (spec.secrets.isEmpty()) {
            console().error(QStringLiteral("Signing in to “%1” needs its secrets").arg(name));
            return finish(Usage);
        }
        runSetup(ProviderSetup::update(*vault, record->id, spec, this), [this, name](qint64) {
            console().print(QStringLiteral("Signed in to “%1”").arg(name));
            console().printJson({{QStringLiteral("ok"), true}, {QStringLiteral("name"), name}});
        });
    }

    void test(Vault* vault, const QString& name)
    {
        const auto record = vault->registry().providerRows().providerByName(name);
        if (!record) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        QString why;
        const std::shared_ptr<Provider> provider = vault->provider(record->id, &why);
        if (!provider) {
            console().error(why);
            return finish(Failed);
        }
        auto* probe = new ProviderProbe(provider.get(), this);
        connect(probe, &ProviderProbe::finished, this, [this, probe, name, vault, id = record->id] {
            const bool ok = probe->error().ok();
            vault->registry().providerRows().setProviderHealth(
                id, ProviderRecord::healthAfterTest(ok ? QString() : probe->error().message));
            if (!ok) {
                console().error(
                    QStringLiteral("Provider “%1”: %2").arg(name, probe->error().message));
            } else {
                console().print(
                    QStringLiteral("Provider “%1” works: write, read back, remove in "
                                   "%2 ms; %3 used, %4 available")
                        .arg(name)
                        .arg(probe->roundTripMs())
                        .arg(knownBytes(probe->usedBytes()), knownBytes(probe->availableBytes())));
            }
            console().printJson({{QStringLiteral("ok"), ok},
                                 {QStringLiteral("name"), name},
                                 {QStringLiteral("error"), probe->error().message},
                                 {QStringLiteral("used_bytes"), probe->usedBytes()},
                                 {QStringLiteral("available_bytes"), probe->availableBytes()}});
            finish(ok ? Success : Failed);
        });
        probe->start();
    }

    void interrupt() override
    {
        if (m_drain)
            m_drain->abort(); // its finished() ends the command; the drain resumes next time
        else
            finish(Interrupted);
    }

    // Copies its chunks elsewhere, then deletes them from it; with removeAfter, removes it once
    // it holds nothing. Interrupted or killed, the same command goes on where it stopped.
    void drain(Vault* vault, const QString& name, bool force, bool removeAfter)
    {
        const auto record = vault->registry().providerRows().providerByName(name);
        if (!record) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        DrainJob::Options options;
        options.force = force;
        options.removeAfter = removeAfter;
        m_drain = new DrainJob(vault, record->id, options, this);
        connect(m_drain, &DrainJob::warning, this,
                [this](const QString& w) { console().warning(w); });
        connect(m_drain, &DrainJob::finished, this, [this, name, removeAfter] {
            console().stopProgress();
            const Error& e = m_drain->error();
            const DrainJob::Report& r = m_drain->report();
            if (e.kind == Error::Kind::Cancelled) {
                console().error(QStringLiteral("Interrupted. Run the same command again to go "
                                               "on; the copies made are kept."));
                return finish(Interrupted);
            }
            const bool drained = e.ok() && !m_drain->degraded();
            console().printJson(
                {{QStringLiteral("ok"), drained},
                 {QStringLiteral("name"), name},
                 {QStringLiteral("copies_made"), r.copiesMade},
                 {QStringLiteral("bytes_copied"), r.bytesCopied},
                 {QStringLiteral("objects_deleted"), r.objectsDeleted},
                 {QStringLiteral("objects_left_shared"), r.objectsLeftShared},
                 {QStringLiteral("chunks_left"), r.chunksLeft + r.deletionsLeft},
                 {QStringLiteral("removed"), r.removed},
                 {QStringLiteral("error"), e.message},
                 {QStringLiteral("problems"), QJsonArray::fromStringList(r.problems)}});
            if (!e.ok()) {
                console().error(e.message);
                return finish(e.kind == Error::Kind::NotFound ? NotFound : Failed);
            }
            for (const QString& line : r.problems)
                console().print(QStringLiteral("PROBLEM  ") + line);
            console().print(QStringLiteral("Made %1 copies (%2) on other providers; deleted %3 "
                                           "objects from “%4”")
                                .arg(r.copiesMade)
                                .arg(units::formatBytes(r.bytesCopied))
                                .arg(r.objectsDeleted)
                                .arg(name));
            if (!drained)
                return finish(UnderReplicated);
            console().print(removeAfter ? QStringLiteral("Removed provider “%1”").arg(name)
                                        : QStringLiteral("Drained “%1”: it holds nothing of the "
                                                         "vault and takes no new chunks")
                                              .arg(name));
            finish(Success);
        });
        console().startProgress([this](qint64& done, qint64& total, QString& label) {
            const TransferProgress now = m_drain->progressNow();
            done = now.bytesDone;
            total = now.totalBytes;
            label.clear();
        });
        m_drain->start();
    }

    void remove(Vault* vault, const QString& name, bool force)
    {
        const auto record = vault->registry().providerRows().providerByName(name);
        if (!record) {
            console().error(QStringLiteral("There is no provider named “%1”").arg(name));
            return finish(NotFound);
        }
        // It holds chunks: they go elsewhere first (refused if that would leave chunks short of
        // copies), and it is removed once empty. --force forgets it at once.
        const ProviderRows::ProviderContents held =
            vault->registry().providerRows().providerContents(record->id);
        if (!force && (held.placements > 0 || held.deletions > 0))
            return drain(vault, name, false, true);
        runSetup(ProviderSetup::remove(*vault, record->id, force, this), [this, name](qint64) {
            console().print(QStringLiteral("Removed provider “%1”").arg(name));
            console().printJson({{QStringLiteral("ok"), true}, {QStringLiteral("name"), name}});
        });
    }

    void runSetup(ProviderSetup* setup, std::function<void(qint64 id)> onSuccess)
    {
        connect(setup, &ProviderSetup::finished, this,
                [this, setup, onSuccess = std::move(onSuccess)] {
                    setup->deleteLater();
                    if (!setup->warning().isEmpty())
                        console().warning(setup->warning());
                    if (setup->error()) {
                        console().error(setup->error().message);
                        return finish(exitCodeOf(setup->failure()));
                    }
                    onSuccess(setup->providerId());
                    finish(Success);
                });
        setup->start();
    }

    ProviderFactory m_factory; // the kinds this version knows, for options and help
    DrainJob* m_drain = nullptr;
    const ProviderKind* m_kind = nullptr;
};

} // namespace

Command* makeProviderCommand(Context& c)
{
    return new ProviderCommand(c);
}

} // namespace mf::cli
