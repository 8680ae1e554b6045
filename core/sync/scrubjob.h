#pragma once

#include "registry/registry.h"
#include "transfer/transferjob.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>

namespace mf {

class Vault;
class ProviderJob;
class HashingChunkWriter;

// Checks the stored copies a little at a time, so that a copy a provider lost or damaged is found
// before it is needed (git-annex's incremental fsck, restic's check --read-data-subset). Two
// passes: Check asks each provider whether the object is there with the right size (cheap: one
// stat), Read reads it back and hashes it against its CID. A copy is due when its pass has not
// looked at it for `intervalSecs`; each copy's time is stamped as it is checked, so a scrub
// stopped anywhere goes on next time where it stopped, and one run after another walks the vault
// once per interval. Starts are paced to `rate` (objects per second for Check, bytes per second
// for Read) so it never hogs the network or the disk.
//
// What it finds bad is marked missing or corrupt, the models using it become degraded, and
// repair (the scheduler's, or `modelfloat-cli repair`) makes the copies again. Scrub itself
// never writes to a provider.
class ScrubJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScrubJob)

public:
    // Before the vault lets a local copy go on the strength of its stored copies (offload, and
    // freeing the apps' own copies of a model), those not looked at for this long are checked
    // again: the one rule of how fresh "they are there" must be.
    static constexpr qint64 FreshSecs = 24 * 3600;

    struct Options
    {
        ScrubRows::ScrubPass pass = ScrubRows::ScrubPass::Check;
        // Copies not looked at by this pass for this long are due; 0: every copy.
        qint64 intervalSecs = 0;
        // At most this many copies in this run (-1: all that are due): a slice of the work.
        int limit = -1;
        // Check: objects per second; Read: bytes per second. 0: as fast as it goes.
        double rate = 0;
        int parallel = 4;
        // Which copies (by default: every copy).
        ScrubRows::ScrubScope scope;
    };

    struct Report
    {
        int due = 0; // copies due when it started
        int checked = 0;
        int good = 0;
        int missing = 0;
        int corrupt = 0;
        int unreachable = 0; // the provider could not say: left as it was, due again
        // Of the missing: on a provider silent for longer than the vault allows
        // (ProviderRows::providerLost()), counted missing without an answer.
        int lostWithProvider = 0;
        QStringList lostProviders; // what is said of each such provider
        // Copies recorded missing on a provider that answered again in this run (counted lost
        // while it was silent), asked again and found there: they count again.
        int foundAgain = 0;
        // Due for the full pass but on a provider that serves no downloads for now (a transfer
        // quota, ProviderRows::providerBudget()): not read, due once the pause is over.
        int paused = 0;
        qint64 bytesRead = 0;
        QStringList problems;
        int bad() const { return missing + corrupt; }
    };

    // The vault's schedule for a pass (settings "scrub.check_interval" and "scrub.read_interval"
    // in seconds, "scrub.check_rate" in objects and "scrub.read_rate" in bytes per second):
    // by default every copy is checked daily at 20 objects/s and read back monthly at 4 MiB/s.
    static Options scheduled(Registry& registry, ScrubRows::ScrubPass pass);
    static QStringList settingKeys();

    ScrubJob(Vault* vault, Options options, QObject* parent = nullptr);
    ~ScrubJob() override;

    TransferProgress progressNow() const override;
    const Report& report() const { return m_report; }
    const Options& options() const { return m_options; }
    // Copies this pass had not looked at since then were due (seconds since the epoch).
    qint64 dueBefore() const { return m_dueBefore; }

private:
    struct Running
    {
        ScrubRows::ScrubItem item;
        std::unique_ptr<HashingChunkWriter> writer; // Read only
        bool again = false; // a copy recorded missing, asked again (askAgain())
    };
    void startMore();
    void onChecked(ProviderJob* job);
    // When the next start is allowed by the rate, in ms from the start; 0 without a rate.
    qint64 nextStartMs() const;
    void problem(const QString& text);
    // A copy whose provider did not answer: records the silence, and says whether the provider
    // has been silent so long that its copies count as lost.
    bool silentTooLong(qint64 providerId);
    void answered(qint64 providerId);
    void countLost(const ScrubRows::ScrubItem& item);
    void probeSilentProviders();
    // The providers heard again in this run after a silence: their copies recorded missing are
    // asked again (after the due copies), and those found count again. False when none.
    bool askAgain();
    void finishAll();
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override;

    Vault* m_vault;
    Options m_options;
    qint64 m_dueBefore = 0;
    std::deque<ScrubRows::ScrubItem> m_batch;
    QString m_lastCid;
    qint64 m_lastProvider = 0;
    bool m_exhausted = false;
    int m_started = 0;      // copies started in this run
    double m_costSoFar = 0; // objects or bytes started, for the rate
    QElapsedTimer m_clock;
    QTimer m_paceTimer;
    std::map<ProviderJob*, Running> m_running;
    QSet<QString> m_badCids;
    QSet<qint64> m_pausedProviders;           // refused downloads in this run: asked no more
    QSet<qint64> m_answered;                  // recorded as answering in this run
    QHash<qint64, bool> m_silent;             // recorded as silent in this run: lost or not
    QSet<qint64> m_wereSilent;                // recorded silent when the run began
    QSet<qint64> m_heardAgain;                // of them, or of m_silent, answered in this run
    std::deque<ScrubRows::ScrubItem> m_again; // copies recorded missing, to ask again
    bool m_askedAgain = false;                // askAgain() ran
    QSet<QString> m_foundAgainCids;
    QSet<QPair<QString, qint64>> m_countedLost; // copies (CID, provider) countLost() marked
    bool m_probed = false;                      // probeSilentProviders() ran
    int m_probes = 0;                           // its tests under way
    qint64 m_totalBytes = 0;
    qint64 m_bytesDone = 0;
    int m_copiesDone = 0;
    Report m_report;
};

} // namespace mf
