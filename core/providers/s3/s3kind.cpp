#include "credentials/credentialstore.h"
#include "providers/providerfactory.h"
#include "providers/providerfields.h"
#include "s3provider.h"

namespace mf {

namespace {

ProviderKind s3Kind()
{
    using T = ProviderField::Type;
    ProviderKind k;
    k.id = QStringLiteral("s3");
    k.displayName = QStringLiteral("S3-compatible storage");
    k.description = QStringLiteral("A bucket on AWS S3, MinIO, Ceph, Backblaze B2, Cloudflare R2 "
                                   "or another S3-compatible service.");
    k.fields = {
        {QStringLiteral("endpoint"),
         QStringLiteral("Endpoint URL"),
         T::Url,
         true,
         QStringLiteral("https://s3.eu-central-1.amazonaws.com"),
         QStringLiteral("The service's S3 address, without the bucket."),
         {},
         {}},
        {QStringLiteral("region"),
         QStringLiteral("Region"),
         T::Text,
         false,
         QStringLiteral("us-east-1"),
         QStringLiteral("The bucket's region; most S3-compatible services accept us-east-1."),
         QStringLiteral("us-east-1"),
         {}},
        {QStringLiteral("bucket"),
         QStringLiteral("Bucket"),
         T::Text,
         true,
         QStringLiteral("my-models"),
         QStringLiteral("An existing bucket."),
         {},
         {}},
        {QStringLiteral("addressing"),
         QStringLiteral("Addressing"),
         T::Choice,
         false,
         {},
         QStringLiteral("“path”: the bucket in the URL path (works with every service); "
                        "“virtual”: the bucket in the host name (AWS's default)."),
         QStringLiteral("path"),
         {QStringLiteral("path"), QStringLiteral("virtual")}},
        {QStringLiteral("prefix"),
         QStringLiteral("Key prefix"),
         T::Text,
         false,
         QStringLiteral("modelfloat/<vault id>/"),
         QStringLiteral("Where in the bucket this vault's objects go; empty: "
                        "modelfloat/<vault id>/."),
         {},
         {}},
        {QStringLiteral("accessKeyId"),
         QStringLiteral("Access key id"),
         T::Text,
         true,
         QStringLiteral("AKIAIOSFODNN7EXAMPLE"),
         QStringLiteral("The key's public half."),
         {},
         {}},
        {QStringLiteral("secretAccessKey"),
         QStringLiteral("Secret access key"),
         T::Secret,
         true,
         {},
         QStringLiteral("Kept in the system keychain, never in settings."),
         {},
         {}},
        {QStringLiteral("multipartThreshold"),
         QStringLiteral("Multipart threshold"),
         T::Size,
         false,
         QStringLiteral("64M"),
         QStringLiteral("Objects larger than this are uploaded in parts (at least 5M)."),
         QStringLiteral("64M"),
         {}},
        providerfields::concurrencyField(),
    };
    return k;
}

} // namespace

void registerS3Kind(ProviderFactory& factory)
{
    factory.registerKind(
        s3Kind(), [](const ProviderRecord& r, const ProviderContext& context, QString* error) {
            const auto settings = S3Provider::Settings::fromRecord(r, context.vaultId, error);
            if (!settings)
                return std::unique_ptr<Provider>();
            return std::unique_ptr<Provider>(new S3Provider(
                r.name, *settings, context, CredentialStore::providerKey(context.vaultId, r.id)));
        });
}

} // namespace mf
