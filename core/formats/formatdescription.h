#pragma once

#include <QJsonObject>
#include <QString>

namespace mf::formats {

// What a file's stored format metadata (files.metadata, modelinspector.h) says, in words a person
// reads. One source for the command line (`info`) and the app's model details, so both say the
// same thing about the same file.

// "GGUF · llama · 8.03B parameters · Q4_K_M · context 8192 · chat template", or, for a file whose
// header could not be read, formatProblem(); empty when nothing is known.
QString describeFormat(const QJsonObject& metadata);

// Why the file was floated as a plain file although it looked like a model file ("unreadable
// header: “x.gguf”: not a GGUF file: it does not start with “GGUF”"); empty when its header was
// read or it never looked like one.
QString formatProblem(const QJsonObject& metadata);

} // namespace mf::formats
