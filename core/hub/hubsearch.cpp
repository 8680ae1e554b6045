#include "hubsearch.h"

#include "hubclient.h"
#include "hubrepo.h"
#include "providers/network/httpexchange.h"
#include "variants.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace mf {

namespace hubsearch {

bool parseResults(const QByteArray& json, QList<HubSearchResult>* results, QString* error)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isArray()) {
        *error = QObject::tr("the Hub's answer is not a list of models");
        return false;
    }
    const QJsonArray list = doc.array();
    if (list.size() > MaxResults) {
        *error = QObject::tr("the Hub answered %1 models where at most %2 were asked for")
                     .arg(list.size())
                     .arg(MaxResults);
        return false;
    }
    results->clear();
    for (const QJsonValue& v : list) {
        const QJsonObject o = v.toObject();
        HubSearchResult r;
        QString revision, why;
        const QString id = o.value(QStringLiteral("id")).toString();
        // The id becomes a URL path and a model name: only a real repo id, written as one.
        if (id.isEmpty() || hubrepo::parseRepoId(id, &revision, &why) != id || !revision.isEmpty())
            continue;
        r.id = id;
        r.downloads = qMax<qint64>(0, o.value(QStringLiteral("downloads")).toInteger());
        r.likes = qMax<qint64>(0, o.value(QStringLiteral("likes")).toInteger());
        const QJsonValue gated = o.value(QStringLiteral("gated"));
        r.gated = gated.isString() || gated.toBool();
        for (const QJsonValue& s : o.value(QStringLiteral("siblings")).toArray()) {
            const QString path = s.toObject().value(QStringLiteral("rfilename")).toString();
            if (path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive)) {
                const QString q = variants::ggufQuantization(path);
                if (!q.isEmpty() && !r.quantizations.contains(q))
                    r.quantizations.append(q);
            } else if (path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive)) {
                r.safetensors = true;
            }
        }
        results->append(r);
    }
    return true;
}

} // namespace hubsearch

HubSearchJob::HubSearchJob(HubClient* client, const QString& query, int limit, QObject* parent)
    : HubQuery(client, parent)
    , m_query(query.trimmed())
    , m_limit(qBound(1, limit, hubsearch::MaxResults))
{}

void HubSearchJob::start()
{
    const QString what = tr("Searching the Hub for “%1”").arg(m_query);
    if (client()->settings().offline) {
        QMetaObject::invokeMethod(
            this,
            [this] {
                complete(Error::make(Error::Kind::Fatal,
                                     tr("Offline: the Hub is not searched in offline mode")));
            },
            Qt::QueuedConnection);
        return;
    }
    QUrl url = client()->apiUrl(QStringLiteral("/api/models"));
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("search"), m_query);
    q.addQueryItem(QStringLiteral("sort"), QStringLiteral("downloads"));
    q.addQueryItem(QStringLiteral("direction"), QStringLiteral("-1"));
    q.addQueryItem(QStringLiteral("limit"), QString::number(m_limit));
    // What the list shows, and the file names the quantizations are read from.
    for (const char* field : {"downloads", "likes", "gated", "siblings"})
        q.addQueryItem(QStringLiteral("expand"), QString::fromLatin1(field));
    url.setQuery(q);
    // A model with many files lists them all: 50 of them fit in a few MiB.
    HttpExchange* asked = exchange(url, what, {}, 16 * 1024 * 1024);
    connect(asked, &HttpExchange::finished, this, [this, asked, what] {
        asked->deleteLater();
        if (!asked->error().ok()) {
            complete(client()->exchangeError(*asked));
            return;
        }
        QString why;
        if (!hubsearch::parseResults(asked->body(), &m_results, &why)) {
            complete(Error::make(Error::Kind::Fatal, tr("%1: %2").arg(what, why)));
            return;
        }
        complete(Error::none());
    });
    asked->start();
}

} // namespace mf
