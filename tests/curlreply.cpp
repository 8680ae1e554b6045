#include "curlreply.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>

namespace mf::test {

QByteArray CurlReply::header(const QByteArray& name) const
{
    for (const QByteArray& line : head.split('\n'))
        if (line.toLower().startsWith(QByteArray(name.toLower() + ':')))
            return line.mid(name.size() + 1).trimmed();
    return {};
}

QJsonObject CurlReply::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QByteArray CurlReply::describe() const
{
    return "curl exit " + QByteArray::number(curlExit) + ", status " + QByteArray::number(status) +
           "\n" + head + body.left(600) + "\n" + err;
}

CurlReply curlRequest(const QString& url, const QStringList& args, const QString& scratchDir)
{
    QDir().mkpath(scratchDir);
    const QString headFile = scratchDir + QStringLiteral("/head.txt");
    const QString bodyFile = scratchDir + QStringLiteral("/body.bin");
    QFile::remove(headFile);
    QFile::remove(bodyFile);
    QStringList all{QStringLiteral("-sS"),        QStringLiteral("--path-as-is"),
                    QStringLiteral("-D"),         headFile,
                    QStringLiteral("-o"),         bodyFile,
                    QStringLiteral("-w"),         QStringLiteral("%{http_code}"),
                    QStringLiteral("--max-time"), QStringLiteral("120")};
    all << args << url;
    QProcess curl;
    curl.start(QStringLiteral("curl"), all);
    CurlReply r;
    if (!curl.waitForFinished(180'000))
        return r;
    r.curlExit = curl.exitCode();
    r.status = curl.readAllStandardOutput().toInt();
    r.err = curl.readAllStandardError();
    QFile head(headFile);
    if (head.open(QIODevice::ReadOnly))
        r.head = head.readAll();
    QFile body(bodyFile);
    if (body.open(QIODevice::ReadOnly))
        r.body = body.readAll();
    return r;
}

} // namespace mf::test
