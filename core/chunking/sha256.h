#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>

struct evp_md_ctx_st;

namespace mf {

// Incremental SHA-256 through OpenSSL's EVP interface, which uses the CPU's SHA extensions
// where present (QCryptographicHash does not, and is several times slower).
class Sha256 final
{
public:
    static constexpr int DigestSize = 32;

    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    Q_DISABLE_COPY(Sha256)

    void addData(const void* data, qsizetype size);
    void addData(QByteArrayView data) { addData(data.data(), data.size()); }
    // The 32-byte digest of everything added since construction or the last reset().
    QByteArray result();
    void reset();

    // A copy of the running state, to resume from this point later (restore checkpoints).
    Sha256 clone() const;

    static QByteArray hash(QByteArrayView data);
    // The digest of a whole file, read in blocks: blocking, for worker threads only. nullopt
    // when it cannot be read or `cancelled` turned true.
    static std::optional<QByteArray> hashFile(const QString& path,
                                              const std::atomic_bool* cancelled = nullptr);

private:
    struct CtxDeleter
    {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, CtxDeleter> m_ctx;
};

} // namespace mf
