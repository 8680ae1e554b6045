#include "websessions.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

#include <algorithm>

namespace mf::api {

namespace {
const QString StampName = QStringLiteral("web-sessions-ended");

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api", text);
}

// 256 random bits, base64url: fit for a URL's query and a cookie's value as they are.
QByteArray randomSecret()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(bytes.data()),
                                          bytes.size() / 4);
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// What is kept of a secret: a memory dump or a timing difference in the hash table's lookup
// gives nothing that signs anyone in.
QByteArray keyOf(const QByteArray& secret)
{
    return QCryptographicHash::hash(secret, QCryptographicHash::Sha256);
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// Drops the entry of `table` that expires first while it holds `max` or more.
template <typename Table, typename ExpiresOf>
void makeRoom(Table& table, int max, ExpiresOf expiresOf)
{
    while (table.size() >= max) {
        const auto oldest =
            std::min_element(table.begin(), table.end(), [&](const auto& a, const auto& b) {
                return expiresOf(a) < expiresOf(b);
            });
        table.erase(oldest);
    }
}
} // namespace

WebSessions::WebSessions(const QString& vaultDirectory)
    : m_stampPath(QDir(vaultDirectory).filePath(StampName))
{}

QByteArray WebSessions::newCode(int lifetimeSeconds)
{
    const qint64 now = nowMs();
    forgetExpired(now);
    makeRoom(m_codes, MaxCodes, [](qint64 expires) { return expires; });
    const QByteArray code = randomSecret();
    m_codes.insert(keyOf(code),
                   now + 1000 * qint64(std::clamp(lifetimeSeconds, 1, MaxCodeLifetimeSeconds)));
    return code;
}

std::optional<WebSessions::Session> WebSessions::redeem(const QByteArray& code)
{
    const qint64 now = nowMs();
    forgetExpired(now);
    // Taken out whatever happens next: a code is good once.
    if (code.isEmpty() || !m_codes.remove(keyOf(code)))
        return std::nullopt;
    makeRoom(m_sessions, MaxSessions, [](const Kept& k) { return k.expiresMs; });
    Session session{randomSecret(), randomSecret(), now + 1000 * qint64(SessionLifetimeSeconds)};
    m_sessions.insert(keyOf(session.id), Kept{session.csrf, now, session.expiresMs});
    return session;
}

std::optional<WebSessions::Session> WebSessions::find(const QByteArray& sessionId)
{
    if (sessionId.isEmpty())
        return std::nullopt;
    const qint64 now = nowMs();
    const auto found = m_sessions.constFind(keyOf(sessionId));
    if (found == m_sessions.cend())
        return std::nullopt;
    if (found->expiresMs <= now || found->createdMs <= endedBeforeMs()) {
        m_sessions.remove(keyOf(sessionId));
        return std::nullopt;
    }
    return Session{QByteArray(), found->csrf, found->expiresMs};
}

void WebSessions::end(const QByteArray& sessionId)
{
    if (!sessionId.isEmpty())
        m_sessions.remove(keyOf(sessionId));
}

bool WebSessions::endAll(QString* error)
{
    m_sessions.clear();
    m_codes.clear();
    return endAllSessions(QFileInfo(m_stampPath).path(), error);
}

bool WebSessions::endAllSessions(const QString& vaultDirectory, QString* error)
{
    const QString path = QDir(vaultDirectory).filePath(StampName);
    QSaveFile stamp(path);
    if (!stamp.open(QIODevice::WriteOnly) || stamp.write(QByteArray::number(nowMs()) + '\n') < 0 ||
        !stamp.commit()) {
        if (error)
            *error =
                tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), stamp.errorString());
        return false;
    }
    return true;
}

QByteArray WebSessions::sessionIdFromCookies(const QByteArray& cookieHeader)
{
    const QByteArray name = QByteArray(CookieName) + '=';
    for (const QByteArray& part : cookieHeader.split(';')) {
        const QByteArray pair = part.trimmed();
        if (pair.startsWith(name))
            return pair.mid(name.size());
    }
    return {};
}

void WebSessions::forgetExpired(qint64 now)
{
    m_codes.removeIf([now](const auto& entry) { return entry.value() <= now; });
    m_sessions.removeIf([now](const auto& entry) { return entry.value().expiresMs <= now; });
}

qint64 WebSessions::endedBeforeMs()
{
    // The stamp is read again only when it changed: a stat per request, no read.
    const QFileInfo info(m_stampPath);
    const qint64 modified = info.exists() ? info.lastModified().toMSecsSinceEpoch() : 0;
    if (modified != m_stampModifiedMs) {
        m_stampModifiedMs = modified;
        QFile stamp(m_stampPath);
        m_endedBeforeMs =
            stamp.open(QIODevice::ReadOnly) ? stamp.read(32).trimmed().toLongLong() : 0;
    }
    return m_endedBeforeMs;
}

} // namespace mf::api
