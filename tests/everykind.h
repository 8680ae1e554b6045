#pragma once

// One adapter of every kind against a real server of its own, started on 127.0.0.1 by the
// suite: a local folder, s3rver behind the SigV4-checking proxy, rclone's WebDAV server, Apache's
// mod_dav, js-ipfs, and the Google Drive and MEGA test servers (checked against their own
// clients in tst_driveprovider and tst_megaprovider). For the suites that run one part of the
// Provider contract against every kind: tst_catalogobjects (catalog objects) and tst_providerput
// (what put() decides for every kind).

#include "credentials/plaintextcredentialstore.h"
#include "drivepeer.h"
#include "ipfspeer.h"
#include "megapeer.h"
#include "networkprovidertest.h"
#include "providers/network/networkprovider.h"
#include "providers/providerfactory.h"
#include "s3peer.h"
#include "webdavpeer.h"

#include <QDir>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QUuid>
#include <QtTest>

namespace mf::test {

class EveryKind
{
    QTemporaryDir m_dir; // first: the servers keep their files in it, so it goes after them
    int m_nextId = 0;

public:
    // The data column "kind" with a row per kind ("webdav" and "apache" are both WebDAV).
    static void addRows()
    {
        QTest::addColumn<QString>("kind");
        for (const char* k : {"local", "s3", "webdav", "apache", "ipfs", "gdrive", "mega"})
            QTest::newRow(k) << QString::fromLatin1(k);
    }

    // Starts every server; false and `error` when one does not start.
    bool start(QString* error)
    {
        if (!m_dir.isValid())
            return fail(error, QStringLiteral("no temporary folder"));
        if (!s3.start())
            return fail(error, s3.errorString());
        if (!dav.start(m_dir.filePath(QStringLiteral("dav"))))
            return fail(error, dav.errorString());
        if (!apache.start())
            return fail(error, apache.errorString());
        if (!ipfs.start(m_dir.filePath(QStringLiteral("ipfs"))))
            return fail(error, ipfs.errorString() + ipfs.output());
        if (!drive.start())
            return fail(error, drive.errorString());
        if (!mega.start({megaAccount}))
            return fail(error, mega.errorString());
        credentials = std::make_unique<PlaintextCredentialStore>(
            m_dir.filePath(QStringLiteral("credentials.json")));
        return true;
    }

    QString path() const { return m_dir.path(); }
    QString filePath(const QString& name) const { return m_dir.filePath(name); }

    // A provider of `kind` with a store of its own (a folder, a key prefix), retrying quickly.
    std::unique_ptr<Provider> make(const QString& kind, const QString& store = {})
    {
        const QString name = store.isEmpty() ? QStringLiteral("s%1").arg(m_nextId + 1) : store;
        ProviderRecord r;
        r.id = ++m_nextId;
        r.name = kind + QLatin1Char('-') + name;
        QJsonObject secrets;
        if (kind == QLatin1String("local")) {
            r.kind = kind;
            const QString root = m_dir.filePath(QStringLiteral("local-") + name);
            QDir().mkpath(root);
            r.settings.insert(QStringLiteral("path"), root);
        } else if (kind == QLatin1String("s3")) {
            r.kind = kind;
            r.settings = s3.providerSettings();
            r.settings.insert(QStringLiteral("prefix"), QStringLiteral("modelfloat/%1/").arg(name));
            secrets.insert(QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret));
        } else if (kind == QLatin1String("webdav") || kind == QLatin1String("apache")) {
            r.kind = QStringLiteral("webdav");
            r.settings.insert(QStringLiteral("url"),
                              kind == QLatin1String("webdav") ? dav.url() : apache.url());
            r.settings.insert(QStringLiteral("username"), WebDavPeer::user());
            r.settings.insert(QStringLiteral("folder"), name);
            secrets.insert(QStringLiteral("password"), WebDavPeer::password());
        } else if (kind == QLatin1String("gdrive")) {
            // Each store a folder of its own in one Drive.
            r.kind = kind;
            r.settings = {
                {QStringLiteral("clientId"), DrivePeer::clientId()},
                {QStringLiteral("folder"), name},
                {QStringLiteral("apiUrl"), QString(drive.baseUrl() + QLatin1Char('/'))},
                {QStringLiteral("tokenUrl"), QString(drive.baseUrl() + QStringLiteral("/token"))},
                {QStringLiteral("authUrl"),
                 QString(drive.baseUrl() + QStringLiteral("/o/oauth2/v2/auth"))},
                {QStringLiteral("createsPerSecond"), 0}};
            secrets = {{QStringLiteral("clientSecret"), DrivePeer::clientSecret()},
                       {QStringLiteral("refreshToken"), drive.control(QStringLiteral("mint"))
                                                            .value(QStringLiteral("refresh_token"))
                                                            .toString()}};
        } else if (kind == QLatin1String("mega")) {
            // Each store a folder of its own in one account; the adapter signs in with the
            // password.
            r.kind = kind;
            r.settings = {{QStringLiteral("email"), megaAccount.email},
                          {QStringLiteral("folder"), name},
                          {QStringLiteral("apiUrl"), mega.apiUrl()}};
            secrets = {{QStringLiteral("password"), megaAccount.password}};
        } else {
            // One node, one MFS: every IPFS provider of the suite shares the catalog root.
            r.kind = QStringLiteral("ipfs");
            r.settings.insert(QStringLiteral("apiUrl"), ipfs.apiUrl());
        }
        if (!secrets.isEmpty() &&
            !writeSecrets(*credentials, CredentialStore::providerKey(vaultId, r.id), secrets))
            return nullptr;
        ProviderFactory factory;
        QString error;
        std::unique_ptr<Provider> p =
            factory.create(r, ProviderContext{credentials.get(), vaultId, m_dir.path()}, &error);
        if (!p) {
            qWarning("%s", qPrintable(error));
            return nullptr;
        }
        if (auto* n = qobject_cast<NetworkProvider*>(p.get())) {
            RetryPolicy quick;
            quick.maxAttempts = 3;
            quick.baseDelayMs = 20;
            quick.maxDelayMs = 100;
            n->setRetryPolicy(quick);
        }
        return p;
    }

    S3Peer s3;
    WebDavPeer dav;
    ApacheDavPeer apache;
    IpfsPeer ipfs;
    DrivePeer drive;
    MegaPeer mega;
    const MegaPeer::Account megaAccount{
        QStringLiteral("catalog@example.com"), QStringLiteral("catalog-password"), false, {}};
    std::unique_ptr<PlaintextCredentialStore> credentials;
    const QString vaultId = QUuid::createUuid().toString(QUuid::WithoutBraces);

private:
    static bool fail(QString* error, const QString& why)
    {
        *error = why;
        return false;
    }
};

} // namespace mf::test
