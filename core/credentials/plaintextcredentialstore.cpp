#include "plaintextcredentialstore.h"

#include "util/fileio.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace mf {

namespace {

const QString SecretsKey = QStringLiteral("secrets");
const QString VersionKey = QStringLiteral("version");

// A job whose work is a quick local file operation: done in start(), reported (queued) by
// finish(), so callers see the same asynchronous contract as the keychain's jobs.
class FileCredentialJob final : public CredentialJob
{
public:
    using Work = std::function<Error(QJsonObject* secrets)>;
    FileCredentialJob(Work work, QObject* parent)
        : CredentialJob(parent)
        , m_work(std::move(work))
    {}
    void start() override { finish(m_work(&m_secrets)); }

private:
    Work m_work;
};

Error fileError(const QString& what, const QString& path, int err)
{
    return Error::make(
        Error::Kind::Fatal,
        QStringLiteral("Cannot %1 the credentials file “%2”: %3").arg(what, path, errnoText(err)));
}

bool writeAll(int fd, const QByteArray& data)
{
    return pwriteAll(fd, data.constData(), data.size(), 0);
}

} // namespace

PlaintextCredentialStore::PlaintextCredentialStore(const QString& filePath, QObject* parent)
    : CredentialStore(parent)
    , m_path(filePath)
{}

PlaintextCredentialStore::~PlaintextCredentialStore() = default;

QString PlaintextCredentialStore::description() const
{
    return QStringLiteral("the plaintext file “%1”").arg(m_path);
}

QString PlaintextCredentialStore::warning() const
{
    return QStringLiteral("Provider secrets are stored UNENCRYPTED in “%1” (readable by this user, "
                          "root and any backup of it). Switch back with `modelfloat-cli config "
                          "credentials keychain` once a keychain service is available.")
        .arg(m_path);
}

Error PlaintextCredentialStore::load(QJsonObject* all) const
{
    const QByteArray path = QFile::encodeName(m_path);
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *all = {};
            return Error::none();
        }
        return fileError(QStringLiteral("open"), m_path, errno);
    }
    struct stat st = {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return fileError(QStringLiteral("inspect"), m_path, err);
    }
    // Like ssh with its keys: a secrets file others can read has leaked already, or will.
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ::close(fd);
        return Error::make(Error::Kind::Fatal,
                           QStringLiteral("The credentials file “%1” can be read by other users "
                                          "(mode %2); it must be 0600. Fix it with `chmod 600 %1` "
                                          "and consider changing the secrets in it.")
                               .arg(m_path)
                               .arg(st.st_mode & 0777, 4, 8, QLatin1Char('0')));
    }
    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return fileError(QStringLiteral("read"), m_path, EIO);
    }
    const QByteArray data = file.readAll();
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    if (!doc.isObject() || !doc.object().value(SecretsKey).isObject())
        return Error::make(Error::Kind::Fatal,
                           QStringLiteral("The credentials file “%1” is damaged (not the JSON "
                                          "ModelFloat writes)")
                               .arg(m_path));
    *all = doc.object().value(SecretsKey).toObject();
    return Error::none();
}

Error PlaintextCredentialStore::save(const QJsonObject& all) const
{
    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath()))
        return fileError(QStringLiteral("create the folder of"), m_path, errno);
    QJsonObject doc;
    doc.insert(VersionKey, 1);
    doc.insert(SecretsKey, all);
    const QByteArray data = QJsonDocument(doc).toJson(QJsonDocument::Indented);

    // mkstemp creates the file 0600, before a single secret byte is in it.
    QByteArray tmp = QFile::encodeName(m_path) + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0)
        return fileError(QStringLiteral("write"), m_path, errno);
    int err = 0;
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0 || !writeAll(fd, data) || ::fsync(fd) != 0)
        err = errno;
    if (::close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && ::rename(tmp.constData(), QFile::encodeName(m_path).constData()) != 0)
        err = errno;
    if (err != 0) {
        ::unlink(tmp.constData());
        return fileError(QStringLiteral("write"), m_path, err);
    }
    // The rename itself must survive a crash too.
    const int dirFd =
        ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_DIRECTORY);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return Error::none();
}

CredentialJob* PlaintextCredentialStore::read(const QString& key)
{
    return new FileCredentialJob(
        [this, key](QJsonObject* secrets) {
            QJsonObject all;
            if (Error e = load(&all))
                return e;
            const QJsonValue v = all.value(key);
            if (!v.isObject())
                return Error::make(
                    Error::Kind::NotFound,
                    QStringLiteral("No secrets stored under “%1” in %2").arg(key, description()));
            *secrets = v.toObject();
            return Error::none();
        },
        this);
}

CredentialJob* PlaintextCredentialStore::write(const QString& key, const QJsonObject& secrets)
{
    return new FileCredentialJob(
        [this, key, secrets](QJsonObject*) {
            QJsonObject all;
            if (Error e = load(&all))
                return e;
            all.insert(key, secrets);
            return save(all);
        },
        this);
}

CredentialJob* PlaintextCredentialStore::remove(const QString& key)
{
    return new FileCredentialJob(
        [this, key](QJsonObject*) {
            QJsonObject all;
            if (Error e = load(&all))
                return e;
            if (!all.contains(key))
                return Error::none();
            all.remove(key);
            return save(all);
        },
        this);
}

} // namespace mf
