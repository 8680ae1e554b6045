#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace mf {

// What the GUI asks the Engine to float.
struct FloatRequest
{
    QStringList paths;         // local files or folders (folders: their files, recursively)
    QString modelName;         // required
    int replicas = 0;          // 0: the vault's default
    QList<qint64> providerIds; // empty: all enabled providers
};

} // namespace mf
