#include "megacrypto.h"

#include "aesblock.h"

#include <QJsonDocument>
#include <QRegularExpression>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

namespace mf::mega {

namespace {

const unsigned char* bytes(QByteArrayView v)
{
    return reinterpret_cast<const unsigned char*>(v.data());
}

QByteArray randomBytes(int n)
{
    QByteArray out(n, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), n) != 1)
        qFatal("OpenSSL's random generator failed"); // never weaken keys silently
    return out;
}

// One whole-block AES pass (ECB or CBC with a zero IV) in either direction.
QByteArray aesBlocks(const EVP_CIPHER* cipher, bool encrypt, QByteArrayView key,
                     QByteArrayView data)
{
    if (key.size() != KeySize || data.size() % 16 != 0)
        return {};
    AesBlock aes(cipher, key, encrypt);
    QByteArray out(data.size(), Qt::Uninitialized);
    aes.run(data.data(), out.data(), data.size());
    return out;
}

struct BnDeleter
{
    void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

// Reads one MPI (16-bit big-endian bit count, then the magnitude) at *pos.
Bn readMpi(QByteArrayView data, qsizetype* pos)
{
    if (*pos + 2 > data.size())
        return nullptr;
    const int bits = (quint8(data[*pos]) << 8) | quint8(data[*pos + 1]);
    const qsizetype length = (bits + 7) / 8;
    if (bits == 0 || *pos + 2 + length > data.size())
        return nullptr;
    Bn n(BN_bin2bn(bytes(data.sliced(*pos + 2, length)), int(length), nullptr));
    *pos += 2 + length;
    return n;
}

} // namespace

