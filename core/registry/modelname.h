#pragma once

#include <QString>

// The one rule for model names, applied wherever a name enters the vault (float, import, the
// registry itself; the desktop app's float dialog and the HTTP API ask it too). A name is what
// people read in lists, type on command lines and see in scripts' output, so it must print as one
// line and mean what it shows: no control characters (a newline would break `list`), no invisible
// formatting characters (a right-to-left override can make "gguf.exe" read as "exe.fgug"), no
// undecodable bytes, no spaces at its ends, and a length a table can show. "/" is allowed: names
// imported from the Hugging Face Hub are "org/name".
namespace mf::modelname {

constexpr int MaxLength = 200; // characters (UTF-16 code units)

// Empty when `name` is a usable model name; else one sentence that says what is wrong with it,
// showing the name with its offending characters escaped (so the message itself prints safely).
QString problem(const QString& name);
inline bool isValid(const QString& name)
{
    return problem(name).isEmpty();
}

// `name` + `suffix` within MaxLength: a valid name's end is cut where it must be — never inside
// a surrogate pair, and without leaving spaces before the suffix — so the result is a valid name
// when `name` was and `suffix` starts with a visible character.
QString withSuffix(const QString& name, const QString& suffix);

// `name` for a message or a table cell: characters a name may not hold are shown as \u{XXXX}.
QString escaped(const QString& name);

} // namespace mf::modelname
