// MegaProvider::get: `g` for a download URL, a ranged GET <url>/<start>-<end> from the 16-byte
// boundary below the wanted offset, decryption as the bytes arrive, and for a whole-object read
// the meta-MAC check (a mismatch is Corrupt). A storage server's 509 (transfer quota) and `g`'s
// -17 tell how long MEGA refuses downloads.
#include "megaprovider.h"
#include "megatransfer.h"
#include "providers/network/stepsjob.h"

namespace mf {

using namespace mega;

ProviderJob* MegaProvider::get(const QString& locator, ByteSink* sink, qint64 offset, qint64 length)
{
    return new MegaJob(this, [this, locator, sink, offset, length](MegaJob& job) {
        QString handle;
        QByteArray sealed;
        if (!parseLocator(locator, &handle, &sealed))
            return job.complete(notAnObjectName(locator));
        if (offset < 0)
            return job.complete(Error::make(Error::Kind::Fatal, tr("Negative offset")));
        if (length == 0)
            return job.complete(Error::none());
        MegaJob* j = &job;
        ensureSession(j, [=](const Error& e) {
            if (e)
                return j->complete(e);
            downloadNode(j, handle, sealed, sink, offset, length,
                         [j](const Error& done) { j->complete(done); });
        });
    });
}

void MegaProvider::downloadNode(MegaJob* j, const QString& handle, const QByteArray& sealed,
                                ByteSink* sink, qint64 offset, qint64 length, Ready done)
{
    const QString doing = what(tr("Downloading"), tr("node %1").arg(handle));
    const auto key = openKey(sealed);
    if (!key)
        return done(Error::make(Error::Kind::Corrupt, doing + tr(": its key does not open")));
    command(
        j,
        {{QStringLiteral("a"), QStringLiteral("g")},
         {QStringLiteral("g"), 1},
         {QStringLiteral("n"), handle},
         {QStringLiteral("ssl"), m_options.apiUrl.scheme() == QLatin1String("https") ? 2 : 0}},
        [=](const Reply& r) {
            const QJsonObject o = r.value.toObject();
            const int code = r.code ? r.code : o.value(QStringLiteral("e")).toInt(0);
            if (code == -15)
                return done(sessionEndedError());
            if (code == -17)
                return done(transferQuotaError(doing, tr("downloads from MEGA"),
                                               DefaultTransferQuotaWaitSeconds));
            if (code == -9)
                return done(Error::make(Error::Kind::NotFound, doing + tr(": not found")));
            if (code < 0)
                return done(Api::errorFor(code, doing));
            const QString url = o.value(QStringLiteral("g")).toString();
            const qint64 size = o.value(QStringLiteral("s")).toInteger(-1);
            if (!url.startsWith(QLatin1String("http")) || size < 0)
                return done(
                    Error::make(Error::Kind::Retryable,
                                doing + tr(": MEGA gave no download address (rate limited?)")));
            if (offset >= size && size > 0)
                return done(Error::make(
                    Error::Kind::Fatal,
                    doing + tr(": offset %1 is past its end (%2 bytes)").arg(offset).arg(size)));
            if (size == 0)
                return done(Error::none());
            const qint64 end = length < 0 ? size - 1 : qMin(size, offset + length) - 1;
            const qint64 start = offset & ~qint64(15);
            const bool whole = start == 0 && end == size - 1;
            auto decrypt = std::make_shared<DecryptingSink>(sink, *key, start, offset, whole);
            HttpExchange::Request q;
            q.what = doing;
            q.sink = decrypt.get();
            // A retry asks only for the bytes the sink does not have yet.
            q.build = [url, start, end](const HttpExchange::Attempt& a) {
                return QNetworkRequest(QUrl(
                    QStringLiteral("%1/%2-%3").arg(url).arg(start + a.bytesDelivered).arg(end)));
            };
            q.classify = [doing](int status, const QByteArray&, const QNetworkReply& reply) {
                return storageServerQuota(status, reply, doing, tr("downloads from MEGA"));
            };
            j->send(std::move(q), [decrypt, whole, doing, done](HttpExchange& x) {
                if (x.error())
                    return done(x.error());
                if (whole && !decrypt->macMatches())
                    return done(
                        Error::make(Error::Kind::Corrupt,
                                    doing + tr(": the bytes do not match their MAC (damaged or "
                                               "tampered with on MEGA)")));
                done(Error::none());
            });
        });
}

} // namespace mf
