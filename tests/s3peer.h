#pragma once

#include "peerprocess.h"

#include <QJsonObject>
#include <QString>
#include <QTemporaryDir>

namespace mf::test {

// A real S3 server for tests: s3rver (which checks no signature) in a temporary folder, behind
// tests/peers/s3-sigv4-proxy.js, which checks every request's SigV4 signature with the AWS SDK's
// signer and every body against its x-amz-content-sha256 (and refuses UNSIGNED-PAYLOAD). Both
// on free ports of 127.0.0.1; the adapter talks to the proxy. The proxy takes a second key pair
// too (OtherAccessKey), for a test whose log must tell two clients apart: each logged line ends
// with " key=<access key id>".
class S3Peer final
{
public:
    static constexpr const char* AccessKey = "S3RVER";
    static constexpr const char* Secret = "S3RVER";
    static constexpr const char* Bucket = "mf-test";
    static constexpr const char* OtherAccessKey = "S3RVER-OTHER";
    static constexpr const char* OtherSecret = "S3RVER-OTHER-SECRET";

    S3Peer();
    ~S3Peer();
    S3Peer(const S3Peer&) = delete;
    S3Peer& operator=(const S3Peer&) = delete;

    // Starts s3rver (with the bucket) and the proxy; false and errorString() if either fails.
    bool start();
    // SIGKILL of the S3 server (the proxy stays, answering with dropped connections).
    void killServer();
    // Starts the server again on the same port and data folder. A put the kill cut short leaves
    // nothing, as on S3, where a PUT is atomic: s3rver writes an object's bytes, its checksum
    // and its metadata as three files, and a half-written metadata file would answer every
    // request for that key with 500 for good.
    bool restartServer();

    QString endpoint() const; // the proxy: "http://127.0.0.1:<port>"
    quint16 proxyPort() const { return m_proxyPort; }
    quint16 serverPort() const { return m_serverPort; }
    QString errorString() const { return m_error; }

    // Requests the proxy saw since start (or the last clearLog()) whose line contains `text`,
    // e.g. "PUT ", "-> 403", "partNumber=". Every request answered before the call is counted.
    int countRequests(const QString& text);
    QString proxyLog();
    void clearLog();

    // The settings of an "s3" provider record pointing at this server.
    QJsonObject providerSettings() const;

private:
    bool startServer();
    void dropUnfinishedPuts();

    QTemporaryDir m_dir;
    PeerProcess m_server;
    PeerProcess m_proxy;
    quint16 m_serverPort = 0;
    quint16 m_proxyPort = 0;
    qsizetype m_logStart = 0;
    int m_marks = 0;
    QString m_error;
};

} // namespace mf::test
