// MEGA's file cipher alone, per core: AES-128-CTR with the chunk CBC-MACs (what an upload does
// to every byte), the same for a download (decrypt, then MAC), and `openssl enc -aes-128-ctr`
// on the same bytes as the yardstick (CTR alone, no MAC: the CBC-MAC is inherently serial and
// costs about one more AES pass, so ModelFloat's figure is expected near half of openssl's).
//
// Usage: bench_megacrypto [size-in-MiB, default 512]
// The bytes are pseudo-random, written once to a temporary file for openssl and held in memory
// for ModelFloat's cipher, which runs over them in 1 MiB slices as an upload does. Each figure
// is the best of three runs, as MB/s (10^6 bytes per second) of thread CPU time, so that a
// loaded machine shows the cipher's cost rather than the scheduler's.

#include "providers/mega/megacipher.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryFile>

#include <cstdio>
#include <ctime>
#include <sys/resource.h>

using namespace mf::mega;

namespace {

constexpr qint64 MiB = 1024 * 1024;

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double childCpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double runCipher(const QByteArray& data, const FileKey& key, FileCipher::Direction direction)
{
    QByteArray out(MiB, Qt::Uninitialized);
    const double start = threadCpuSeconds();
    FileCipher cipher(key, direction);
    for (qsizetype at = 0; at < data.size(); at += MiB) {
        const qsizetype n = qMin<qsizetype>(MiB, data.size() - at);
        cipher.process(data.constData() + at, out.data(), n);
    }
    const QByteArray mac = cipher.metaMac();
    const double seconds = threadCpuSeconds() - start;
    if (mac.size() != MetaMacSize)
        std::fprintf(stderr, "no MAC\n");
    return double(data.size()) / 1e6 / seconds;
}

double runOpenssl(const QString& path, qint64 size, const FileKey& key)
{
    QProcess p;
    const double before = childCpuSeconds();
    QElapsedTimer wall;
    wall.start();
    p.start(QStringLiteral("openssl"),
            {QStringLiteral("enc"), QStringLiteral("-aes-128-ctr"), QStringLiteral("-K"),
             QString::fromLatin1(key.aesKey.toHex()), QStringLiteral("-iv"),
             QString::fromLatin1(QByteArray(key.nonce + QByteArray(8, 0)).toHex()),
             QStringLiteral("-in"), path, QStringLiteral("-out"), QStringLiteral("/dev/null")});
    if (!p.waitForFinished(600000) || p.exitCode() != 0) {
        std::fprintf(stderr, "openssl enc failed: %s\n", p.readAllStandardError().constData());
        return 0;
    }
    const double seconds = childCpuSeconds() - before;
    return double(size) / 1e6 / seconds;
}

} // namespace

int main(int argc, char** argv)
{
    const qint64 sizeMiB = argc > 1 ? QByteArray(argv[1]).toLongLong() : 512;
    QByteArray data(sizeMiB * MiB, Qt::Uninitialized);
    QRandomGenerator rng(42);
    rng.fillRange(reinterpret_cast<quint32*>(data.data()), data.size() / 4);
    QTemporaryFile file;
    if (!file.open() || file.write(data) != data.size() || !file.flush()) {
        std::fprintf(stderr, "cannot write the temporary file\n");
        return 1;
    }
    const FileKey key = FileKey::random();
    double encrypt = 0, decrypt = 0, openssl = 0;
    for (int run = 0; run < 3; ++run) {
        encrypt = qMax(encrypt, runCipher(data, key, FileCipher::Direction::Encrypt));
        decrypt = qMax(decrypt, runCipher(data, key, FileCipher::Direction::Decrypt));
        openssl = qMax(openssl, runOpenssl(file.fileName(), data.size(), key));
    }
    double load[3] = {};
    getloadavg(load, 3);
    std::printf("bench_megacrypto: %lld MiB, best of 3, MB/s of CPU time on one core "
                "(load average %.2f)\n",
                sizeMiB, load[0]);
    std::printf("  ModelFloat encrypt (AES-128-CTR + chunk MACs): %8.1f MB/s\n", encrypt);
    std::printf("  ModelFloat decrypt (AES-128-CTR + MAC check):  %8.1f MB/s\n", decrypt);
    std::printf("  openssl enc -aes-128-ctr (no MAC):             %8.1f MB/s\n", openssl);
    std::printf("  ratio encrypt / openssl:                        %8.2f\n",
                openssl > 0 ? encrypt / openssl : 0.0);
    return 0;
}
