#pragma once

// The two vaults ("computers") of the randomized crash test (tst_cli_crash.cpp says what it
// checks and why), the modelfloat-cli processes it runs on them, and what the S3 proxy's log says
// they sent.
//
// Both vaults keep their chunks on the same providers: vault A's local store (a folder that vault
// B has as a local provider too) and a real S3 server (s3rver behind the SigV4-checking proxy,
// tests/s3peer.h), where B uses A's key prefix. At `shards K+M` both also share K+M−2 more local
// folders, so that each chunk's K+M shards have a provider each.

#include "clisandbox.h"
#include "s3peer.h"

#include <QHash>
#include <QProcess>
#include <QSet>
#include <QStringList>

#include <memory>
#include <vector>

namespace mf::test {

// One vault of the test, a "computer".
struct CrashSide
{
    QString tag;       // "a", "b": its models are "a-m0", …
    QString dir;       // its vault folder
    QString accessKey; // its S3 key, which the proxy's log names
};

// One modelfloat-cli process of a round, and what happened to it.
struct CrashActor
{
    int side = 0;
    QString what;    // "a: float a-m1", for messages
    QString floated; // a float: the model it makes
    QString removed; // an rm: the model it removes
    QStringList args;
    QString restoreDir;  // a restore: where to, and
    QString restoreFrom; // the source it must equal
    std::unique_ptr<QProcess> process;
    int phase = 0;      // phase 1 starts once every process of phase 0 has ended
    double killAt = -1; // when to kill it, as a fraction of the kill window; < 0: left alone
    qint64 killAtMs = -1;
    bool killed = false;
};

class CrashVaults
{
public:
    // A process still running after this long is hung, which is a defect of its own: the round
    // stops it and fails naming it, well before QtTest's watchdog would end the whole test
    // without saying which command hung.
    static constexpr int ProcessTimeoutMs = 120000;
    // Leases live seconds here (catalog.lease_secs), so that a process killed in one vault holds
    // the other vault's floats and collections back for seconds, not the default ten minutes.
    static constexpr int LeaseSecs = 6;

    explicit CrashVaults(S3Peer& s3);

    // Sets both vaults up under `scheme` ("copies 2", "shards 4+2"): credentials in the vault's
    // plaintext store, short leases, no collection grace, B with A's recovery key, and the shared
    // providers. Empty when that worked, else what failed.
    QByteArray setUp(const QString& scheme);

    CliSandbox& box() { return m_box; }
    const CrashSide& side(int side) const { return m_sides[side]; }
    // The folders of the local providers both vaults share (A's local store first); the S3
    // server, provider "cloud" of both, is the other one.
    const QStringList& sharedFolders() const { return m_sharedFolders; }

    QProcessEnvironment environment(int side) const;
    // Runs a command to its end through the event loop (a run that talks to S3 must not block
    // the peers' pipes), killing it as hung after ProcessTimeoutMs.
    CliResult cli(int side, const QStringList& args, const QByteArray& input = {});
    // `float` of `source` as `name`, in small chunks so that files of a few MiB have dozens; the
    // source is remembered for restoresBitExact().
    QStringList floatArgs(const QString& name, const QString& source);
    // Runs the actors to their ends, killing each at its time; the event loop turns meanwhile.
    void runRound(std::vector<CrashActor>& actors);

    // Sets a vault setting the CLI has no command for, straight in its registry.
    bool setRegistrySetting(int side, const QString& key, const QString& value);
    // Rows of a query on a vault's registry, first column as text.
    QStringList registryColumn(int side, const QString& sql);
    // For failure messages: each model's state and its stored objects per provider.
    QStringList placementsByModel(int side);
    // Chunks of the vault's complete models (those named `prefix`…, when given) whose stored
    // shards, as its registry places them, would not survive the loss of some M providers (two
    // shards whose only copies are on one provider, or a shard not stored): each with its
    // shards' providers, "idx@provider,…". A chunk kept as K+M is only safe when its shards can
    // each be read from a provider of their own.
    QStringList chunksShortOfProviders(int side, const QString& prefix = {});
    // Empty when SQLite's integrity check passes on the vault's registry.
    QString integrityProblem(int side);

    // Objects (chunks or their shards) stored on S3 in the vault's registry and used by a model
    // not named in `freed`.
    QSet<QString> protectedObjects(int side, const QStringList& freed);
    // Every PUT of an object protected for the vault that sent it, in the proxy's log since the
    // last call, while the log shows the object on S3 (not deleted since its last put).
    // `sending`: which vaults floated in the round. A PUT the proxy logs for a vault that did
    // not is one of an earlier round's killed float, which the proxy finished after that
    // round's check read the log: counted, not judged against this round's protected objects.
    QStringList resends(const QSet<QString> (&protectedCids)[2], const bool (&sending)[2]);
    // Reads the log as far as it goes, for the objects it puts and deletes, checking nothing.
    void digestLog();
    int chunkPuts() const { return m_chunkPuts; }
    int otherPuts() const { return m_otherPuts; }

    // Whether `restore name` on the vault gives the bytes of the source it was floated from.
    bool restoresBitExact(int side, const QString& name, QByteArray* why);

private:
    bool addS3(int side, const QString& prefix, QByteArray* why);
    bool addLocal(int side, const QString& name, const QString& folder, QByteArray* why);

    S3Peer& m_s3;
    CliSandbox m_box;
    CrashSide m_sides[2];
    QStringList m_sharedFolders;
    QHash<QString, QString> m_sourceOf; // every model name a test process floated: its source
    QHash<QString, bool> m_onS3;        // objects the log saw: put (true) or deleted (false) last
    // Per vault, objects its HEAD found gone since its last PUT of them: a PUT of such an object
    // is not sent twice, though the other vault may have put it in between (two floats that
    // both looked after a deletion and both sent it).
    QSet<QString> m_foundGone[2];
    int m_chunkPuts = 0; // PUTs of chunks or shards the proxy logged (that the check sees any)
    int m_otherPuts = 0; // of them, those of vault B (that the log tells the two apart)
};

} // namespace mf::test
