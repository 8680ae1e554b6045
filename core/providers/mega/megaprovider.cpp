#include "megaprovider.h"

#include "chunking/cid.h"
#include "providers/network/stepsjob.h"

#include <QJsonArray>

namespace mf {

using namespace mega;

namespace {
// A job that was aborted (or deleted) while it waited for the session or the tree goes no
// further: nothing more is sent for it.
bool stillWaiting(const QPointer<QObject>& job)
{
    const auto* j = qobject_cast<const ProviderJob*>(job.data());
    return j && !j->isFinished();
}
} // namespace

MegaProvider::MegaProvider(const QString& displayName, const ProviderContext& context,
                           const QString& secretsKey, const Options& options)
    : NetworkProvider(displayName, context, secretsKey, options.concurrency)
    , m_options(options)
    , m_api(network(), options.apiUrl)
{
    m_api.setWhat(tr("MEGA (“%1”)").arg(displayName));
    connect(&m_api, &mega::Api::serverBusy, this, &NetworkProvider::noteServerBusy);
}

MegaProvider::~MegaProvider() = default;

QString MegaProvider::makeLocator(const QString& handle, const QByteArray& sealedKey)
{
    return handle + QLatin1Char(':') + QString::fromLatin1(base64urlEncode(sealedKey));
}

bool MegaProvider::parseLocator(const QString& locator, QString* handle, QByteArray* sealedKey)
{
    const qsizetype colon = locator.indexOf(QLatin1Char(':'));
    if (colon != 8)
        return false;
    const auto key = base64urlDecode(locator.mid(colon + 1).toLatin1());
    if (!key || key->size() != NodeKeySize)
        return false;
    for (const QChar c : locator.left(colon))
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('-') &&
            c != QLatin1Char('_'))
            return false;
    *handle = locator.left(colon);
    *sealedKey = *key;
    return true;
}

QString MegaProvider::where() const
{
    return tr("MEGA (“%1”)").arg(displayName());
}

void MegaProvider::command(MegaJob* job, const QJsonObject& cmd,
                           std::function<void(const mega::Reply&)> then)
{
    m_api.call(job, cmd, [job, then = std::move(then)](const mega::Reply& r) {
        if (!job->isFinished())
            then(r);
    });
}

Error MegaProvider::sessionEndedError() const
{
    return Error::make(Error::Kind::Authentication,
                       tr("MEGA ended the session of “%1” (signed out elsewhere, or the password "
                          "was changed). Sign in again: `modelfloat-cli provider auth %1`, or "
                          "“Sign in…” on the provider in the app.")
                           .arg(displayName()));
}

Error MegaProvider::notSignedInError() const
{
    return Error::make(Error::Kind::Authentication,
                       tr("“%1” is not signed in to MEGA. Sign in: `modelfloat-cli provider auth "
                          "%1`, or “Sign in…” on the provider in the app.")
                           .arg(displayName()));
}

std::optional<FileKey> MegaProvider::openKey(const QByteArray& sealedKey) const
{
    if (sealedKey.size() != NodeKeySize)
        return std::nullopt;
    return unpackFileKey(ecbDecrypt(m_session.masterKey, sealedKey));
}

void MegaProvider::ensureSession(MegaJob* job, Ready then)
{
    if (m_api.isSessionEnded())
        return then(sessionEndedError());
    if (m_sessionReady)
        return then(Error::none());
    m_sessionWaiters.emplace_back(job, std::move(then));
    if (m_signingIn)
        return;
    const auto flush = [this](const Error& e) {
        auto waiters = std::move(m_sessionWaiters);
        m_sessionWaiters.clear();
        for (auto& w : waiters)
            if (stillWaiting(w.first))
                w.second(e);
    };
    if (const auto s = Session::fromSecrets(secrets())) {
        m_session = *s;
        m_api.setSessionId(s->sid);
        m_sessionReady = true;
        return flush(Error::none());
    }
    const QString password = secrets().value(QStringLiteral("password")).toString();
    if (password.isEmpty())
        return flush(notSignedInError());
    // Settings being tried before they are saved: a sign-in of our own, kept in memory only.
    m_signingIn = true;
    auto* signIn = new SignIn(&m_api, m_options.email, password,
                              secrets().value(QStringLiteral("twoFactorCode")).toString(), this);
    connect(signIn, &SignIn::finished, this, [this, signIn, flush] {
        signIn->deleteLater();
        m_signingIn = false;
        if (signIn->error().ok()) {
            m_session = signIn->session();
            m_api.setSessionId(m_session.sid);
            m_sessionReady = true;
        }
        flush(signIn->error());
    });
    signIn->start();
}

void MegaProvider::ensureTree(MegaJob* job, bool refresh, Ready then)
{
    if (m_treeLoaded && !refresh)
        return then(Error::none());
    m_treeWaiters.emplace_back(job, std::move(then));
    if (m_treeLoading)
        return;
    m_treeLoading = true;
    m_api.call(this, {{QStringLiteral("a"), QStringLiteral("f")}, {QStringLiteral("c"), 1}},
               [this](const Reply& r) { onTree(r); });
}

