#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

// MEGA's client-side cryptography, as MEGA's own clients compute it (the protocol notes in
// shared/protocols/mega.md, sections 1, 4, 5, 6): raw AES-128 ECB for keys, AES-128-CBC with a
// zero IV for attributes, the account-version-1 and -2 key derivations, node-key packing, link
// keys and the RSA-encrypted session id. All on OpenSSL's libcrypto; no MEGA SDK.
// The streaming file cipher (AES-CTR with chunk MACs) is in megacipher.h, the hashcash solver
// in megahashcash.h.
namespace mf::mega {

constexpr int KeySize = 16;     // every AES key is AES-128
constexpr int NonceSize = 8;    // a file's CTR nonce
constexpr int MetaMacSize = 8;  // a file's condensed MAC
constexpr int NodeKeySize = 32; // a file's packed ("merged") node key
constexpr int SessionIdBytes = 43;

// URL-safe base64 without padding (what MEGA writes everywhere).
QByteArray base64urlEncode(QByteArrayView bytes);
// Accepts both alphabets ('-' '_' and '+' '/') with or without padding, as MEGA's decoder does;
// nullopt for anything else.
std::optional<QByteArray> base64urlDecode(QByteArrayView text);

// Raw AES-128 on whole 16-byte blocks: ECB for keys, CBC with an all-zero IV for attributes.
// `key` is 16 bytes, `data` a multiple of 16 bytes (an empty result otherwise).
QByteArray ecbEncrypt(QByteArrayView key, QByteArrayView data);
QByteArray ecbDecrypt(QByteArrayView key, QByteArrayView data);
QByteArray cbc0Encrypt(QByteArrayView key, QByteArrayView data);
QByteArray cbc0Decrypt(QByteArrayView key, QByteArrayView data);

// What a password gives: the key that decrypts the master key, and the `uh` the server checks.
struct DerivedKeys
{
    QByteArray passwordKey; // 16 bytes
    QByteArray userHash;    // base64url, sent as "uh"
};

// Account version 1 (legacy): the password folded into AES keys 65536 times, and the e-mail's
// string hash under the result. `email` must already be lower-cased.
QByteArray prepareKeyV1(QByteArrayView password);
QByteArray stringHash(QByteArrayView email, QByteArrayView passwordKey); // 8 bytes
DerivedKeys deriveKeysV1(QByteArrayView password, QByteArrayView email);
// Account version 2: PBKDF2-HMAC-SHA512, 100,000 iterations, 32 bytes, the salt from `us0`.
DerivedKeys deriveKeysV2(QByteArrayView password, QByteArrayView salt);

// A file's key material: the AES key, the CTR nonce and (once the file is whole) its meta-MAC.
struct FileKey
{
    QByteArray aesKey;  // 16 bytes
    QByteArray nonce;   // 8 bytes
    QByteArray metaMac; // 8 bytes

    // 24 fresh random bytes from OpenSSL's CSPRNG (the meta-MAC left empty).
    static FileKey random();
};

// The 32-byte node key: [aes ^ (nonce || metaMac), nonce, metaMac] ("merge"), and back.
QByteArray packFileKey(const FileKey& key);
std::optional<FileKey> unpackFileKey(QByteArrayView nodeKey);

// Node attributes: "MEGA" + compact JSON, zero-padded to 16 bytes, AES-CBC with a zero IV under
// the file's AES key (a folder's whole key). Returns the ciphertext (not base64).
QByteArray encryptAttributes(QByteArrayView aesKey, const QJsonObject& attributes);
// nullopt when the plaintext does not start with MEGA{" or its JSON does not parse (wrong key).
std::optional<QJsonObject> decryptAttributes(QByteArrayView aesKey, QByteArrayView ciphertext);

// Public link of a file, "https://mega.nz/file/<handle>#<base64url node key>", and back (the
// legacy "https://mega.nz/#!<handle>!<key>" form too). The key is the 32-byte packed key.
QString fileLink(const QString& handle, QByteArrayView nodeKey);
bool parseFileLink(const QString& link, QString* handle, QByteArray* nodeKey);

// The session id of an account with an RSA key pair: `privateKey` is `privk` already decrypted
// with the master key (MPIs p, q, d, u), `csid` the decoded MPI the server sent. Returns the
// base64url of the first 43 bytes of csid^d mod pq, or nullopt for malformed input.
std::optional<QByteArray> decryptSessionId(QByteArrayView privateKey, QByteArrayView csid);
// A temporary session (`tsid`, accounts without RSA keys): valid when its second half is its
// first half encrypted with the master key.
bool checkTemporarySession(QByteArrayView masterKey, QByteArrayView tsid);

// A random request tag for mutating commands ("i"): 10 characters of base64url.
QByteArray requestTag();

} // namespace mf::mega
