#include "hfcachelayout.h"

#include "variants.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf::hfcache {

bool storedInLfs(const QString& path, qint64 size)
{
    return variants::isWeightFile(path) || size > MaxGitFileBytes;
}

QString repoFolderName(const QString& repoId)
{
    return QStringLiteral("models--") +
           QString(repoId).replace(QLatin1Char('/'), QLatin1String("--"));
}

bool parseSource(const QString& source, QString* repoId, QString* commit)
{
    static const QRegularExpression re(QStringLiteral("^hf:([^@]+)@([0-9a-f]{40})$"));
    const auto m = re.match(source);
    if (!m.hasMatch())
        return false;
    *repoId = m.captured(1);
    *commit = m.captured(2);
    return true;
}

QString blobLinkTarget(const QString& path, const QString& etag)
{
    const int depth = int(path.count(QLatin1Char('/')));
    return QStringLiteral("../").repeated(2 + depth) + QStringLiteral("blobs/") + etag;
}

bool writeRef(const QString& repoFolder, const QString& ref, const QString& commit, QString* error)
{
    const QString path = repoFolder + QStringLiteral("/refs/") + ref;
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(commit.toLatin1()) != commit.size() ||
        !file.commit()) {
        *error = QStringLiteral("Cannot write “%1”: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool linkSnapshot(const QString& repoFolder, const QString& commit, const QString& path,
                  const QString& etag, QString* error)
{
    const QString link =
        repoFolder + QStringLiteral("/snapshots/") + commit + QLatin1Char('/') + path;
    QDir().mkpath(QFileInfo(link).absolutePath());
    const QByteArray target = blobLinkTarget(path, etag).toUtf8();
    const QByteArray linkPath = QFile::encodeName(link);
    ::unlink(linkPath.constData()); // an older link or copy of this path
    if (::symlink(target.constData(), linkPath.constData()) != 0) {
        *error = QStringLiteral("Cannot create the link “%1”: %2")
                     .arg(link, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    return true;
}

QByteArray gitBlobSha1(const QString& filePath)
{
    QFile file(filePath);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(QByteArray(QByteArray("blob ") + QByteArray::number(file.size()) + '\0'));
    if (!sha1.addData(&file))
        return {};
    return sha1.result().toHex();
}

} // namespace mf::hfcache
