#include "ggmltypes.h"

#include <array>

namespace mf::formats {

namespace {

constexpr int QK = 256; // elements in a K-quant super-block

// Indexed by ggml_type; retired ids are left empty.
constexpr std::array<GgmlTypeInfo, 43> kTypes = {{
    {"F32", 1, 4},                                    // 0
    {"F16", 1, 2},                                    // 1
    {"Q4_0", 32, 2 + 16},                             // 2
    {"Q4_1", 32, 2 + 2 + 16},                         // 3
    {},                                               // 4 (Q4_2, retired)
    {},                                               // 5 (Q4_3, retired)
    {"Q5_0", 32, 2 + 4 + 16},                         // 6
    {"Q5_1", 32, 2 + 2 + 4 + 16},                     // 7
    {"Q8_0", 32, 2 + 32},                             // 8
    {"Q8_1", 32, 4 + 4 + 32},                         // 9
    {"Q2_K", QK, 2 + 2 + QK / 16 + QK / 4},           // 10
    {"Q3_K", QK, 2 + QK / 4 + QK / 8 + 12},           // 11
    {"Q4_K", QK, 2 + 2 + QK / 2 + 12},                // 12
    {"Q5_K", QK, 2 + 2 + QK / 2 + QK / 8 + 12},       // 13
    {"Q6_K", QK, 2 + QK / 2 + QK / 4 + QK / 16},      // 14
    {"Q8_K", QK, 4 + QK + QK / 8},                    // 15
    {"IQ2_XXS", QK, 2 + QK / 4},                      // 16
    {"IQ2_XS", QK, 2 + QK / 4 + QK / 32},             // 17
    {"IQ3_XXS", QK, 2 + QK / 4 + QK / 8},             // 18
    {"IQ1_S", QK, 2 + QK / 8 + QK / 16},              // 19
    {"IQ4_NL", 32, 2 + 16},                           // 20
    {"IQ3_S", QK, 2 + QK / 4 + QK / 8 + QK / 32 + 4}, // 21
    {"IQ2_S", QK, 2 + QK / 4 + QK / 16},              // 22
    {"IQ4_XS", QK, 2 + 2 + QK / 2 + QK / 64},         // 23
    {"I8", 1, 1},                                     // 24
    {"I16", 1, 2},                                    // 25
    {"I32", 1, 4},                                    // 26
    {"I64", 1, 8},                                    // 27
    {"F64", 1, 8},                                    // 28
    {"IQ1_M", QK, QK / 8 + QK / 16 + QK / 32},        // 29
    {"BF16", 1, 2},                                   // 30
    {},                                               // 31 (Q4_0_4_4, retired)
    {},                                               // 32 (Q4_0_4_8, retired)
    {},                                               // 33 (Q4_0_8_8, retired)
    {"TQ1_0", QK, 2 + 4 * 13},                        // 34
    {"TQ2_0", QK, 2 + 64},                            // 35
    {},                                               // 36 (IQ4_NL_4_4, retired)
    {},                                               // 37 (IQ4_NL_4_8, retired)
    {},                                               // 38 (IQ4_NL_8_8, retired)
    {"MXFP4", 32, 1 + 16},                            // 39
    {"NVFP4", 64, 4 + 32},                            // 40
    {"Q1_0", 128, 2 + 16},                            // 41
    {"Q2_0", 64, 2 + 16},                             // 42
}};

// Indexed by llama_ftype (general.file_type).
constexpr std::array<const char*, 42> kFileTypes = {
    "F32",      "F16",    "Q4_0",    "Q4_1",      "Q4_1_SOME_F16", "Q4_2",     "Q4_3",
    "Q8_0",     "Q5_0",   "Q5_1",    "Q2_K",      "Q3_K_S",        "Q3_K_M",   "Q3_K_L",
    "Q4_K_S",   "Q4_K_M", "Q5_K_S",  "Q5_K_M",    "Q6_K",          "IQ2_XXS",  "IQ2_XS",
    "Q2_K_S",   "IQ3_XS", "IQ3_XXS", "IQ1_S",     "IQ4_NL",        "IQ3_S",    "IQ3_M",
    "IQ2_S",    "IQ2_M",  "IQ4_XS",  "IQ1_M",     "BF16",          "Q4_0_4_4", "Q4_0_4_8",
    "Q4_0_8_8", "TQ1_0",  "TQ2_0",   "MXFP4_MOE", "NVFP4",         "Q1_0",     "Q2_0",
};

} // namespace

GgmlTypeInfo ggmlTypeInfo(quint32 type)
{
    return type < kTypes.size() ? kTypes[type] : GgmlTypeInfo{};
}

QString ggmlTypeName(quint32 type)
{
    const GgmlTypeInfo info = ggmlTypeInfo(type);
    return info.name ? QString::fromLatin1(info.name) : QStringLiteral("type %1").arg(type);
}

QString ggufFileTypeName(quint32 fileType)
{
    // The low bits carry the type; 1024 (LLAMA_FTYPE_GUESSED) marks a guessed one.
    const quint32 base = fileType & ~1024u;
    return base < kFileTypes.size() ? QString::fromLatin1(kFileTypes[base]) : QString();
}

} // namespace mf::formats
