#pragma once

#include "megacipher.h"
#include "providers/bytesink.h"
#include "util/error.h"

#include <QIODevice>
#include <QNetworkReply>

#include <functional>
#include <memory>

namespace mf::mega {

// The body of one upload POST: bytes [from, to) of a chunk (whole MAC chunks, or up to the end),
// read from the chunk's source and encrypted as they are read, so the chunk is never held in
// memory. When the last byte has been read, `macs` receives the MACs of the MAC chunks in the
// range (a retry re-opens the body and computes the same ones). seek() only rewinds to 0.
class EncryptingBody final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EncryptingBody)

public:
    using MacsReady = std::function<void(qint64 from, const QList<QByteArray>& macs)>;

    // nullptr when the source cannot be read from `sourceStart + from`.
    static std::unique_ptr<QIODevice> create(std::shared_ptr<QIODevice> source, qint64 sourceStart,
                                             const FileKey& key, qint64 from, qint64 to,
                                             MacsReady macs);
    ~EncryptingBody() override;

    bool isSequential() const override { return false; }
    qint64 size() const override { return m_to - m_from; }
    bool seek(qint64 pos) override;

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    EncryptingBody(std::unique_ptr<QIODevice> plain, const FileKey& key, qint64 from, qint64 to,
                   MacsReady macs);

    std::unique_ptr<QIODevice> m_plain;
    FileKey m_key;
    qint64 m_from;
    qint64 m_to;
    MacsReady m_macs;
    std::unique_ptr<FileCipher> m_cipher;
};

// Receives ciphertext from a download starting at `cipherStart` (a multiple of 16), decrypts it
// and hands the plaintext from `deliverFrom` on (the caller's offset) to `target`. When the
// download is the whole file, the MAC chunks are checked as they go by: macMatches() after the
// last byte.
class DecryptingSink final : public ByteSink
{
public:
    DecryptingSink(ByteSink* target, const FileKey& key, qint64 cipherStart, qint64 deliverFrom,
                   bool checkMac);

    bool write(const char* data, qint64 size) override;
    QString errorString() const override { return m_target->errorString(); }
    // After the last byte of a whole-file download: true when the meta-MAC is the node key's.
    bool macMatches();

private:
    ByteSink* m_target;
    FileKey m_key;
    FileCipher m_cipher;
    qint64 m_skip;
    bool m_checkMac;
    QByteArray m_buffer;
};

// MEGA's transfer quota: "no more `whatWaits` (\"downloads from MEGA\") for `seconds`", as an
// out-of-budget answer, so the provider is paused until then for every process on the vault
// (docs/providers.md, "Provider budgets").
Error transferQuotaError(const QString& what, const QString& whatWaits, int seconds);
// A storage server's answer (download or upload URL): 509 with X-MEGA-Time-Left is the transfer
// quota (an hour when the header is missing); none otherwise.
Error storageServerQuota(int status, const QNetworkReply& reply, const QString& what,
                         const QString& whatWaits);
// How long transfers wait when MEGA says "over quota" without saying until when.
constexpr int DefaultTransferQuotaWaitSeconds = 3600;

} // namespace mf::mega
