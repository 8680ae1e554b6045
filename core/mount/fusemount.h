#pragma once

#include <QObject>
#include <QString>

#include <mutex>
#include <thread>

class QProcess;
struct fuse;

namespace mf {

class MountReads;

// The vault, read-only, as a FUSE 3 file system at a folder: the only code that links libfuse3.
// It uses libfuse's high-level (path) API: the tree is a handful of folders and files addressed by
// path (MountTree), which that API resolves for us, and every read is a request a FUSE thread
// answers by waiting on MountReads, which the multi-threaded loop allows many of at once; the
// low-level API's inodes and asynchronous replies would buy nothing here.
//
// The loop runs on its own threads (fuse_loop_mt); this object and MountReads stay on the engine
// thread, which never waits on a process: mounting (which may clear a killed mount with
// fusermount3, and runs fusermount3 itself for a user who is not root) is done on the loop's
// thread before the loop starts, and reported by mounted(). Mounted "ro": the kernel answers every
// write, create, rename or removal with EROFS before it reaches us. Contents never change under a
// path (a file is its chunks), so the kernel keeps pages cached across opens (kernel_cache) and
// mmap works as on any file.
class FuseMount final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FuseMount)

public:
    explicit FuseMount(MountReads* reads, QObject* parent = nullptr);
    ~FuseMount() override; // unmounts

    // Mounts at `directory` (which must exist) -> mounted(), queued, never inside mount(). A
    // mount there that a killed process left (its connection gone) is cleared first; a live one
    // is an error.
    void mount(const QString& directory);
    // Ends the mount: waits are ended (EIO), the folder is unmounted, the loop's threads end. A
    // mount still being made is waited for and undone; mounted() does not follow.
    void unmount();
    bool isMounted() const { return m_mounted; }

    // Whether `directory` is a ModelFloat mount now (live or left by a killed process).
    static bool isModelFloatMount(const QString& directory);
    static constexpr const char* FileSystemType = "fuse.modelfloat";

Q_SIGNALS:
    // mount() ended: mounted when `error` is empty.
    void mounted(const QString& error);
    // The loop ended because the folder was unmounted from outside (`unmount`, fusermount3 -u).
    void ended();

private:
    void onAttached(const QString& error);
    void onLoopEnded();

    MountReads* m_reads;
    std::thread m_thread; // mounts, then runs the loop
    QString m_directory;
    bool m_starting = false; // mount() called, mounted() not yet emitted
    bool m_mounted = false;
    std::mutex m_mutex;            // guards the two below, shared with m_thread
    struct fuse* m_fuse = nullptr; // set by m_thread once mounted
    bool m_stopping = false;       // unmount() began
};

// Unmounts the ModelFloat mount at a folder (the `unmount` command; the app's thread): a live
// one normally, one whose process was killed lazily. It never blocks its thread: as root,
// umount2 answers at once; otherwise fusermount3 (setuid) runs and its end is awaited by
// signal. Ends with exactly one finished(), queued, never inside start().
class MountDetach final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MountDetach)

public:
    explicit MountDetach(const QString& directory, QObject* parent = nullptr);
    ~MountDetach() override;

    void start();
    bool ok() const { return m_error.isEmpty(); }
    // Why it failed (empty when it succeeded).
    const QString& error() const { return m_error; }
    // The folder held no ModelFloat mount (nothing was done).
    bool notAMount() const { return m_notAMount; }

Q_SIGNALS:
    void finished();

private:
    void end(const QString& error);

    QString m_directory;
    QProcess* m_process = nullptr;
    QString m_error;
    bool m_notAMount = false;
    bool m_started = false;
};

} // namespace mf
