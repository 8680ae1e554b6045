#pragma once

#include <QString>

#include <optional>

namespace mf {

// What the file system says about a file at one moment: enough to tell that it changed
// (size, modification and status-change times in nanoseconds, inode, device).
struct FileSnapshot
{
    qint64 size = 0;
    qint64 mtimeNs = 0;
    qint64 ctimeNs = 0;
    quint64 inode = 0;
    quint64 device = 0;

    static std::optional<FileSnapshot> ofPath(const QString& path, QString* error = nullptr);
    static std::optional<FileSnapshot> ofDescriptor(int fd, QString* error = nullptr);

    friend bool operator==(const FileSnapshot& a, const FileSnapshot& b)
    {
        return a.size == b.size && a.mtimeNs == b.mtimeNs && a.ctimeNs == b.ctimeNs &&
               a.inode == b.inode && a.device == b.device;
    }
    friend bool operator!=(const FileSnapshot& a, const FileSnapshot& b) { return !(a == b); }
};

} // namespace mf
