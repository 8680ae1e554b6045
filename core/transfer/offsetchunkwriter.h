#pragma once

#include "providers/chunkwriter.h"
#include "util/directwriter.h"

#include <QString>

#include <memory>

namespace mf {

class FollowingHasher;

// Writes the chunk at its offset into a restore's temporary file, so several chunks can be
// written in parallel. The pages wholly inside the chunk go through `directFd` (O_DIRECT, see
// DirectWriter); the partial pages at its ends, which it shares with its neighbours, go through
// the ordinary `fd`. No page is written by both paths.
class OffsetChunkWriter final : public ChunkWriter
{
public:
    // `hasher` (may be null) is offered every byte written, for the whole-file hash: the
    // staged blocks of the middle as they are, the partial pages as copies. The
    // expected size is `chunkSize` from the start (see setExpectedSize()).
    OffsetChunkWriter(int fd, int directFd, qint64 fileOffset, qint64 chunkSize, QString fileName,
                      FollowingHasher* hasher = nullptr);
    ~OffsetChunkWriter() override;
    void restart() override;

protected:
    bool store(qint64 position, const char* data, qint64 size) override;

private:
    bool fail();

    int m_fd;
    int m_directFd;
    qint64 m_fileOffset;
    qint64 m_chunkSize;
    QString m_fileName;
    FollowingHasher* m_hasher;
    std::unique_ptr<DirectWriter> m_middle; // staging for the aligned middle
    qint64 m_staged = 0;                    // bytes in m_middle's buffer
};

} // namespace mf
