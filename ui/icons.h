#pragma once

#include <QIcon>
#include <QString>

namespace mf::ui {

// The project's own SVG icons (resources/icons/<name>.svg), sharp at any device pixel ratio.
// Loading through here also makes sure the resources of this static library are registered.
QIcon icon(const QString& name);

// The icon of a provider kind ("local", "ipfs", ...); a generic cloud for kinds without one.
QIcon providerKindIcon(const QString& kind);

// Path of an icon inside the resources, for QSvgRenderer or style sheets.
QString iconPath(const QString& name);

} // namespace mf::ui
