#include "catalogkey.h"

#include "util/hex.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

#include <openssl/crypto.h>

namespace mf {

namespace {

// RFC 4648's base32 alphabet: letters and digits a person does not confuse once 0, 1 and 8
// are left out (a reader maps them back below).
constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr char Prefix[] = "MFK1";
constexpr int CheckBytes = 2;

QByteArray checkBytes(const QByteArray& secret)
{
    return QCryptographicHash::hash(QByteArray(QByteArray("modelfloat recovery key\n") + secret),
                                    QCryptographicHash::Sha256)
        .left(CheckBytes);
}

QString toBase32(const QByteArray& bytes)
{
    QString out;
    quint32 buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | quint8(c);
        bits += 8;
        while (bits >= 5) {
            out += QLatin1Char(Alphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        out += QLatin1Char(Alphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

// nullopt for a character outside the alphabet (after mapping 0 to O, 1 to I and 8 to B).
std::optional<QByteArray> fromBase32(const QString& text, int bytes)
{
    QByteArray out;
    quint32 buffer = 0;
    int bits = 0;
    for (QChar ch : text) {
        char c = char(ch.toUpper().toLatin1());
        if (c == '0')
            c = 'O';
        else if (c == '1')
            c = 'I';
        else if (c == '8')
            c = 'B';
        const char* at = c ? strchr(Alphabet, c) : nullptr;
        if (!at)
            return std::nullopt;
        buffer = (buffer << 5) | quint32(at - Alphabet);
        bits += 5;
        if (bits >= 8) {
            out += char((buffer >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    if (out.size() != bytes)
        return std::nullopt;
    return out;
}

} // namespace

CatalogKey::CatalogKey(const QByteArray& secret)
    : m_secret(secret)
    , m_id(QMessageAuthenticationCode::hash("modelfloat catalog key id", secret,
                                            QCryptographicHash::Sha256)
               .left(8)
               .toHex())
{}

CatalogKey CatalogKey::generate()
{
    QByteArray secret(Size, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(secret.data()),
                                          Size / int(sizeof(quint32)));
    return CatalogKey(secret);
}

std::optional<CatalogKey> CatalogKey::fromRecoveryText(const QString& text, QString* error)
{
    QString compact;
    for (const QChar c : text)
        if (!c.isSpace() && c != QLatin1Char('-'))
            compact += c;
    if (!compact.startsWith(QLatin1String(Prefix), Qt::CaseInsensitive)) {
        *error = QStringLiteral("This is not a ModelFloat recovery key: one starts with “%1-”")
                     .arg(QLatin1String(Prefix));
        return std::nullopt;
    }
    const auto bytes = fromBase32(compact.mid(int(strlen(Prefix))), Size + CheckBytes);
    if (!bytes) {
        *error = QStringLiteral("This recovery key is incomplete or has a character that does "
                                "not belong in one: copy it again whole");
        return std::nullopt;
    }
    const QByteArray secret = bytes->left(Size);
    if (checkBytes(secret) != bytes->mid(Size)) {
        *error = QStringLiteral("This recovery key has a typo: its last characters do not "
                                "match the rest. Copy it again");
        return std::nullopt;
    }
    return CatalogKey(secret);
}

std::optional<CatalogKey> CatalogKey::fromSecrets(const QJsonObject& secrets)
{
    const QByteArray secret =
        QByteArray::fromBase64(secrets.value(QStringLiteral("catalogKey")).toString().toLatin1(),
                               QByteArray::AbortOnBase64DecodingErrors);
    if (secret.size() != Size)
        return std::nullopt;
    return CatalogKey(secret);
}

QJsonObject CatalogKey::toSecrets() const
{
    return {{QStringLiteral("catalogKey"), QString::fromLatin1(m_secret.toBase64())}};
}

QString CatalogKey::recoveryText() const
{
    const QString body = toBase32(m_secret + checkBytes(m_secret));
    QString out = QLatin1String(Prefix);
    for (int i = 0; i < body.size(); i += 5)
        out += QLatin1Char('-') + body.mid(i, 5);
    return out;
}

QByteArray CatalogKey::mac(const QByteArray& data) const
{
    return QMessageAuthenticationCode::hash(data, m_secret, QCryptographicHash::Sha256).toHex();
}

bool CatalogKey::verify(const QByteArray& data, const QByteArray& macHex) const
{
    const QByteArray expected = mac(data);
    return isSha256Hex(macHex) &&
           CRYPTO_memcmp(expected.constData(), macHex.constData(), size_t(expected.size())) == 0;
}

QString catalogKeyName(const QString& vaultId)
{
    return QStringLiteral("modelfloat/%1/catalog-key").arg(vaultId);
}

} // namespace mf