QByteArray base64urlEncode(QByteArrayView b)
{
    return QByteArray(b.data(), b.size())
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<QByteArray> base64urlDecode(QByteArrayView text)
{
    QByteArray t(text.data(), text.size());
    t.replace('+', '-').replace('/', '_');
    while (t.endsWith('='))
        t.chop(1);
    if (t.size() % 4 == 1)
        return std::nullopt; // no whole byte in a lone sextet
    for (const char c : std::as_const(t))
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return std::nullopt;
    auto r = QByteArray::fromBase64Encoding(t, QByteArray::Base64UrlEncoding |
                                                   QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        return std::nullopt;
    return r.decoded;
}

QByteArray ecbEncrypt(QByteArrayView key, QByteArrayView data)
{
    return aesBlocks(EVP_aes_128_ecb(), true, key, data);
}

QByteArray ecbDecrypt(QByteArrayView key, QByteArrayView data)
{
    return aesBlocks(EVP_aes_128_ecb(), false, key, data);
}

QByteArray cbc0Encrypt(QByteArrayView key, QByteArrayView data)
{
    return aesBlocks(EVP_aes_128_cbc(), true, key, data);
}

QByteArray cbc0Decrypt(QByteArrayView key, QByteArrayView data)
{
    return aesBlocks(EVP_aes_128_cbc(), false, key, data);
}

QByteArray prepareKeyV1(QByteArrayView password)
{
    QByteArray padded(password.data(), password.size());
    padded.append(QByteArray((16 - padded.size() % 16) % 16, '\0'));
    if (padded.isEmpty())
        padded = QByteArray(16, '\0');
    // One key schedule per 16 password bytes, kept for the 65536 rounds.
    std::vector<std::unique_ptr<AesBlock>> keys;
    for (qsizetype i = 0; i < padded.size(); i += 16)
        keys.push_back(std::make_unique<AesBlock>(EVP_aes_128_ecb(),
                                                  QByteArrayView(padded).sliced(i, 16), true));
    QByteArray pkey = QByteArray::fromHex("93C467E37DB0C7A4D1BE3F810152CB56");
    for (int r = 0; r < 65536; ++r)
        for (const auto& k : keys)
            k->run(pkey.constData(), pkey.data(), 16);
    return pkey;
}

QByteArray stringHash(QByteArrayView email, QByteArrayView passwordKey)
{
    QByteArray h(16, '\0');
    for (qsizetype i = 0; i < email.size(); ++i)
        h[i % 16] = char(h[i % 16] ^ email[i]); // word i%4 ^= big-endian word i, byte by byte
    AesBlock aes(EVP_aes_128_ecb(), passwordKey, true);
    for (int r = 0; r < 16384; ++r)
        aes.run(h.constData(), h.data(), 16);
    return h.mid(0, 4) + h.mid(8, 4);
}

DerivedKeys deriveKeysV1(QByteArrayView password, QByteArrayView email)
{
    DerivedKeys k;
    k.passwordKey = prepareKeyV1(password);
    k.userHash = base64urlEncode(stringHash(email, k.passwordKey));
    return k;
}

DerivedKeys deriveKeysV2(QByteArrayView password, QByteArrayView salt)
{
    unsigned char dk[32];
    PKCS5_PBKDF2_HMAC(password.data(), int(password.size()), bytes(salt), int(salt.size()), 100000,
                      EVP_sha512(), sizeof dk, dk);
    DerivedKeys k;
    k.passwordKey = QByteArray(reinterpret_cast<const char*>(dk), 16);
    k.userHash = base64urlEncode(QByteArrayView(reinterpret_cast<const char*>(dk) + 16, 16));
    OPENSSL_cleanse(dk, sizeof dk);
    return k;
}

FileKey FileKey::random()
{
    const QByteArray r = randomBytes(KeySize + NonceSize);
    return FileKey{r.left(KeySize), r.mid(KeySize), {}};
}

QByteArray packFileKey(const FileKey& key)
{
    const QByteArray tail = key.nonce + key.metaMac;
    QByteArray out(NodeKeySize, '\0');
    for (int i = 0; i < 16; ++i)
        out[i] = char(key.aesKey[i] ^ tail[i]);
    out.replace(16, 16, tail);
    return out;
}

std::optional<FileKey> unpackFileKey(QByteArrayView k)
{
    if (k.size() != NodeKeySize)
        return std::nullopt;
    FileKey key;
    key.aesKey = QByteArray(KeySize, '\0');
    for (int i = 0; i < 16; ++i)
        key.aesKey[i] = char(k[i] ^ k[i + 16]);
    key.nonce = QByteArray(k.data() + 16, NonceSize);
    key.metaMac = QByteArray(k.data() + 24, MetaMacSize);
    return key;
}

QByteArray encryptAttributes(QByteArrayView aesKey, const QJsonObject& attributes)
{
    QByteArray plain = "MEGA" + QJsonDocument(attributes).toJson(QJsonDocument::Compact);
    plain.append(QByteArray((16 - plain.size() % 16) % 16, '\0'));
    return cbc0Encrypt(aesKey, plain);
}

std::optional<QJsonObject> decryptAttributes(QByteArrayView aesKey, QByteArrayView ciphertext)
{
    QByteArray plain = cbc0Decrypt(aesKey, ciphertext);
    if (!plain.startsWith("MEGA{\""))
        return std::nullopt;
    while (plain.endsWith('\0'))
        plain.chop(1);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(plain.mid(4), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

QString fileLink(const QString& handle, QByteArrayView nodeKey)
{
    return QStringLiteral("https://mega.nz/file/%1#%2")
        .arg(handle, QString::fromLatin1(base64urlEncode(nodeKey)));
}

bool parseFileLink(const QString& link, QString* handle, QByteArray* nodeKey)
{
    static const QRegularExpression re(QStringLiteral(
        "^https?://(?:www\\.)?mega\\.(?:nz|co\\.nz)/(?:file/([A-Za-z0-9_-]{8})#|#!([A-Za-z0-9_-]"
        "{8})!)([A-Za-z0-9_+/=-]{43,44})$"));
    const QRegularExpressionMatch m = re.match(link.trimmed());
    if (!m.hasMatch())
        return false;
    const auto key = base64urlDecode(m.captured(3).toLatin1());
    if (!key || key->size() != NodeKeySize)
        return false;
    *handle = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
    *nodeKey = *key;
    return true;
}

std::optional<QByteArray> decryptSessionId(QByteArrayView privateKey, QByteArrayView csid)
{
    qsizetype pos = 0;
    const Bn p = readMpi(privateKey, &pos);
    const Bn q = readMpi(privateKey, &pos);
    const Bn d = readMpi(privateKey, &pos);
    qsizetype cpos = 0;
    const Bn c = readMpi(csid, &cpos);
    if (!p || !q || !d || !c)
        return std::nullopt;
    std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), &BN_CTX_free);
    Bn n(BN_new());
    Bn m(BN_new());
    if (!ctx || !n || !m || !BN_mul(n.get(), p.get(), q.get(), ctx.get()) ||
        BN_cmp(c.get(), n.get()) >= 0 ||
        !BN_mod_exp_mont_consttime(m.get(), c.get(), d.get(), n.get(), ctx.get(), nullptr))
        return std::nullopt;
    QByteArray plain(BN_num_bytes(m.get()), '\0');
    BN_bn2bin(m.get(), reinterpret_cast<unsigned char*>(plain.data()));
    if (plain.size() < SessionIdBytes)
        return std::nullopt;
    return base64urlEncode(plain.left(SessionIdBytes));
}

bool checkTemporarySession(QByteArrayView masterKey, QByteArrayView tsid)
{
    if (tsid.size() != 32 || masterKey.size() != KeySize)
        return false;
    return ecbEncrypt(masterKey, tsid.first(16)) == tsid.sliced(16);
}

QByteArray requestTag()
{
    return base64urlEncode(randomBytes(8)).left(10);
}

} // namespace mf::mega
