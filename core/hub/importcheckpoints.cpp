#include "importcheckpoints.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace mf {

QMap<qint64, QByteArray> ImportCheckpoints::load() const
{
    QMap<qint64, QByteArray> result;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return result;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine(4096);
        if (!line.endsWith('\n'))
            break; // cut short by a crash
        const QList<QByteArray> parts = line.trimmed().split(' ');
        bool ok = false;
        const qint64 offset = parts.value(0).toLongLong(&ok);
        if (parts.size() != 2 || !ok || offset <= 0)
            continue;
        result.insert(offset, QByteArray::fromBase64(parts.at(1)));
    }
    return result;
}

bool ImportCheckpoints::append(qint64 offset, const QByteArray& state)
{
    QFile file(m_path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
        return false;
    const QByteArray line = QByteArray::number(offset) + ' ' + state.toBase64() + '\n';
    return file.write(line) == line.size();
}

bool ImportCheckpoints::reset()
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QFile file(m_path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate);
}

void ImportCheckpoints::remove()
{
    QFile::remove(m_path);
}

} // namespace mf
