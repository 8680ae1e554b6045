#pragma once

#include "providerjob.h"

#include <QIODevice>

#include <memory>

namespace mf {

class Provider;

// Puts a chunk over a copy known to be bad (missing or corrupt): removes the old object first,
// so the put cannot find it and count it as already stored, then puts the bytes. Works for
// every adapter, since it uses only the Provider contract. Results are the put's.
class ReplaceJob final : public ProviderJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplaceJob)

public:
    // Holds its lease on `provider` until it goes.
    ReplaceJob(std::shared_ptr<Provider> provider, const QString& oldLocator, const QString& cid,
               std::unique_ptr<QIODevice> source, qint64 size, QObject* parent = nullptr);
    ~ReplaceJob() override;

private:
    void doStart() override;
    void doAbort() override;
    void onRemoved();
    void onPut();

    std::shared_ptr<Provider> m_provider;
    QString m_oldLocator;
    QString m_cid;
    std::unique_ptr<QIODevice> m_source;
    qint64 m_size;
    ProviderJob* m_step = nullptr; // the remove, then the put
};

} // namespace mf
