// Checks tests/peers/hub-server.js with the real @huggingface/hub client: lists a repo
// recursively and downloads every file, comparing each download with the listed size and oid
// (sha256 for LFS files, git blob sha1 otherwise). Prints one JSON line and exits 0 when all
// files match.   node hub-client-check.mjs <hubUrl> <org/name> [token]
import { listFiles, downloadFile, modelInfo } from '@huggingface/hub';
import { createHash } from 'node:crypto';

const [hubUrl, repo, token] = process.argv.slice(2);
const credentials = token ? { accessToken: token } : {};
const result = { files: [], ok: true };
try {
  const info = await modelInfo({ name: repo, hubUrl, additionalFields: ['sha'], ...credentials });
  result.sha = info.sha;
  for await (const entry of listFiles({ repo, hubUrl, recursive: true, ...credentials })) {
    if (entry.type !== 'file') continue;
    const blob = await downloadFile({ repo, path: entry.path, hubUrl, ...credentials });
    const bytes = Buffer.from(await blob.arrayBuffer());
    const oid = entry.lfs
      ? createHash('sha256').update(bytes).digest('hex')
      : createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const expected = entry.lfs ? entry.lfs.oid : entry.oid;
    const match = bytes.length === entry.size && oid === expected;
    result.files.push({ path: entry.path, size: entry.size, lfs: !!entry.lfs, match });
    if (!match) result.ok = false;
  }
} catch (e) {
  result.ok = false;
  result.error = `${e.name}: ${e.message}${e.statusCode ? ' (' + e.statusCode + ')' : ''}`;
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
