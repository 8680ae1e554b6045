#pragma once

#include "records.h"

#include <QJsonArray>
#include <QJsonObject>

namespace mf {

class Registry;
struct ModelSummary;

// The JSON forms of what the vault knows about a model, in one place for every reader: the
// command line's `list --json` and `info --json`, and the HTTP API's /api/v1/models.

// One model as a row of a list.
QJsonObject modelListEntryJson(const ModelRecord& model, const ModelSummary& summary,
                               int wantedReplicas);

// Everything about one model: its files (sizes, hashes, format metadata), health and where its
// chunks are; with `withManifests`, every file's chunks and each chunk's copies too.
QJsonObject modelInfoJson(Registry& registry, const ModelRecord& model, int wantedReplicas,
                          bool withManifests);

// A file's chunks in order, each with every copy the registry knows of: for scripts and other
// tools that check, fetch or repair chunks themselves.
QJsonArray manifestJson(const QList<FileChunk>& chunks,
                        const QHash<QString, QList<Placement>>& placements,
                        const QHash<qint64, QString>& providerNames);

} // namespace mf
