#pragma once

#include <QString>

// The one rule for the path of a file inside a model, applied wherever a path enters the vault
// (a float's files, an upload through the API, a Hugging Face import, a manifest from the
// catalog) and wherever one becomes a file again (restore, materialize). A path becomes a file
// under a folder the user chose, on any of the systems ModelFloat runs on, and a line in
// listings and manifests: it is relative, "/"-separated, with no empty, "." or ".." component
// (nothing climbs out), no backslash (a separator elsewhere), none of the characters a model
// name may not hold (modelname.h: controls, line breaks, invisible formatting, undecodable
// bytes), and lengths every file system takes.
namespace mf::modelpath {

constexpr int MaxComponentBytes = 255; // UTF-8 bytes of one component (NAME_MAX)
constexpr int MaxLength = 1024;        // characters (UTF-16 code units) of the whole path

// Empty when `path` is a usable path inside a model; else one sentence that says what is wrong,
// the path shown with its offending characters escaped.
QString problem(const QString& path);
inline bool isValid(const QString& path)
{
    return problem(path).isEmpty();
}

} // namespace mf::modelpath
