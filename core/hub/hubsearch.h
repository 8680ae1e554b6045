#pragma once

#include "hubquery.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace mf {

// One model the Hub's search found: what a person picks a model by in a list, as LM Studio's
// search shows it (downloads, likes, the GGUF quantizations on offer).
struct HubSearchResult
{
    QString id; // "org/name", checked by the repo id rule
    qint64 downloads = 0;
    qint64 likes = 0;
    bool gated = false;
    QStringList quantizations; // of its GGUF files, in the order the Hub lists them
    bool safetensors = false;  // it has safetensors weights
};

namespace hubsearch {

// The most results one search asks for and accepts: a list a person reads, not a crawl.
inline constexpr int MaxResults = 50;

// GET /api/models?search=…: the models, hostile input checked (an entry whose id is not a repo
// id, or that is not an object, is skipped; more than MaxResults entries are refused as not
// the Hub's answer). False (and *error) when the answer is not a JSON array.
bool parseResults(const QByteArray& json, QList<HubSearchResult>* results, QString* error);

} // namespace hubsearch

// Searches the Hub's models by name, most downloaded first. Offline mode, or a Hub that cannot
// be reached, ends it at once with an error that starts with "Offline".
class HubSearchJob final : public HubQuery
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubSearchJob)

public:
    HubSearchJob(HubClient* client, const QString& query, int limit = 30,
                 QObject* parent = nullptr);
    void start();
    const QString& query() const { return m_query; }
    const QList<HubSearchResult>& results() const { return m_results; }

private:
    QString m_query;
    int m_limit;
    QList<HubSearchResult> m_results;
};

} // namespace mf
