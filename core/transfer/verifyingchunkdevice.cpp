#include "verifyingchunkdevice.h"

#include "chunking/cid.h"

namespace mf {

VerifyingChunkDevice::VerifyingChunkDevice(std::unique_ptr<QIODevice> source, const QString& cid,
                                           qint64 size, const QString& mismatchError,
                                           std::shared_ptr<std::atomic_bool> mismatched,
                                           QObject* parent)
    : QIODevice(parent)
    , m_source(std::move(source))
    , m_expected(cid::toSha256(cid))
    , m_size(size)
    , m_mismatchError(mismatchError)
    , m_mismatched(std::move(mismatched))
{}

VerifyingChunkDevice::~VerifyingChunkDevice()
{
    close();
}

bool VerifyingChunkDevice::open(OpenMode mode)
{
    if (mode != ReadOnly || !m_source || !m_source->isReadable()) {
        setErrorString(m_source ? m_source->errorString() : QStringLiteral("no source"));
        return false;
    }
    if (m_source->pos() != 0 && !m_source->seek(0)) {
        setErrorString(m_source->errorString());
        return false;
    }
    m_hash.reset();
    m_hashed = 0;
    return QIODevice::open(mode | Unbuffered);
}

void VerifyingChunkDevice::close()
{
    if (m_source)
        m_source->close();
    if (isOpen())
        QIODevice::close();
}

bool VerifyingChunkDevice::seek(qint64 pos)
{
    if (pos < 0 || pos > m_size || !m_source->seek(pos))
        return false;
    if (pos < m_hashed) {
        // Read again (a retried request): hashed again from the start, so that what is checked
        // is always what this pass delivers.
        m_hash.reset();
        m_hashed = 0;
    }
    return QIODevice::seek(pos);
}

qint64 VerifyingChunkDevice::readSource(char* data, qint64 size)
{
    qint64 got = 0;
    while (got < size) {
        const qint64 n = m_source->read(data + got, size - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

qint64 VerifyingChunkDevice::hashUpTo(qint64 position)
{
    if (!m_source->seek(m_hashed))
        return -1;
    QByteArray block(qMin<qint64>(position - m_hashed, 1 << 20), Qt::Uninitialized);
    while (m_hashed < position) {
        const qint64 want = qMin<qint64>(position - m_hashed, block.size());
        const qint64 got = readSource(block.data(), want);
        if (got != want)
            return got < 0 ? -1 : 0;
        m_hash.addData(block.constData(), got);
        m_hashed += got;
    }
    return 1;
}

qint64 VerifyingChunkDevice::fail(const QString& error)
{
    setErrorString(error);
    return -1;
}

qint64 VerifyingChunkDevice::mismatch()
{
    m_failed = true;
    if (m_mismatched)
        m_mismatched->store(true);
    return fail(m_mismatchError);
}

qint64 VerifyingChunkDevice::readData(char* data, qint64 maxSize)
{
    if (m_failed)
        return fail(m_mismatchError);
    const qint64 pos = QIODevice::pos();
    const qint64 want = qMin(maxSize, m_size - pos);
    if (want <= 0)
        return 0;
    if (pos > m_hashed) {
        // Read from the middle (a resumed upload): the bytes before it count too.
        const qint64 hashed = hashUpTo(pos);
        if (hashed <= 0)
            return hashed < 0 ? fail(m_source->errorString()) : mismatch();
    }
    const qint64 got = readSource(data, want);
    if (got < 0)
        return fail(m_source->errorString());
    if (got < want)
        return mismatch(); // fewer bytes than the chunk has: not its bytes
    m_hash.addData(data, got);
    m_hashed += got;
    // Checked before the last bytes are delivered: a put that reads them has published nothing
    // yet, and fails instead.
    if (m_hashed == m_size && m_hash.result() != m_expected)
        return mismatch();
    return got;
}

} // namespace mf
