// LocalProvider: the catalog's objects (Provider's catalog interface), kept as plain files in
// the folder "catalog" below the provider's root, written durably as chunk objects are.
#include "localprovider.h"
#include "localproviderwork.h"

#include "util/fileio.h"
#include "util/temporaries.h"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace mf {

using localfolder::cancelledError;
using localfolder::ensureFolder;
using localfolder::LocalJob;
using localfolder::TemporaryFolder;

namespace {

const QString CatalogFolder = QStringLiteral("catalog");

Error badCatalogName(const QString& name, const QString& provider)
{
    return Error::make(
        Error::Kind::Fatal,
        QStringLiteral("“%1” is not a catalog object name of provider “%2”").arg(name, provider));
}

// Makes the folders of `relative` below `base` (which must exist), one level at a time.
bool ensureFolders(const QString& base, const QString& relative)
{
    QString path = base;
    for (const QString& s : relative.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        path += QLatin1Char('/') + s;
        if (!ensureFolder(path))
            return false;
    }
    return true;
}

} // namespace

ProviderJob* LocalProvider::writeCatalogObject(const QString& name, const QByteArray& bytes)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, name, bytes](LocalJob::Task& task, LocalJob&) -> Error {
            if (!isValidCatalogName(name))
                return badCatalogName(name, shared->name);
            if (!shared->rootExists())
                return shared->missingRoot();
            if (task.cancelled || shared->closing)
                return cancelledError();
            const QString finalPath =
                shared->root + QLatin1Char('/') + CatalogFolder + QLatin1Char('/') + name;
            const QString folder = QFileInfo(finalPath).absolutePath();
            const QString tmpDir = shared->root + QLatin1String(TemporaryFolder);
            if (!ensureFolders(shared->root, CatalogFolder + QLatin1Char('/') +
                                                 name.section(QLatin1Char('/'), 0, -2)) ||
                !ensureFolder(tmpDir))
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot create folders in “%1” of provider "
                                                  "“%2”: %3")
                                       .arg(shared->root, shared->name, errnoText(errno)));
            QByteArray tmpPath =
                QFile::encodeName(tmpDir + QLatin1Char('/') + temporaries::prefix(CatalogFolder) +
                                  QStringLiteral("XXXXXX"));
            const int fd = ::mkstemp(tmpPath.data());
            if (fd < 0)
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot write to provider “%1”: %2")
                                       .arg(shared->name, errnoText(errno)));
            const bool written = pwriteAll(fd, bytes.constData(), bytes.size(), 0) &&
                                 (!shared->flushing() || ::fdatasync(fd) == 0);
            const int err = errno;
            if (::close(fd) != 0 || !written) {
                ::unlink(tmpPath.constData());
                const int e = written ? errno : err;
                return Error::make(e == ENOSPC || e == EDQUOT ? Error::Kind::QuotaExceeded
                                                              : Error::Kind::Fatal,
                                   QStringLiteral("Cannot write to provider “%1”: %2")
                                       .arg(shared->name, errnoText(e)));
            }
            if (::rename(tmpPath.constData(), QFile::encodeName(finalPath).constData()) != 0) {
                const int e = errno;
                ::unlink(tmpPath.constData());
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot store catalog object %1 in provider "
                                                  "“%2”: %3")
                                       .arg(name, shared->name, errnoText(e)));
            }
            // Durable like a chunk: the folder entry that names it is flushed too.
            if (shared->flushing() && !syncFolder(folder))
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot flush to provider “%1”: %2")
                                       .arg(shared->name, errnoText(errno)));
            task.size = bytes.size();
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::readCatalogObject(const QString& name)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, name](LocalJob::Task& task, LocalJob&) -> Error {
            if (!isValidCatalogName(name))
                return badCatalogName(name, shared->name);
            if (!shared->rootExists())
                return shared->missingRoot();
            QFile file(shared->root + QLatin1Char('/') + CatalogFolder + QLatin1Char('/') + name);
            if (!file.open(QIODevice::ReadOnly))
                return Error::make(file.exists() ? Error::Kind::Fatal : Error::Kind::NotFound,
                                   QStringLiteral("Catalog object %1 on provider “%2”: %3")
                                       .arg(name, shared->name, file.errorString()));
            if (file.size() > catalogObjectLimit(name))
                return Error::make(Error::Kind::Corrupt,
                                   QStringLiteral("Catalog object %1 on provider “%2” is %3 "
                                                  "bytes, more than the %4 it may be")
                                       .arg(name, shared->name)
                                       .arg(file.size())
                                       .arg(catalogObjectLimit(name)));
            // Never more than the limit, even if the file grew since its size was looked at.
            task.data = file.read(catalogObjectLimit(name) + 1);
            if (task.data.size() > catalogObjectLimit(name))
                return Error::make(Error::Kind::Corrupt,
                                   QStringLiteral("Catalog object %1 on provider “%2” is more "
                                                  "than the %3 bytes it may be")
                                       .arg(name, shared->name)
                                       .arg(catalogObjectLimit(name)));
            if (file.error() != QFileDevice::NoError)
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot read catalog object %1 on provider "
                                                  "“%2”: %3")
                                       .arg(name, shared->name, file.errorString()));
            task.size = task.data.size();
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::listCatalogObjects(const QString& folder)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, folder](LocalJob::Task& task, LocalJob&) -> Error {
            if (!isValidCatalogName(folder))
                return badCatalogName(folder, shared->name);
            if (!shared->rootExists())
                return shared->missingRoot();
            // The provider's clock is this computer's: an object's mtime and now agree.
            task.serverTime = QDateTime::currentDateTimeUtc();
            const QDir dir(shared->root + QLatin1Char('/') + CatalogFolder + QLatin1Char('/') +
                           folder);
            const QFileInfoList entries =
                dir.entryInfoList(QDir::Files | QDir::NoDotAndDotDot, QDir::Name);
            for (const QFileInfo& info : entries) {
                if (!isValidCatalogName(info.fileName()))
                    continue;
                task.catalogObjects.append({folder + QLatin1Char('/') + info.fileName(),
                                            info.size(), info.lastModified().toUTC()});
            }
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::removeCatalogObject(const QString& name)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, name](LocalJob::Task&, LocalJob&) -> Error {
            if (!isValidCatalogName(name))
                return badCatalogName(name, shared->name);
            if (!shared->rootExists())
                return shared->missingRoot();
            const QByteArray path = QFile::encodeName(shared->root + QLatin1Char('/') +
                                                      CatalogFolder + QLatin1Char('/') + name);
            if (::unlink(path.constData()) != 0 && errno != ENOENT)
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot remove catalog object %1 from provider "
                                                  "“%2”: %3")
                                       .arg(name, shared->name, errnoText(errno)));
            return Error::none();
        },
        this);
}

} // namespace mf
