#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>

namespace mf {

// Where an interrupted import of one file can resume: for every chunk boundary the import
// reached, the running SHA-256 state of the whole file at that offset. One small append-only
// text file per file being imported ("<offset> <base64 state>" per line, ~100 bytes per chunk),
// in the vault's temporary folder; removed when the file is complete or found corrupt. Lines
// cut short by a crash are ignored, so a resume at worst starts from an earlier boundary.
class ImportCheckpoints final
{
public:
    explicit ImportCheckpoints(const QString& path)
        : m_path(path)
    {}

    QString path() const { return m_path; }
    // Offset -> state; empty when there is no usable file.
    QMap<qint64, QByteArray> load() const;
    bool append(qint64 offset, const QByteArray& state);
    // Starts over with no checkpoint (and the parent folder created).
    bool reset();
    void remove();

private:
    QString m_path;
};

} // namespace mf
