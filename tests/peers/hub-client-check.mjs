// Checks a Hub server (tests/peers/hub-server.js, or modelfloat-cli serve) with the real
// @huggingface/hub client: lists a repo recursively and downloads every file, comparing each
// download with the listed size and oid (sha256 for LFS files, git blob sha1 otherwise); asks
// fileExists for every file and for one that is not there, pathsInfo for every file (each entry
// as listed, its lastCommit the repo's commit); and, given a cache folder, downloadFileToCacheDir
// at "main" for every file, checking the bytes it cached and where (blobs/<etag>,
// snapshots/<commit>/<path>). Prints one JSON line and exits 0 when every check passed.
//   node hub-client-check.mjs <hubUrl> <org/name> [token] [cacheDir]
import { listFiles, downloadFile, modelInfo, fileExists, pathsInfo, downloadFileToCacheDir } from '@huggingface/hub';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { relative } from 'node:path';

const [hubUrl, repo, token, cacheDir] = process.argv.slice(2);
const credentials = token ? { accessToken: token } : {};
const result = { files: [], ok: true, checks: 0, failed: [] };
const check = (name, passed) => {
  ++result.checks;
  if (!passed) { result.ok = false; result.failed.push(name); }
};
const oidOf = (bytes, lfs) => lfs
  ? createHash('sha256').update(bytes).digest('hex')
  : createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
try {
  const info = await modelInfo({ name: repo, hubUrl, additionalFields: ['sha'], ...credentials });
  result.sha = info.sha;
  const listed = [];
  for await (const entry of listFiles({ repo, hubUrl, recursive: true, ...credentials })) {
    if (entry.type !== 'file') continue;
    listed.push(entry);
    const blob = await downloadFile({ repo, path: entry.path, hubUrl, ...credentials });
    const bytes = Buffer.from(await blob.arrayBuffer());
    const expected = entry.lfs ? entry.lfs.oid : entry.oid;
    const match = bytes.length === entry.size && oidOf(bytes, !!entry.lfs) === expected;
    result.files.push({ path: entry.path, size: entry.size, lfs: !!entry.lfs, match });
    check(`download ${entry.path}`, match);
    check(`fileExists ${entry.path}`, await fileExists({ repo, path: entry.path, hubUrl, ...credentials }));
  }
  check('fileExists of a missing file is false',
    !(await fileExists({ repo, path: 'no-such-file.txt', hubUrl, ...credentials })));
  const infos = await pathsInfo({ repo, paths: listed.map((e) => e.path), expand: true, hubUrl, ...credentials });
  check('pathsInfo answers every path', infos.length === listed.length);
  for (const e of listed) {
    const i = infos.find((x) => x.path === e.path);
    check(`pathsInfo ${e.path}`, !!i && i.size === e.size && i.oid === e.oid &&
      (i.lfs?.oid ?? null) === (e.lfs?.oid ?? null) && i.lastCommit?.id === info.sha);
  }
  if (cacheDir) {
    result.cached = [];
    for (const e of listed) {
      const pointer = await downloadFileToCacheDir({ repo, path: e.path, revision: 'main', cacheDir, hubUrl, ...credentials });
      const bytes = readFileSync(pointer);
      const blob = relative(cacheDir, realpathSync(pointer));
      result.cached.push({ path: relative(cacheDir, pointer), blob });
      check(`downloadFileToCacheDir ${e.path}`, bytes.length === e.size &&
        oidOf(bytes, !!e.lfs) === (e.lfs ? e.lfs.oid : e.oid) &&
        blob.endsWith(`/blobs/${e.lfs ? e.lfs.oid : e.oid}`) &&
        pointer.includes(`/snapshots/${info.sha}/`));
    }
  }
} catch (e) {
  result.ok = false;
  result.error = `${e.name}: ${e.message}${e.statusCode ? ' (' + e.statusCode + ')' : ''}`;
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
