#pragma once

#include <QByteArray>

#include <memory>

namespace mf {

// SHA-256 whose running state can be saved and restored across processes, so an interrupted
// import resumes hashing a file at a chunk boundary instead of reading back everything placed
// before it. (OpenSSL's EVP contexts cannot be serialized; its SHA256_CTX, a plain struct of
// the eight state words, the bit count and the partial block, can. The state describes a prefix
// of public model bytes, so saving it reveals nothing secret.) Same SHA extensions as Sha256.
class ResumableSha256 final
{
public:
    ResumableSha256();
    ~ResumableSha256();
    ResumableSha256(const ResumableSha256&) = delete;
    ResumableSha256& operator=(const ResumableSha256&) = delete;

    void addData(const void* data, qsizetype size);
    QByteArray result() const; // 32 bytes; the state is left as it was
    qint64 bytesHashed() const;

    // The state, tagged with its size so a state from another OpenSSL build is refused.
    QByteArray saveState() const;
    bool restoreState(const QByteArray& state);
    void reset();

private:
    struct Ctx;
    std::unique_ptr<Ctx> m_ctx;
};

} // namespace mf
