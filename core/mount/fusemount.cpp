#define FUSE_USE_VERSION 312
#include "fusemount.h"

#include "mountreads.h"

#include <QFile>
#include <QProcess>
#include <QStringList>

#include <fuse.h>

#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace mf {

namespace {

MountReads* readsOf()
{
    return static_cast<MountReads*>(fuse_get_context()->private_data);
}

void fillStat(const MountTree::Node& node, struct stat* st)
{
    std::memset(st, 0, sizeof *st);
    st->st_uid = ::getuid();
    st->st_gid = ::getgid();
    st->st_mtim.tv_sec = time_t(node.mtimeMs / 1000);
    st->st_mtim.tv_nsec = long(node.mtimeMs % 1000) * 1000000;
    st->st_ctim = st->st_mtim;
    st->st_atim = st->st_mtim;
    if (node.directory) {
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_size = node.size;
        st->st_blocks = (node.size + 511) / 512;
    }
    st->st_blksize = 128 * 1024;
}

void* onInit(struct fuse_conn_info* conn, struct fuse_config* cfg)
{
    // The kernel keeps a file's pages across opens while its size and time stay the same
    // (auto_cache): a file's bytes never change, but a model removed and floated again under the
    // same name is another file at the same path, with another time. Names come and go with
    // models, so they are looked up again after a second, and a missing name at once.
    cfg->auto_cache = 1;
    cfg->entry_timeout = 1;
    cfg->attr_timeout = 1;
    cfg->negative_timeout = 0;
    cfg->use_ino = 0;
    conn->max_readahead = 1 << 20;
    return fuse_get_context()->private_data;
}

int onGetattr(const char* path, struct stat* st, struct fuse_file_info*)
{
    const auto tree = readsOf()->tree();
    const MountTree::Node* node = tree->find(path);
    if (!node)
        return -ENOENT;
    fillStat(*node, st);
    return 0;
}

int onReaddir(const char* path, void* buffer, fuse_fill_dir_t fill, off_t, struct fuse_file_info*,
              enum fuse_readdir_flags)
{
    // Listing the top folder looks at the registry again: a model floated or removed by any
    // process since shows.
    if (std::strcmp(path, "/") == 0)
        readsOf()->refresh();
    const auto tree = readsOf()->tree();
    const MountTree::Node* node = tree->find(path);
    if (!node)
        return -ENOENT;
    if (!node->directory)
        return -ENOTDIR;
    fill(buffer, ".", nullptr, 0, fuse_fill_dir_flags(0));
    fill(buffer, "..", nullptr, 0, fuse_fill_dir_flags(0));
    for (const std::string& name : node->children)
        if (fill(buffer, name.c_str(), nullptr, 0, fuse_fill_dir_flags(0)) != 0)
            break;
    return 0;
}

int onOpen(const char* path, struct fuse_file_info* fi)
{
    if ((fi->flags & O_ACCMODE) != O_RDONLY)
        return -EROFS;
    const auto tree = readsOf()->tree();
    const MountTree::Node* node = tree->find(path);
    if (!node)
        return -ENOENT;
    if (node->directory)
        return -EISDIR;
    int error = 0;
    MountReads::File* file = readsOf()->open(node->fileId, node->size, &error);
    if (!file)
        return -error;
    fi->fh = reinterpret_cast<uint64_t>(file); // keep_cache: auto_cache decides
    return 0;
}

int onRead(const char*, char* buffer, size_t size, off_t offset, struct fuse_file_info* fi)
{
    auto* file = reinterpret_cast<MountReads::File*>(fi->fh);
    const qint64 n = readsOf()->read(*file, buffer, qint64(size), qint64(offset));
    return int(n);
}

int onRelease(const char*, struct fuse_file_info* fi)
{
    readsOf()->close(reinterpret_cast<MountReads::File*>(fi->fh));
    return 0;
}

int onStatfs(const char*, struct statvfs* st)
{
    std::memset(st, 0, sizeof *st);
    st->f_bsize = 4096;
    st->f_frsize = 4096;
    st->f_namemax = 255;
    return 0;
}

const fuse_operations& operations()
{
    static const fuse_operations ops = [] {
        fuse_operations o{};
        o.init = onInit;
        o.getattr = onGetattr;
        o.readdir = onReaddir;
        o.open = onOpen;
        o.read = onRead;
        o.release = onRelease;
        o.statfs = onStatfs;
        return o;
    }();
    return ops;
}

// /proc/self/mountinfo writes a space, tab, newline or backslash of a path as \ooo.
QString unescapeMountPath(const QByteArray& field)
{
    QByteArray out;
    for (int i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            bool ok = false;
            const int c = field.mid(i + 1, 3).toInt(&ok, 8);
            if (ok) {
                out += char(c);
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return QFile::decodeName(out);
}

QString canonical(const QString& directory)
{
    // Not QFileInfo::canonicalFilePath(): it stats the folder, which hangs or fails on a mount
    // whose process is gone. realpath() of the parent, then the name.
    const QByteArray native = QFile::encodeName(directory);
    QByteArray copy = native;
    while (copy.size() > 1 && copy.endsWith('/'))
        copy.chop(1);
    const int slash = copy.lastIndexOf('/');
    const QByteArray parent = slash < 0    ? QByteArray(".")
                              : slash == 0 ? QByteArray("/")
                                           : copy.left(slash);
    const QByteArray name = copy.mid(slash + 1);
    char resolved[PATH_MAX];
    if (!::realpath(parent.constData(), resolved))
        return directory;
    QByteArray full(resolved);
    if (!full.endsWith('/'))
        full += '/';
    return QFile::decodeName(full + name);
}

// The first step of detaching the mount at `directory`: umount2, which only root may call.
enum class Umount { Done, Failed, NotRoot };
Umount umountAsRoot(const QString& directory, bool lazy, QString* error)
{
    const QByteArray native = QFile::encodeName(directory);
    if (::umount2(native.constData(), lazy ? MNT_DETACH : 0) == 0)
        return Umount::Done;
    const int umountErrno = errno;
    if (umountErrno == EBUSY) {
        *error = QStringLiteral("Cannot unmount “%1”: a program still uses a file or folder "
                                "there; close it, or stop the mount itself (Ctrl-C), which ends "
                                "such reads")
                     .arg(directory);
        return Umount::Failed;
    }
    if (umountErrno != EPERM) {
        *error = QStringLiteral("Cannot unmount “%1”: %2")
                     .arg(directory, QString::fromLocal8Bit(std::strerror(umountErrno)));
        return Umount::Failed;
    }
    return Umount::NotRoot;
}

// Otherwise fusermount3 (setuid) does it: its arguments, and what its end means.
QStringList fusermountArguments(const QString& directory, bool lazy)
{
    return lazy ? QStringList{QStringLiteral("-u"), QStringLiteral("-z"), directory}
                : QStringList{QStringLiteral("-u"), directory};
}

bool fusermountSucceeded(QProcess& fusermount, const QString& directory, QString* error)
{
    if (fusermount.error() == QProcess::FailedToStart) {
        *error = QStringLiteral("Cannot unmount “%1”: fusermount3 cannot be run (%2); install "
                                "fuse3")
                     .arg(directory, fusermount.errorString());
        return false;
    }
    if (fusermount.exitStatus() != QProcess::NormalExit || fusermount.exitCode() != 0) {
        *error = QStringLiteral("Cannot unmount “%1”: fusermount3 said: %2")
                     .arg(directory,
                          QString::fromLocal8Bit(fusermount.readAllStandardError()).trimmed());
        return false;
    }
    return true;
}

// Clears a mount a killed process left, lazily, before mounting there again. It waits for
// fusermount3: it runs on the mount's own thread (FuseMount::mount), never the engine's.
// MountDetach is the unmount that does not wait.
bool detachStale(const QString& directory, QString* error)
{
    const Umount first = umountAsRoot(directory, true, error);
    if (first != Umount::NotRoot)
        return first == Umount::Done;
    QProcess fusermount;
    fusermount.start(QStringLiteral("fusermount3"), fusermountArguments(directory, true));
    fusermount.waitForFinished(30000);
    return fusermountSucceeded(fusermount, directory, error);
}

// Whether the mount at `directory` lost its process: the kernel answers ENOTCONN. Asked with
// statfs, which always goes to the file system: a stat may be answered from the attributes the
// kernel still keeps for a second.
bool isStale(const QString& directory)
{
    struct statvfs st;
    return ::statvfs(QFile::encodeName(directory).constData(), &st) != 0 && errno == ENOTCONN;
}

} // namespace

FuseMount::FuseMount(MountReads* reads, QObject* parent)
    : QObject(parent)
    , m_reads(reads)
{}

FuseMount::~FuseMount()
{
    unmount();
}

namespace {
// The device ("0:53") of the ModelFloat mount at `directory`, empty when it is none. With
// several stacked there, the last (the one on top).
QByteArray mountDevice(const QString& directory)
{
    const QString wanted = canonical(directory);
    QFile info(QStringLiteral("/proc/self/mountinfo"));
    if (!info.open(QIODevice::ReadOnly))
        return {};
    QByteArray device;
    // "36 35 0:53 / /home/me/floating ro,nosuid,nodev - fuse.modelfloat modelfloat ro,..."
    for (const QByteArray& line : info.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        const int dash = int(fields.indexOf("-"));
        if (fields.size() < 5 || dash < 0 || dash + 1 >= fields.size())
            continue;
        if (fields.at(dash + 1) == FuseMount::FileSystemType &&
            unescapeMountPath(fields.at(4)) == wanted)
            device = fields.at(2);
    }
    return device;
}

} // namespace

bool FuseMount::isModelFloatMount(const QString& directory)
{
    return !mountDevice(directory).isEmpty();
}

MountDetach::MountDetach(const QString& directory, QObject* parent)
    : QObject(parent)
    , m_directory(directory)
{}

MountDetach::~MountDetach()
{
    if (m_process) {
        // fusermount3 finishes on its own; only its report is no longer wanted.
        m_process->disconnect(this);
        m_process->setParent(nullptr);
        connect(m_process, &QProcess::finished, m_process, &QObject::deleteLater);
    }
}

void MountDetach::start()
{
    if (m_started)
        return;
    m_started = true;
    QString why;
    if (!FuseMount::isModelFloatMount(m_directory)) {
        m_notAMount = true;
        return end(QStringLiteral("“%1” is not a ModelFloat mount").arg(m_directory));
    }
    const bool lazy = isStale(m_directory);
    switch (umountAsRoot(m_directory, lazy, &why)) {
    case Umount::Done:
        return end({});
    case Umount::Failed:
        return end(why);
    case Umount::NotRoot:
        break;
    }
    m_process = new QProcess(this);
    connect(m_process, &QProcess::finished, this, [this] {
        QString error;
        fusermountSucceeded(*m_process, m_directory, &error);
        m_process->deleteLater();
        m_process = nullptr;
        end(error);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return; // finished() follows
        QString error;
        fusermountSucceeded(*m_process, m_directory, &error);
        m_process->deleteLater();
        m_process = nullptr;
        end(error);
    });
    m_process->start(QStringLiteral("fusermount3"), fusermountArguments(m_directory, lazy));
}

void MountDetach::end(const QString& error)
{
    m_error = error;
    QMetaObject::invokeMethod(this, &MountDetach::finished, Qt::QueuedConnection);
}

namespace {
// Mounts the file system at `directory`: null with *error when it cannot. May wait on processes
// (detachStale's fusermount3, and the one libfuse runs to mount for a user who is not root), so
// it runs on the mount's own thread.
struct fuse* attach(const QString& directory, MountReads* reads, QString* error)
{
    if (FuseMount::isModelFloatMount(directory)) {
        // A killed mount leaves the folder mounted with no one answering: clear it. A live one
        // belongs to another process.
        if (!isStale(directory)) {
            *error = QStringLiteral("“%1” is mounted by another ModelFloat process already; "
                                    "`modelfloat-cli unmount %1` ends it")
                         .arg(directory);
            return nullptr;
        }
        if (!detachStale(directory, error))
            return nullptr;
    }
    struct stat st;
    if (::stat(QFile::encodeName(directory).constData(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        *error = QStringLiteral("“%1” is not a folder").arg(directory);
        return nullptr;
    }
    if (::access("/dev/fuse", R_OK | W_OK) != 0) {
        *error = QStringLiteral("FUSE is not available here (/dev/fuse: %1); install fuse3 and "
                                "load the fuse module")
                     .arg(QString::fromLocal8Bit(std::strerror(errno)));
        return nullptr;
    }
    const char* argv[] = {"modelfloat", "-o",
                          "ro,default_permissions,fsname=modelfloat,subtype=modelfloat"};
    struct fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
    struct fuse* f = fuse_new(&args, &operations(), sizeof(fuse_operations), reads);
    fuse_opt_free_args(&args); // what fuse_new() added to them
    if (!f) {
        *error = QStringLiteral("Cannot start the FUSE file system (see the message above)");
        return nullptr;
    }
    if (fuse_mount(f, QFile::encodeName(directory).constData()) != 0) {
        fuse_destroy(f);
        *error = QStringLiteral("Cannot mount at “%1” (see the message above)").arg(directory);
        return nullptr;
    }
    return f;
}
} // namespace

void FuseMount::mount(const QString& directory)
{
    if (m_thread.joinable()) {
        const QString error = QStringLiteral("Already mounted at “%1”").arg(m_directory);
        QMetaObject::invokeMethod(
            this, [this, error] { Q_EMIT mounted(error); }, Qt::QueuedConnection);
        return;
    }
    m_directory = directory;
    m_starting = true;
    m_thread = std::thread([this, directory] {
        QString error;
        struct fuse* f = attach(directory, m_reads, &error);
        {
            std::lock_guard lock(m_mutex);
            if (f && m_stopping) { // unmount() came first: it waits for this thread to end
                fuse_unmount(f);
                fuse_destroy(f);
                f = nullptr;
            }
            m_fuse = f;
        }
        QMetaObject::invokeMethod(
            this, [this, error] { onAttached(error); }, Qt::QueuedConnection);
        if (!f)
            return;
        struct fuse_loop_config* config = fuse_loop_cfg_create();
        fuse_loop_cfg_set_max_threads(config, 16);
        fuse_loop_mt(f, config);
        fuse_loop_cfg_destroy(config);
        QMetaObject::invokeMethod(this, &FuseMount::onLoopEnded, Qt::QueuedConnection);
    });
}

void FuseMount::onAttached(const QString& error)
{
    if (!m_starting)
        return; // unmount() came first
    m_starting = false;
    if (error.isEmpty()) {
        m_mounted = true;
    } else if (m_thread.joinable()) {
        m_thread.join(); // it ended once it reported
    }
    Q_EMIT mounted(error);
}

void FuseMount::onLoopEnded()
{
    if (!m_mounted)
        return; // unmount() ended it
    unmount();
    Q_EMIT ended();
}

void FuseMount::unmount()
{
    if (!m_thread.joinable())
        return;
    m_starting = false;
    m_mounted = false;
    // No FUSE thread may wait on the engine from now on: this thread is about to wait on them.
    m_reads->stop();
    struct fuse* f = nullptr;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        f = m_fuse;
    }
    // The loop's threads notice the exit only when a request wakes them: one is sent (a statfs,
    // which the kernel always passes to the file system), from a thread of its own so that this
    // one never waits on the mount; the first thread it wakes ends the loop. Only then does
    // libfuse unmount the folder, lazily (a program may still hold a file there, whose reads fail
    // from now on), and close the session's descriptor, which ends the connection. A mount still
    // being made is waited for (the thread undoes it itself, seeing m_stopping).
    if (f) {
        fuse_exit(f);
        std::thread([path = QFile::encodeName(m_directory)] {
            struct statvfs st;
            ::statvfs(path.constData(), &st);
        }).detach();
    }
    m_thread.join();
    if (f) {
        fuse_unmount(f); // nothing to do when it was unmounted from outside
        fuse_destroy(f);
    }
    std::lock_guard lock(m_mutex);
    m_fuse = nullptr;
    m_stopping = false;
}

} // namespace mf
