#include "crashvaults.h"

#include "chunking/redundancyscheme.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <csignal>

namespace mf::test {

namespace {

// "sigv4-proxy: PUT /mf-test/modelfloat/<vault>/chunks/<cid> -> 200 key=<access key>"
const QRegularExpression& objectRequest()
{
    static const QRegularExpression re(QStringLiteral(
        "^sigv4-proxy: (PUT|HEAD|DELETE) \\S*/chunks/([a-z0-9]+)\\S* -> (\\d+).* key=(\\S+)$"));
    return re;
}

// The objects a model's chunks are stored as, per row of `files f` and `file_chunks fc` in the
// query around it: the chunk itself, or its shards.
const QString StoredAsChunk = QStringLiteral(
    "(p.cid = fc.cid OR p.cid IN (SELECT shard_cid FROM chunk_shards WHERE chunk_cid = fc.cid))");

} // namespace

CrashVaults::CrashVaults(S3Peer& s3)
    : m_s3(s3)
{
    m_sides[0] = {QStringLiteral("a"), m_box.vault(), QLatin1String(S3Peer::AccessKey)};
    m_sides[1] = {QStringLiteral("b"), m_box.path(QStringLiteral("vault-b")),
                  QLatin1String(S3Peer::OtherAccessKey)};
}

QByteArray CrashVaults::setUp(const QString& schemeText)
{
    const std::optional<RedundancyScheme> scheme = RedundancyScheme::parse(schemeText);
    if (!m_box.ok() || !scheme)
        return "no sandbox, or not a scheme: " + schemeText.toUtf8();
    QByteArray why;
    for (int side : {0, 1}) {
        // The S3 secret goes to the vault's opt-in plaintext store: no keychain is needed here.
        CliResult r =
            cli(side, {QStringLiteral("config"), QStringLiteral("credentials"),
                       QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
        if (r.code != 0)
            return r.describe();
        // Leases live seconds (docs/catalog.md: "Tests set it to seconds"): a process killed
        // here leaves its lease on the providers, and the other vault's floats and collections
        // wait for it to run out (its own vault's processes know it is dead). At the default
        // ten minutes, one kill would stop the rounds.
        if (!setRegistrySetting(side, QStringLiteral("catalog.lease_secs"),
                                QString::number(LeaseSecs)))
            return "cannot set catalog.lease_secs";
        // Deletions happen in the rounds (with no grace period, which would keep every chunk
        // for a day): the races with them are what the rounds look for.
        r = cli(side, {QStringLiteral("config"), QStringLiteral("collect-grace"),
                       QStringLiteral("0"), QStringLiteral("--expert")});
        if (r.code != 0)
            return r.describe();
    }
    // Two computers of one user: B gets A's recovery key, as `vault key import` gives it.
    CliResult key = cli(0, {QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("show"),
                            QStringLiteral("--json")});
    if (key.code != 0)
        return key.describe();
    key = cli(1, {QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("import")},
              key.json().value(QStringLiteral("recovery_key")).toString().toUtf8());
    if (key.code != 0)
        return key.describe();
    if (!addS3(0, {}, &why))
        return why;
    // B shares A's stores: A's local store (B's own, empty, is removed) and A's prefix on S3.
    const QStringList id = registryColumn(
        0, QStringLiteral("SELECT value FROM vault_settings WHERE key = 'vault_id'"));
    if (id.size() != 1)
        return "vault A has no id";
    if (!addS3(1, QStringLiteral("modelfloat/%1/").arg(id.first()), &why))
        return why;
    const CliResult removed =
        cli(1, {QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("local")});
    if (removed.code != 0)
        return removed.describe();
    m_sharedFolders = QStringList{m_box.localStore()};
    if (!addLocal(1, QStringLiteral("shared"), m_box.localStore(), &why))
        return why;
    // Under shards, a provider for each shard of a chunk: local store and S3, and these.
    for (int i = 1; i <= scheme->providersNeeded() - 2; ++i) {
        const QString folder = m_box.path(QStringLiteral("store%1").arg(i));
        m_sharedFolders << folder;
        for (int side : {0, 1})
            if (!addLocal(side, QStringLiteral("store%1").arg(i), folder, &why))
                return why;
    }
    for (int side : {0, 1}) {
        const CliResult r =
            cli(side, QStringList{QStringLiteral("config"), QStringLiteral("redundancy")} +
                          schemeText.split(QLatin1Char(' ')));
        if (r.code != 0)
            return r.describe();
    }
    return {};
}

bool CrashVaults::addS3(int side, const QString& prefix, QByteArray* why)
{
    const bool other = m_sides[side].accessKey != QLatin1String(S3Peer::AccessKey);
    QStringList args{QStringLiteral("provider"),
                     QStringLiteral("add"),
                     QStringLiteral("s3"),
                     QStringLiteral("cloud"),
                     QStringLiteral("--endpoint"),
                     m_s3.endpoint(),
                     QStringLiteral("--bucket"),
                     QLatin1String(S3Peer::Bucket),
                     QStringLiteral("--access-key-id"),
                     m_sides[side].accessKey,
                     QStringLiteral("--secret-stdin")};
    if (!prefix.isEmpty())
        args << QStringLiteral("--prefix") << prefix;
    const CliResult r =
        cli(side, args,
            "secretAccessKey=" + QByteArray(other ? S3Peer::OtherSecret : S3Peer::Secret) + "\n");
    *why = r.describe();
    return r.code == 0;
}

bool CrashVaults::addLocal(int side, const QString& name, const QString& folder, QByteArray* why)
{
    const CliResult r = cli(side, {QStringLiteral("provider"), QStringLiteral("add"),
                                   QStringLiteral("local"), name, folder});
    *why = r.describe();
    return r.code == 0;
}

QProcessEnvironment CrashVaults::environment(int side) const
{
    QProcessEnvironment env = m_box.environment();
    env.insert(QStringLiteral("MODELFLOAT_VAULT"), m_sides[side].dir);
    return env;
}

CliResult CrashVaults::cli(int side, const QStringList& args, const QByteArray& input)
{
    CliResult r;
    QProcess p;
    p.setProcessEnvironment(environment(side));
    p.setWorkingDirectory(m_box.root());
    p.start(CliSandbox::cli(), args);
    p.write(input);
    p.closeWriteChannel();
    const bool ended =
        QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, ProcessTimeoutMs);
    if (!ended) {
        p.kill();
        p.waitForFinished();
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    if (!ended)
        r.err.prepend(QByteArray("(hung: killed after ") +
                      QByteArray::number(ProcessTimeoutMs / 1000) + " s)\n");
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

QStringList CrashVaults::floatArgs(const QString& name, const QString& source)
{
    m_sourceOf.insert(name, source);
    return {QStringLiteral("float"),  source,
            QStringLiteral("--name"), name,
            QStringLiteral("--json"), QStringLiteral("--chunker"),
            QStringLiteral("cdc"),    QStringLiteral("--chunk-size"),
            QStringLiteral("256K")};
}

void CrashVaults::runRound(std::vector<CrashActor>& actors)
{
    for (int phase : {0, 1}) {
        QElapsedTimer clock;
        clock.start();
        for (CrashActor& a : actors) {
            if (a.phase != phase)
                continue;
            a.process = std::make_unique<QProcess>();
            a.process->setProcessEnvironment(environment(a.side));
            a.process->setWorkingDirectory(m_box.root());
            a.process->start(CliSandbox::cli(), a.args);
            a.process->closeWriteChannel();
        }
        const auto allEnded = [&actors, phase] {
            for (const CrashActor& a : actors)
                if (a.phase == phase && a.process->state() != QProcess::NotRunning)
                    return false;
            return true;
        };
        while (!allEnded() && clock.elapsed() < ProcessTimeoutMs) {
            for (CrashActor& a : actors) {
                if (a.phase == phase && a.killAtMs >= 0 && !a.killed &&
                    clock.elapsed() >= a.killAtMs && a.process->state() == QProcess::Running) {
                    ::kill(pid_t(a.process->processId()), SIGKILL);
                    a.killed = true;
                }
            }
            QTest::qWait(5);
        }
        for (CrashActor& a : actors) {
            if (a.phase == phase && a.process->state() != QProcess::NotRunning) {
                a.what += QStringLiteral(" (hung: still running after %1 s)")
                              .arg(ProcessTimeoutMs / 1000);
                a.process->kill();
                a.process->waitForFinished();
            }
        }
    }
}

bool CrashVaults::setRegistrySetting(int side, const QString& key, const QString& value)
{
    bool ok = false;
    const QString connection = QStringLiteral("crash-settings");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(m_sides[side].dir + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(
                QStringLiteral("INSERT OR REPLACE INTO vault_settings (key, value) VALUES (?, ?)"));
            q.addBindValue(key);
            q.addBindValue(value);
            ok = q.exec();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return ok;
}

QStringList CrashVaults::registryColumn(int side, const QString& sql)
{
    QStringList out;
    const QString connection = QStringLiteral("crash-registry");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(m_sides[side].dir + QStringLiteral("/registry.sqlite"));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(sql))
                while (q.next())
                    out << q.value(0).toString();
            else
                out << QStringLiteral("query failed: ") + sql;
        } else {
            out << QStringLiteral("cannot open the registry");
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return out;
}

QStringList CrashVaults::placementsByModel(int side)
{
    // "a-m1:complete:cloud=37/41": 37 objects of the model's 41 chunks (or of their shards) on
    // the provider.
    return registryColumn(
        side,
        QStringLiteral(
            "SELECT m.name || ':' || m.state || ':' || pr.name || '=' || COUNT(DISTINCT p.cid) || "
            "'/' || (SELECT COUNT(DISTINCT fc2.cid) FROM files f2 JOIN file_chunks fc2 ON "
            "fc2.file_id = f2.id WHERE f2.model_id = m.id) FROM models m JOIN files f ON "
            "f.model_id = m.id JOIN file_chunks fc ON fc.file_id = f.id JOIN placements p ON %1 "
            "AND p.state = 'stored' JOIN providers pr ON pr.id = p.provider_id GROUP BY m.id, "
            "pr.id")
            .arg(StoredAsChunk));
}

QStringList CrashVaults::chunksShortOfProviders(int side, const QString& prefix)
{
    // "chunk|k|m|idx|provider" for every stored placement of a shard of a complete model's chunk.
    const QStringList rows = registryColumn(
        side, QStringLiteral(
                  "SELECT DISTINCT cs.chunk_cid || '|' || cs.k || '|' || cs.m || '|' || cs.idx || "
                  "'|' || pr.name FROM chunk_shards cs JOIN placements p ON p.cid = cs.shard_cid "
                  "AND p.state = 'stored' JOIN providers pr ON pr.id = p.provider_id WHERE "
                  "cs.chunk_cid IN (SELECT fc.cid FROM file_chunks fc JOIN files f ON f.id = "
                  "fc.file_id JOIN models m ON m.id = f.model_id WHERE m.state = 'complete' AND "
                  "m.name LIKE '%1%')")
                  .arg(prefix));
    struct Layout
    {
        int k = 0;
        int m = 0;
        QHash<int, QSet<QString>> holders; // shard index: providers with a stored copy
    };
    QHash<QString, Layout> chunks;
    QSet<QString> providers;
    for (const QString& row : rows) {
        const QStringList f = row.split(QLatin1Char('|'));
        if (f.size() != 5)
            return {row};
        Layout& l = chunks[f.at(0) + QLatin1Char('/') + f.at(1) + QLatin1Char('+') + f.at(2)];
        l.k = f.at(1).toInt();
        l.m = f.at(2).toInt();
        l.holders[f.at(3).toInt()].insert(f.at(4));
        providers.insert(f.at(4));
    }
    const QStringList all(providers.begin(), providers.end());
    QStringList out;
    for (auto it = chunks.cbegin(); it != chunks.cend(); ++it) {
        const Layout& l = it.value();
        // Every set of M providers gone (fewer when there are fewer providers): K shards must
        // still have a copy elsewhere.
        bool safe = true;
        for (quint32 gone = 0; safe && gone < (1u << all.size()); ++gone) {
            if (int(qPopulationCount(gone)) != qMin(l.m, int(all.size())))
                continue;
            int readable = 0;
            for (const QSet<QString>& holders : l.holders) {
                bool elsewhere = false;
                for (const QString& p : holders)
                    elsewhere = elsewhere || !(gone & (1u << all.indexOf(p)));
                readable += elsewhere ? 1 : 0;
            }
            safe = readable >= l.k;
        }
        if (safe)
            continue;
        QStringList shards;
        for (auto h = l.holders.cbegin(); h != l.holders.cend(); ++h) {
            QStringList names(h.value().begin(), h.value().end());
            names.sort();
            shards << QString::number(h.key()) + QLatin1Char('@') + names.join(QLatin1Char('+'));
        }
        shards.sort();
        out << it.key() + QLatin1Char(' ') + shards.join(QLatin1Char(','));
    }
    return out;
}

QString CrashVaults::integrityProblem(int side)
{
    const QStringList result = registryColumn(side, QStringLiteral("PRAGMA integrity_check"));
    if (result == QStringList{QStringLiteral("ok")})
        return {};
    return QStringLiteral("PRAGMA integrity_check of vault %1 says ").arg(m_sides[side].tag) +
           result.join(QLatin1Char('\n'));
}

QSet<QString> CrashVaults::protectedObjects(int side, const QStringList& freed)
{
    QStringList quoted;
    for (const QString& name : freed)
        quoted << QLatin1Char('\'') + name + QLatin1Char('\'');
    const QStringList cids = registryColumn(
        side, QStringLiteral("SELECT DISTINCT p.cid FROM placements p JOIN providers pr ON pr.id = "
                             "p.provider_id JOIN file_chunks fc ON %1 JOIN files f ON f.id = "
                             "fc.file_id JOIN models m ON m.id = f.model_id WHERE pr.kind = 's3' "
                             "AND p.state = 'stored' AND m.name NOT IN (%2)")
                  .arg(StoredAsChunk, quoted.join(QLatin1Char(','))));
    return QSet<QString>(cids.begin(), cids.end());
}

QStringList CrashVaults::resends(const QSet<QString> (&protectedCids)[2], const bool (&sending)[2])
{
    QStringList out;
    const QStringList lines = m_s3.proxyLog().split(QLatin1Char('\n'));
    m_s3.clearLog();
    for (const QString& line : lines) {
        const QRegularExpressionMatch m = objectRequest().match(line);
        if (!m.hasMatch())
            continue;
        const QString cid = m.captured(2);
        if (m.captured(1) == QLatin1String("DELETE")) {
            m_onS3.insert(cid, false);
            continue;
        }
        const int side = m.captured(4) == m_sides[1].accessKey ? 1 : 0;
        if (m.captured(1) == QLatin1String("HEAD")) {
            if (m.captured(3) == QLatin1String("404"))
                m_foundGone[side].insert(cid);
            continue;
        }
        const bool there = m_onS3.value(cid, true) && !m_foundGone[side].contains(cid);
        if (m.captured(3).startsWith(QLatin1Char('2'))) {
            ++m_chunkPuts;
            m_otherPuts += side;
            m_onS3.insert(cid, true);
            m_foundGone[side].remove(cid);
        }
        if (there && sending[side] && protectedCids[side].contains(cid))
            out << m_sides[side].tag + QStringLiteral(": PUT ") + cid;
    }
    return out;
}

void CrashVaults::digestLog()
{
    const QSet<QString> none[2];
    const bool neither[2] = {false, false};
    (void)resends(none, neither);
}

bool CrashVaults::restoresBitExact(int side, const QString& name, QByteArray* why)
{
    // Only the test's own models may exist: anything else in the registry is a model no
    // process floated (a resurrected removal, a catalog entry taken in under another name).
    if (!m_sourceOf.contains(name)) {
        *why = "vault " + m_sides[side].tag.toUtf8() +
               " has a complete model nobody floated under that name: " + name.toUtf8() +
               " (models: " +
               registryColumn(side, QStringLiteral("SELECT name || ':' || state FROM models"))
                   .join(QLatin1Char(' '))
                   .toUtf8() +
               ")";
        return false;
    }
    const QString out = m_box.path(QStringLiteral("out/check-") + name);
    QDir(out).removeRecursively();
    const CliResult r = cli(side, {QStringLiteral("restore"), name, QStringLiteral("--to"), out,
                                   QStringLiteral("--quiet")});
    const QString source = m_sourceOf.value(name);
    const QString restored = out + QLatin1Char('/') + QFileInfo(source).fileName();
    bool same = r.code == 0;
    if (!same) {
        // The error first: with two providers gone every shard read there warns, and a long
        // message is cut (the reason last stop's failure could not be read).
        QByteArrayList errors;
        int warnings = 0;
        for (const QByteArray& line : r.err.split('\n')) {
            if (line.startsWith("warning: "))
                ++warnings;
            else if (!line.trimmed().isEmpty())
                errors.append(line);
        }
        *why = "restore of " + name.toUtf8() + " on vault " + m_sides[side].tag.toUtf8() +
               " failed, exit " + QByteArray::number(r.code) + ": " + errors.join(" / ") + " (" +
               QByteArray::number(warnings) + " warnings)";
    } else if (opensslSha256Hex(restored) != opensslSha256Hex(source)) {
        same = false;
        *why = name.toUtf8() + " restored with other bytes than " + source.toUtf8();
    }
    QDir(out).removeRecursively();
    return same;
}

} // namespace mf::test
