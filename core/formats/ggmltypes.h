#pragma once

#include <QString>

namespace mf::formats {

// What GGML's tensor types and llama.cpp's file types are called, and how many bytes a tensor
// type takes per block of elements (from the GGML sources' block definitions).
struct GgmlTypeInfo
{
    const char* name = nullptr; // nullptr: unknown or retired type
    int blockElements = 0;
    int blockBytes = 0;
};

GgmlTypeInfo ggmlTypeInfo(quint32 type);
// "Q4_K", or "type 123" for a type this build does not know.
QString ggmlTypeName(quint32 type);
// general.file_type (llama_ftype) as a quantization name: 15 -> "Q4_K_M"; empty if unknown.
QString ggufFileTypeName(quint32 fileType);

} // namespace mf::formats
