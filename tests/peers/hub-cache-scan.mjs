// Reads a Hugging Face cache folder with @huggingface/hub's own cache scanner (scanCacheDir, as
// its cache tools do) and prints one JSON line: every repo with its revisions, refs and files
// (size of the blob each links to), and the scanner's warnings. Exits 0 when it read the folder
// with no warning.
//   node hub-cache-scan.mjs <cacheDir>
import { scanCacheDir } from '@huggingface/hub';

const [cacheDir] = process.argv.slice(2);
const result = { ok: false, repos: [], warnings: [] };
try {
  const info = await scanCacheDir(cacheDir);
  result.warnings = info.warnings.map((w) => String(w.message ?? w));
  result.repos = info.repos.map((repo) => ({
    id: repo.id.name,
    type: repo.id.type,
    revisions: repo.revisions.map((rev) => ({
      commit: rev.commitOid,
      refs: rev.refs,
      files: rev.files.map((f) => ({ path: f.path, blob: f.blob.path, size: f.blob.size })),
    })),
  }));
  result.ok = result.warnings.length === 0;
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