namespace {

// The encrypted key in a node's "k" ("<owner>:<key>[/<share>:<key>...]") that our user holds.
QByteArray sealedKeyOf(const QString& k, const QString& userHandle)
{
    QByteArray first;
    for (const QString& pair : k.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        const qsizetype colon = pair.indexOf(QLatin1Char(':'));
        if (colon < 0)
            continue;
        const QByteArray key =
            base64urlDecode(pair.mid(colon + 1).toLatin1()).value_or(QByteArray());
        if (pair.left(colon) == userHandle)
            return key;
        if (first.isEmpty())
            first = key;
    }
    return first;
}

} // namespace

void MegaProvider::onTree(const Reply& r)
{
    if (r.error)
        return treeDone(r.code == -15 ? sessionEndedError() : r.error);
    const QJsonArray nodes = r.value.toObject().value(QStringLiteral("f")).toArray();
    QString root;
    for (const QJsonValue& v : nodes)
        if (v.toObject().value(QStringLiteral("t")).toInt() == 2)
            root = v.toObject().value(QStringLiteral("h")).toString();
    if (root.isEmpty())
        return treeDone(
            Error::make(Error::Kind::Fatal, what(tr("Reading"), tr("the file tree")) +
                                                tr(": the account has no Cloud Drive")));
    // The folder: the oldest folder of that name in the Cloud Drive.
    QString folder;
    qint64 folderTime = 0;
    for (const QJsonValue& v : nodes) {
        const QJsonObject n = v.toObject();
        if (n.value(QStringLiteral("t")).toInt() != 1 ||
            n.value(QStringLiteral("p")).toString() != root)
            continue;
        const QByteArray sealed =
            sealedKeyOf(n.value(QStringLiteral("k")).toString(), m_session.userHandle);
        if (sealed.size() != KeySize)
            continue;
        const QByteArray folderKey = ecbDecrypt(m_session.masterKey, sealed);
        const auto attrs = decryptAttributes(
            folderKey, base64urlDecode(n.value(QStringLiteral("a")).toString().toLatin1())
                           .value_or(QByteArray()));
        const qint64 ts = n.value(QStringLiteral("ts")).toInteger();
        if (attrs && attrs->value(QStringLiteral("n")).toString() == m_options.folder &&
            (folder.isEmpty() || ts < folderTime)) {
            folder = n.value(QStringLiteral("h")).toString();
            folderTime = ts;
        }
    }
    if (folder.isEmpty())
        return createFolder(root);
    m_folderHandle = folder;
    m_treeTime = r.serverTime;
    m_index.clear();
    m_cidOf.clear();
    m_catalog.clear();
    for (const QJsonValue& v : nodes) {
        const QJsonObject n = v.toObject();
        if (n.value(QStringLiteral("t")).toInt() != 0 ||
            n.value(QStringLiteral("p")).toString() != folder)
            continue;
        Node node;
        node.handle = n.value(QStringLiteral("h")).toString();
        node.size = n.value(QStringLiteral("s")).toInteger(-1);
        node.sealedKey = sealedKeyOf(n.value(QStringLiteral("k")).toString(), m_session.userHandle);
        const auto key = openKey(node.sealedKey);
        if (!key)
            continue;
        const auto attrs = decryptAttributes(
            key->aesKey, base64urlDecode(n.value(QStringLiteral("a")).toString().toLatin1())
                             .value_or(QByteArray()));
        const QString name = attrs ? attrs->value(QStringLiteral("n")).toString() : QString();
        node.ts = n.value(QStringLiteral("ts")).toInteger();
        if (attrs && attrs->value(QLatin1String(CatalogAttribute)).toInt() == 1) {
            if (isValidCatalogName(name))
                m_catalog.insert(name, node);
        } else if (cid::isValid(name)) {
            addNode(name, node);
        }
    }
    treeDone(Error::none());
}

void MegaProvider::createFolder(const QString& root)
{
    const QByteArray folderKey = FileKey::random().aesKey;
    const QJsonObject node{
        {QStringLiteral("h"), QStringLiteral("xxxxxxxx")},
        {QStringLiteral("t"), 1},
        {QStringLiteral("a"), QString::fromLatin1(base64urlEncode(encryptAttributes(
                                  folderKey, {{QStringLiteral("n"), m_options.folder}})))},
        {QStringLiteral("k"),
         QString::fromLatin1(base64urlEncode(ecbEncrypt(m_session.masterKey, folderKey)))}};
    m_api.call(this,
               {{QStringLiteral("a"), QStringLiteral("p")},
                {QStringLiteral("t"), root},
                {QStringLiteral("n"), QJsonArray{node}},
                {QStringLiteral("i"), QString::fromLatin1(requestTag())}},
               [this](const Reply& r) {
                   if (r.error)
                       return treeDone(r.code == -15 ? sessionEndedError() : r.error);
                   const QJsonArray made = r.value.toObject().value(QStringLiteral("f")).toArray();
                   m_folderHandle =
                       made.isEmpty() ? QString()
                                      : made.at(0).toObject().value(QStringLiteral("h")).toString();
                   if (m_folderHandle.isEmpty())
                       return treeDone(Error::make(
                           Error::Kind::Fatal,
                           what(tr("Creating"), tr("the folder “%1”").arg(m_options.folder)) +
                               tr(": MEGA's answer has no folder in it")));
                   m_index.clear();
                   m_cidOf.clear();
                   m_catalog.clear();
                   treeDone(Error::none());
               });
}

