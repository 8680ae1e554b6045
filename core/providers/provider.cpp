#include "provider.h"

namespace mf {

Provider::Provider(const QString& displayName, QObject* parent)
    : QObject(parent)
    , m_displayName(displayName)
{}

Provider::~Provider() = default;

} // namespace mf
