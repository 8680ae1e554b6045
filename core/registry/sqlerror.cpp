#include "sqlerror.h"

namespace mf {

QString describeSqlError(const QSqlError& error)
{
    // Primary result codes (the low byte of an extended one), from sqlite3.h.
    enum : int {
        Perm = 3,
        Busy = 5,
        Locked = 6,
        NoMem = 7,
        ReadOnly = 8,
        IoErr = 10,
        Corrupt = 11,
        Full = 13,
        CantOpen = 14,
        NotADb = 26,
    };
    bool numeric = false;
    const int code = error.nativeErrorCode().toInt(&numeric) & 0xff;
    QString what;
    if (numeric) {
        switch (code) {
        case Corrupt:
            what = QStringLiteral("the file is damaged (cut short or overwritten)");
            break;
        case NotADb:
            what = QStringLiteral("it is not an SQLite database");
            break;
        case Busy:
        case Locked:
            what = QStringLiteral("another program keeps it locked; try again in a moment");
            break;
        case Full:
            what = QStringLiteral("the disk is full");
            break;
        case ReadOnly:
        case Perm:
            what = QStringLiteral("it cannot be written (read-only file or folder, or no "
                                  "permission)");
            break;
        case CantOpen:
            what = QStringLiteral("it cannot be opened (a missing folder, or no permission)");
            break;
        case IoErr:
            what = QStringLiteral("reading or writing it failed (a disk or file system error)");
            break;
        case NoMem:
            what = QStringLiteral("out of memory");
            break;
        default:
            break;
        }
    }
    const QString sqlite = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    if (what.isEmpty())
        return sqlite;
    return sqlite.isEmpty() ? what
                            : what + QStringLiteral(" (SQLite: ") + sqlite + QLatin1Char(')');
}

} // namespace mf
