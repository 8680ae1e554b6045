#pragma once

#include "registryconnection.h"

#include <QString>

#include <functional>

namespace mf {

class Registry;

// What every class of registry rows (ModelRows, PlacementRows, ...) shares: the one connection
// its queries run on, and the registry that owns it, for a step that belongs to another concern
// (completing a model counts its copies). The rows' own files use fail(), transaction() and
// RegistryQuery (registryquery.h) as if the connection were theirs.
class RegistryRows
{
    Q_DISABLE_COPY_MOVE(RegistryRows)

protected:
    RegistryRows(Registry& registry, RegistryConnection& connection)
        : m_registry(registry)
        , m_db(connection)
    {}
    ~RegistryRows() = default;

    bool fail(const QString& what, const QString& detail) { return m_db.fail(what, detail); }
    bool transaction(const std::function<bool()>& work) { return m_db.transaction(work); }

    Registry& m_registry;
    RegistryConnection& m_db;

private:
    friend class RegistryQuery;
};

} // namespace mf
