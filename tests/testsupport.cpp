#include "testsupport.h"

#include <QFile>
#include <QProcess>
#include <QtTest>

namespace mf::test {

namespace {
quint64 splitmix64(quint64& state)
{
    quint64 z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
} // namespace

QByteArray pseudoRandomBytes(qint64 size, quint64 seed)
{
    QByteArray out(size, Qt::Uninitialized);
    quint64 state = seed;
    char* p = out.data();
    qint64 i = 0;
    for (; i + 8 <= size; i += 8) {
        const quint64 v = splitmix64(state);
        memcpy(p + i, &v, 8);
    }
    if (i < size) {
        const quint64 v = splitmix64(state);
        memcpy(p + i, &v, size_t(size - i));
    }
    return out;
}

bool writeFile(const QString& path, const QByteArray& data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(data) == data.size() && f.flush();
}

bool writePseudoRandomFile(const QString& path, qint64 size, quint64 seed)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    const qint64 block = 4 << 20;
    for (qint64 done = 0; done < size; done += block) {
        const QByteArray b = pseudoRandomBytes(qMin(block, size - done), seed + quint64(done));
        if (f.write(b) != b.size())
            return false;
    }
    return f.flush();
}

QByteArray opensslSha256Hex(const QString& path)
{
    QProcess p;
    p.start(QStringLiteral("openssl"),
            {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"), path});
    if (!p.waitForFinished(120000) || p.exitCode() != 0)
        return {};
    return p.readAllStandardOutput().left(64);
}

} // namespace mf::test
