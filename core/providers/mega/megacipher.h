#pragma once

#include "aesblock.h"
#include "megacrypto.h"

#include <QList>

namespace mf::mega {

// MEGA's MAC chunks: 128 KiB, 256 KiB, ... growing by 128 KiB up to 1 MiB, then 1 MiB each.
// The end of the MAC chunk that starts at `chunkStart` (a boundary).
qint64 macChunkEnd(qint64 chunkStart);
// True when `offset` is where a MAC chunk starts (uploads POST whole MAC chunks).
bool isMacBoundary(qint64 offset);

// A file's bytes through MEGA's file cipher, streaming, in order: AES-128-CTR with the counter
// block nonce || uint64_be(offset / 16), and, for a stream that starts on a MAC-chunk boundary,
// the CBC-MAC of each MAC chunk's plaintext (IV nonce || nonce, last block zero-padded). The
// chunk MACs of a whole file, condensed with AES-ECB (condenseMacs()), are its 8-byte meta-MAC
// exactly as MEGA's clients compute it; a stream over part of a file (one upload POST) gives
// the chunk MACs of its part.
// Encrypt takes plaintext and computes the MACs over its input; Decrypt over its output.
// The CBC-MAC is OpenSSL's CBC encryption keeping the last block, in 64 KiB slices that stay in
// the cache for the CTR pass that follows.
class FileCipher final
{
public:
    enum class Direction { Encrypt, Decrypt };

    // `start` must be a multiple of 16; MACs are computed only when it is a MAC boundary.
    FileCipher(const FileKey& key, Direction direction, qint64 start = 0);
    FileCipher(const FileCipher&) = delete;
    FileCipher& operator=(const FileCipher&) = delete;

    // Transforms `size` bytes; `in` may equal `out`.
    void process(const char* in, char* out, qint64 size);
    qint64 position() const { return m_position; }
    bool computesMac() const { return m_mac; }
    // After the last byte: the MACs of the MAC chunks this stream covered, in order (empty
    // when computesMac() is false). Once.
    QList<QByteArray> chunkMacs();
    // For a stream that started at 0, after its last byte: the 8-byte meta-MAC (empty when
    // computesMac() is false). Once.
    QByteArray metaMac();
    // Chunk MACs in file order -> the meta-MAC: ECB-chained into 16 bytes, folded to 8.
    static QByteArray condenseMacs(QByteArrayView aesKey, const QList<QByteArray>& macs);

private:
    void macFeed(const char* data, qint64 size);
    void macBlocks(const char* data, qint64 size); // whole blocks
    void closeMacChunk();

    Direction m_direction;
    AesBlock m_ctr;
    AesBlock m_cbc;
    QByteArray m_macIv;
    QByteArray m_scratch;
    qint64 m_position;
    bool m_mac;
    qint64 m_macChunkStart = 0;
    qint64 m_macChunkEnd = 0;
    char m_partial[16] = {};
    int m_partialSize = 0;
    char m_lastBlock[16] = {};
    QList<QByteArray> m_chunkMacs;
    QByteArray m_aesKey;
};

} // namespace mf::mega