void MegaProvider::treeDone(const Error& e)
{
    m_treeLoading = false;
    m_treeLoaded = e.ok();
    auto waiters = std::move(m_treeWaiters);
    m_treeWaiters.clear();
    for (auto& w : waiters)
        if (stillWaiting(w.first))
            w.second(e);
}

void MegaProvider::addNode(const QString& cid, const Node& node)
{
    // Names are not unique on MEGA: the first node of a CID stays the one we use.
    if (!m_index.contains(cid))
        m_index.insert(cid, node);
    m_cidOf.insert(node.handle, cid);
}

void MegaProvider::forgetHandle(const QString& handle)
{
    const QString cid = m_cidOf.take(handle);
    if (!cid.isEmpty() && m_index.value(cid).handle == handle)
        m_index.remove(cid);
}

ProviderJob* MegaProvider::stat(const QString& locator)
{
    return new MegaJob(this, [this, locator](MegaJob& job) {
        QString handle;
        QByteArray sealed;
        if (!parseLocator(locator, &handle, &sealed))
            return job.complete(notAnObjectName(locator));
        MegaJob* j = &job;
        ensureSession(j, [this, j, handle](const Error& e) {
            if (e)
                return j->complete(e);
            command(
                j, {{QStringLiteral("a"), QStringLiteral("g")}, {QStringLiteral("n"), handle}},
                [this, j, handle](const Reply& r) {
                    if (r.code == -15)
                        return j->complete(sessionEndedError());
                    if (r.code == -9)
                        return j->complete(Error::make(
                            Error::Kind::NotFound,
                            what(tr("Checking"), tr("node %1").arg(handle)) + tr(": not found")));
                    if (r.error)
                        return j->complete(r.error);
                    j->setObjectSize(r.value.toObject().value(QStringLiteral("s")).toInteger(-1));
                    j->complete(Error::none());
                });
        });
    });
}

ProviderJob* MegaProvider::remove(const QString& locator)
{
    return new MegaJob(this, [this, locator](MegaJob& job) {
        QString handle;
        QByteArray sealed;
        if (!parseLocator(locator, &handle, &sealed))
            return job.complete(notAnObjectName(locator));
        MegaJob* j = &job;
        ensureSession(j, [this, j, handle](const Error& e) {
            if (e)
                return j->complete(e);
            command(j,
                    {{QStringLiteral("a"), QStringLiteral("d")},
                     {QStringLiteral("n"), handle},
                     {QStringLiteral("i"), QString::fromLatin1(requestTag())}},
                    [this, j, handle](const Reply& r) {
                        if (r.code == -15)
                            return j->complete(sessionEndedError());
                        if (r.error && r.code != -9) // already gone is what we want
                            return j->complete(r.error);
                        forgetHandle(handle);
                        j->complete(Error::none());
                    });
        });
    });
}

ProviderJob* MegaProvider::list()
{
    return new MegaJob(this, [this](MegaJob& job) {
        MegaJob* j = &job;
        ensureSession(j, [this, j](const Error& e) {
            if (e)
                return j->complete(e);
            ensureTree(j, true, [this, j](const Error& te) {
                if (te)
                    return j->complete(te);
                // The index is by file name, which is the chunk's CID.
                for (auto it = m_index.cbegin(); it != m_index.cend(); ++it)
                    j->objects().append(
                        {makeLocator(it->handle, it->sealedKey), it->size, it.key()});
                j->complete(Error::none());
            });
        });
    });
}

ProviderJob* MegaProvider::usage()
{
    return new MegaJob(this, [this](MegaJob& job) {
        MegaJob* j = &job;
        ensureSession(j, [this, j](const Error& e) {
            if (e)
                return j->complete(e);
            command(j,
                    {{QStringLiteral("a"), QStringLiteral("uq")},
                     {QStringLiteral("strg"), 1},
                     {QStringLiteral("xfer"), 1}},
                    [this, j](const Reply& r) {
                        if (r.code == -15)
                            return j->complete(sessionEndedError());
                        if (r.error)
                            return j->complete(r.error);
                        const QJsonObject o = r.value.toObject();
                        ProviderUsage u;
                        u.quotaBytes = o.value(QStringLiteral("mstrg")).toInteger(-1);
                        u.usedBytes = o.value(QStringLiteral("cstrg")).toInteger(-1);
                        if (u.quotaBytes >= 0 && u.usedBytes >= 0)
                            u.availableBytes = qMax<qint64>(0, u.quotaBytes - u.usedBytes);
                        j->setUsage(u);
                        j->complete(Error::none());
                    });
        });
    });
}

} // namespace mf
