// Reads GGUF files with the npm package @huggingface/gguf and prints, for each, what tst_formats
// compares against ModelFloat's own reader: typed metadata, tensor infos, the tensor data offset
// and the parameter count. 64-bit integers (BigInt) are printed as decimal strings.
// Usage: node gguf-dump.mjs FILE...   (one JSON document on stdout: an array, one entry per file)
import { gguf } from "@huggingface/gguf";

const big = (_key, v) => (typeof v === "bigint" ? v.toString() : v);
const out = [];
for (const file of process.argv.slice(2)) {
  try {
    const r = await gguf(file, { allowLocalFile: true, typedMetadata: true, computeParametersCount: true });
    const metadata = {};
    for (const [key, entry] of Object.entries(r.typedMetadata)) {
      if (key === "version" || key === "tensor_count" || key === "kv_count") continue;
      metadata[key] = entry;
    }
    out.push({
      file,
      version: r.metadata.version,
      littleEndian: r.littleEndian,
      metadata,
      tensorInfos: r.tensorInfos,
      tensorDataOffset: r.tensorDataOffset,
      parameterCount: r.parameterCount,
    });
  } catch (e) {
    out.push({ file, error: String(e && e.message ? e.message : e) });
  }
}
process.stdout.write(JSON.stringify(out, big));
