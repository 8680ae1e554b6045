#include "storedchunks.h"

#include "clisandbox.h"

#include <QDirIterator>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>

namespace mf::test {

QList<ChunkRow> fileManifest(const QString& vault, const QString& path)
{
    QList<ChunkRow> rows;
    const QString name = QStringLiteral("manifest-reader");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(vault + QStringLiteral("/registry.sqlite"));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("SELECT fc.offset, c.size, fc.cid FROM file_chunks fc "
                                     "JOIN files f ON f.id = fc.file_id JOIN chunks c ON "
                                     "c.cid = fc.cid WHERE f.path = ? ORDER BY fc.idx"));
            q.addBindValue(path);
            if (q.exec())
                while (q.next())
                    rows.append(
                        {q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString()});
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return rows;
}

QString chunkObjectBelow(const QString& root, const QString& cid)
{
    for (const QString& rel : CliSandbox::filesBelow(root))
        if (rel.endsWith(QLatin1Char('/') + cid) && !rel.startsWith(QLatin1Char('.')))
            return root + QLatin1Char('/') + rel;
    return {};
}

QStringList chunkObjects(const QString& root)
{
    QStringList out;
    for (QDirIterator it(root, {QStringLiteral("bafkrei*")}, QDir::Files,
                         QDirIterator::Subdirectories);
         it.hasNext();) {
        const QString path = it.next();
        if (!path.contains(QStringLiteral("/.")) && !path.contains(QStringLiteral("/catalog/")))
            out << path;
    }
    out.sort();
    return out;
}

bool flipOneByte(const QString& objectPath)
{
    QFile f(objectPath);
    if (!f.open(QIODevice::ReadWrite) || !f.seek(100))
        return false;
    char c = 0;
    if (!f.getChar(&c) || !f.seek(100))
        return false;
    return f.putChar(char(c ^ 0x5a));
}

} // namespace mf::test
