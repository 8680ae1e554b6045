#include "megatransfer.h"

#include "providers/network/uploadbody.h"
#include "util/units.h"

#include <QDateTime>

namespace mf::mega {

EncryptingBody::EncryptingBody(std::unique_ptr<QIODevice> plain, const FileKey& key, qint64 from,
                               qint64 to, MacsReady macs)
    : m_plain(std::move(plain))
    , m_key(key)
    , m_from(from)
    , m_to(to)
    , m_macs(std::move(macs))
    , m_cipher(std::make_unique<FileCipher>(key, FileCipher::Direction::Encrypt, from))
{}

EncryptingBody::~EncryptingBody() = default;

std::unique_ptr<QIODevice> EncryptingBody::create(std::shared_ptr<QIODevice> source,
                                                  qint64 sourceStart, const FileKey& key,
                                                  qint64 from, qint64 to, MacsReady macs)
{
    std::unique_ptr<QIODevice> plain =
        UploadBody::create(std::move(source), sourceStart + from, to - from);
    if (!plain)
        return nullptr;
    std::unique_ptr<EncryptingBody> body(
        new EncryptingBody(std::move(plain), key, from, to, std::move(macs)));
    body->QIODevice::open(ReadOnly | Unbuffered);
    return body;
}

bool EncryptingBody::seek(qint64 pos)
{
    if (pos == QIODevice::pos())
        return QIODevice::seek(pos);
    if (pos != 0 || !m_plain->seek(0))
        return false;
    // From the start again: a fresh cipher at the range's first byte.
    m_cipher = std::make_unique<FileCipher>(m_key, FileCipher::Direction::Encrypt, m_from);
    return QIODevice::seek(0);
}

qint64 EncryptingBody::readData(char* data, qint64 maxSize)
{
    const qint64 n = m_plain->read(data, maxSize);
    if (n < 0) {
        setErrorString(m_plain->errorString());
        return -1;
    }
    m_cipher->process(data, data, n);
    if (n > 0 && QIODevice::pos() + n == size() && m_macs)
        m_macs(m_from, m_cipher->chunkMacs());
    return n;
}

DecryptingSink::DecryptingSink(ByteSink* target, const FileKey& key, qint64 cipherStart,
                               qint64 deliverFrom, bool checkMac)
    : m_target(target)
    , m_key(key)
    , m_cipher(key, FileCipher::Direction::Decrypt, cipherStart)
    , m_skip(deliverFrom - cipherStart)
    , m_checkMac(checkMac && cipherStart == 0)
{}

bool DecryptingSink::write(const char* data, qint64 size)
{
    m_buffer.resize(size);
    m_cipher.process(data, m_buffer.data(), size);
    const qint64 skip = qMin(m_skip, size);
    m_skip -= skip;
    return size == skip || m_target->write(m_buffer.constData() + skip, size - skip);
}

bool DecryptingSink::macMatches()
{
    return m_checkMac && m_cipher.metaMac() == m_key.metaMac;
}

Error transferQuotaError(const QString& what, const QString& whatWaits, int seconds)
{
    const qint64 resetMs = QDateTime::currentMSecsSinceEpoch() + qint64(qMax(0, seconds)) * 1000;
    const int minutes = qMax(1, (seconds + 59) / 60);
    return Error::outOfBudget(
        QObject::tr("%1: MEGA's transfer quota for this connection is used up; %2 resume at %3 "
                    "(in about %4)")
            .arg(what, whatWaits,
                 QDateTime::fromMSecsSinceEpoch(resetMs).toString(QStringLiteral("HH:mm")),
                 units::counted(minutes, QObject::tr("1 minute"), QObject::tr("%1 minutes"))),
        resetMs);
}

Error storageServerQuota(int status, const QNetworkReply& reply, const QString& what,
                         const QString& whatWaits)
{
    if (status != 509)
        return Error::none();
    bool ok = false;
    const int left = reply.rawHeader("X-MEGA-Time-Left").trimmed().toInt(&ok);
    return transferQuotaError(what, whatWaits,
                              ok && left >= 0 ? left : DefaultTransferQuotaWaitSeconds);
}

} // namespace mf::mega
