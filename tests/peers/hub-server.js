#!/usr/bin/env node
// A local Hugging Face Hub for tests and benchmarks, written from the documented HTTP API
// (/work/shared/protocols/huggingface.md) and checked with the real @huggingface/hub client
// (hub-client-check.mjs). It serves model repos from folders:
//
//   node hub-server.js --port P --cdn-port C --repo org/name=/path/to/folder [--repo ...]
//                      [--gated org/name] [--private org/name] [--token hf_good]
//                      [--popularity org/name=DOWNLOADS:LIKES]
//
// Valid tokens: the --token value, and the same with "_granted" appended, which alone has
// been granted access to gated repos.
//
// Files of a repo are the files under its folder. Files with the extension .gguf,
// .safetensors or .bin, or larger than 1 MiB, are LFS files (oid = sha256 of the content);
// the others are regular git blobs (oid = git blob sha1). The commit of a repo is a sha1 of
// its file list, so it changes when the files do.
//
// API: GET /api/models?search=&author=&sort=downloads|likes&direction=-1&limit=&expand=
// (the model search: id substring, case-insensitive; siblings with expand=siblings or
// full=true; private repos only for a valid token; pages with a Link header),
// GET /api/models/{repo}[/revision/{rev}] (info, siblings with blobs=true or
// expand=siblings), GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=, POST paths-info,
// HEAD/GET /{repo}/resolve/{rev}/{path} (LFS: 302 to the CDN port, a different origin;
// regular files: 200 here), GET /cdn/{oid} on the CDN port (Range supported).
//
// Test controls (no authentication; on the API port):
//   GET  /_stats  -> {requests:{api,resolve,cdn}, cdnBytes, cdnAuthorization, ranges:[...]}
//   POST /_reset  -> clears the counters and the fault modes
//   POST /_faults  JSON body, any of:
//     {"rateLimit": n, "retryAfter": s}  the next n API/resolve requests answer 429
//     {"serverErrors": n}                the next n API/resolve requests answer 503
//     {"dropAfterBytes": b, "drops": n}  the next n CDN bodies close the connection after b bytes
//     {"stallAfterBytes": b, "stalls": n} the next n CDN bodies stop sending after b bytes
//     {"corruptOffset": o}                every CDN body has the byte at file offset o flipped
//     {"cdnBytesLimit": b}                CDN bodies are cut (connection closed) once b bytes
//                                          in total were sent since the last reset
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const args = process.argv.slice(2);
const opt = { port: 0, cdnPort: 0, repos: {}, gated: new Set(), private: new Set(), token: 'hf_good',
              popularity: {} };
for (let i = 0; i < args.length; ++i) {
  const a = args[i];
  const v = args[i + 1];
  if (a === '--port') { opt.port = Number(v); ++i; }
  else if (a === '--cdn-port') { opt.cdnPort = Number(v); ++i; }
  else if (a === '--repo') { const eq = v.indexOf('='); opt.repos[v.slice(0, eq)] = v.slice(eq + 1); ++i; }
  else if (a === '--gated') { opt.gated.add(v); ++i; }
  else if (a === '--private') { opt.private.add(v); ++i; }
  else if (a === '--token') { opt.token = v; ++i; }
  else if (a === '--popularity') {
    const [id, counts] = v.split('=');
    const [downloads, likes] = counts.split(':').map(Number);
    opt.popularity[id] = { downloads, likes }; ++i;
  }
  else { console.error('unknown argument ' + a); process.exit(2); }
}

let stats, faults;
function reset() {
  stats = { requests: { api: 0, resolve: 0, cdn: 0 }, cdnBytes: 0, cdnAuthorization: 0, ranges: [] };
  faults = { rateLimit: 0, retryAfter: 1, serverErrors: 0, dropAfterBytes: -1, drops: 0,
             stallAfterBytes: -1, stalls: 0, corruptOffset: -1, cdnBytesLimit: -1 };
}
reset();

// --- repository content ------------------------------------------------------------------
const hashCache = new Map(); // "path:size:mtime" -> {sha256, sha1}
function listFolder(root) {
  const out = [];
  (function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name < y.name ? -1 : 1)) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.push(full);
    }
  })(root);
  return out;
}
function hashes(file, st) {
  const key = `${file}:${st.size}:${st.mtimeMs}`;
  let h = hashCache.get(key);
  if (h) return h;
  const sha256 = crypto.createHash('sha256');
  const sha1 = crypto.createHash('sha1');
  sha1.update(`blob ${st.size}\0`);
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n <= 0) break;
    sha256.update(buf.subarray(0, n));
    sha1.update(buf.subarray(0, n));
  }
  fs.closeSync(fd);
  h = { sha256: sha256.digest('hex'), sha1: sha1.digest('hex') };
  hashCache.set(key, h);
  return h;
}
function isLfs(rel, size) {
  return /\.(gguf|safetensors|bin)$/.test(rel) || size > (1 << 20);
}
function repoFiles(repoId) {
  const root = opt.repos[repoId];
  const files = listFolder(root).map((full) => {
    const st = fs.statSync(full);
    const rel = path.relative(root, full).split(path.sep).join('/');
    const h = hashes(full, st);
    const lfs = isLfs(rel, st.size);
    return { full, rel, size: st.size, sha256: h.sha256, sha1: h.sha1, lfs };
  });
  const commit = crypto.createHash('sha1')
    .update(files.map((f) => `${f.rel} ${f.sha1}`).join('\n')).digest('hex');
  return { files, commit };
}
function revisionOk(repo, rev) {
  return rev === 'main' || rev === 'HEAD' || rev === repo.commit;
}

// --- helpers -------------------------------------------------------------------------------
function send(res, status, body, headers = {}) {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers });
  res.end(data);
}
function hubError(res, status, code, message, extra = {}) {
  const headers = { 'X-Error-Message': message, ...extra };
  if (code) headers['X-Error-Code'] = code;
  send(res, status, { error: message }, headers);
}
function bearer(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  return m ? m[1] : null;
}
// Access rules (section 5 of the protocol notes). Returns true when the request may go on.
function checkAccess(req, res, repoId) {
  const token = bearer(req);
  if (token !== null && token !== opt.token && token !== opt.token + '_granted') {
    hubError(res, 401, null, 'Invalid credentials in Authorization header');
    return false;
  }
  if (opt.private.has(repoId) && token === null) {
    hubError(res, 401, 'RepoNotFound', 'Repository Not Found for url: ' + req.url + '.');
    return false;
  }
  if (opt.gated.has(repoId)) {
    if (token === null) {
      hubError(res, 401, 'GatedRepo', `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return false;
    }
    if (token !== opt.token + '_granted') {
      hubError(res, 403, 'GatedRepo', `Access to model ${repoId} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repoId} to ask for access.`);
      return false;
    }
  }
  return true;
}
// Rate limiting and server errors injected by the tests.
function injectedFailure(res) {
  if (faults.rateLimit > 0) {
    --faults.rateLimit;
    hubError(res, 429, null, 'Too Many Requests', { 'Retry-After': String(faults.retryAfter), 'RateLimit': `"api";r=0;t=${faults.retryAfter}` });
    return true;
  }
  if (faults.serverErrors > 0) {
    --faults.serverErrors;
    hubError(res, 503, null, 'Service Unavailable');
    return true;
  }
  return false;
}
function treeEntry(f, commit) {
  const e = { type: 'file', oid: f.sha1, size: f.size, path: f.rel };
  if (f.lfs) e.lfs = { oid: f.sha256, size: f.size, pointerSize: 134 };
  e.lastCommit = { id: commit, title: 'Upload', date: '2026-01-01T00:00:00.000Z' };
  return e;
}
function findRepo(parts) {
  // parts: path segments after the prefix; repo ids have one or two segments.
  for (const n of [2, 1]) {
    const id = parts.slice(0, n).join('/');
    if (opt.repos[id]) return { id, rest: parts.slice(n) };
  }
  return null;
}

// --- API port ------------------------------------------------------------------------------
function handleApi(req, res) {
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter((s) => s.length).map(decodeURIComponent);
  if (url.pathname === '/_stats') return send(res, 200, stats);
  if (url.pathname === '/_reset' && req.method === 'POST') { reset(); return send(res, 200, {}); }
  if (url.pathname === '/_faults' && req.method === 'POST') {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { Object.assign(faults, JSON.parse(body || '{}')); send(res, 200, faults); });
    return;
  }
  if (parts[0] === 'api' && parts[1] === 'models' && parts.length === 2) {
    ++stats.requests.api;
    if (injectedFailure(res)) return;
    return listModels(req, res, url);
  }
  if (parts[0] === 'api' && parts[1] === 'models') {
    ++stats.requests.api;
    if (injectedFailure(res)) return;
    const found = findRepo(parts.slice(2));
    if (!found) return hubError(res, 401, 'RepoNotFound', 'Repository Not Found for url: ' + req.url + '.');
    if (!checkAccess(req, res, found.id)) return;
    const repo = repoFiles(found.id);
    const rest = found.rest;
    if (rest.length === 0 || rest[0] === 'revision') {
      const rev = rest.length ? rest.slice(1).join('/') : 'main';
      if (!revisionOk(repo, rev)) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const blobs = url.searchParams.get('blobs') === 'true';
      const info = {
        _id: 'id' + repo.commit.slice(0, 8), id: found.id, modelId: found.id, sha: repo.commit,
        private: opt.private.has(found.id), gated: opt.gated.has(found.id) ? 'manual' : false,
        disabled: false, downloads: 0, likes: 0, pipeline_tag: 'text-generation',
        lastModified: '2026-01-01T00:00:00.000Z', tags: [],
        siblings: repo.files.map((f) => {
          const s = { rfilename: f.rel };
          if (blobs) {
            s.size = f.size; s.blobId = f.sha1;
            if (f.lfs) s.lfs = { sha256: f.sha256, size: f.size, pointerSize: 134 };
          }
          return s;
        }),
      };
      return send(res, 200, info);
    }
    if (rest[0] === 'tree') {
      const rev = rest[1] || 'main';
      if (!revisionOk(repo, rev)) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const prefix = rest.slice(2).join('/');
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries = [];
      const dirs = new Set();
      for (const f of repo.files) {
        if (prefix && !f.rel.startsWith(prefix + '/')) continue;
        const sub = prefix ? f.rel.slice(prefix.length + 1) : f.rel;
        const slash = sub.indexOf('/');
        if (slash >= 0) {
          const d = (prefix ? prefix + '/' : '') + sub.slice(0, slash);
          if (!dirs.has(d)) { dirs.add(d); entries.push({ type: 'directory', oid: '0'.repeat(40), size: 0, path: d }); }
          if (!recursive) continue;
        }
        entries.push(treeEntry(f, repo.commit));
      }
      // Pagination as the Hub does it: a Link header to the next page.
      const pageSize = 50;
      const cursor = Number(url.searchParams.get('cursor') || 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers = {};
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.toString());
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.Link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
      }
      return send(res, 200, page, headers);
    }
    if (rest[0] === 'paths-info' && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const wanted = new Set((JSON.parse(body || '{}').paths) || []);
        send(res, 200, repo.files.filter((f) => wanted.has(f.rel)).map((f) => treeEntry(f, repo.commit)));
      });
      return;
    }
    return hubError(res, 404, null, 'Not Found');
  }
  // /{repo}/resolve/{rev}/{path} and /{repo}/raw/{rev}/{path}
  const found = findRepo(parts);
  if (found && (found.rest[0] === 'resolve' || found.rest[0] === 'raw')) {
    ++stats.requests.resolve;
    if (injectedFailure(res)) return;
    if (!checkAccess(req, res, found.id)) return;
    const repo = repoFiles(found.id);
    const rev = found.rest[1];
    if (!revisionOk(repo, rev)) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const rel = found.rest.slice(2).join('/');
    const f = repo.files.find((x) => x.rel === rel);
    if (!f) return hubError(res, 404, 'EntryNotFound', `${rel} does not exist on "${rev}"`);
    const common = { 'X-Repo-Commit': repo.commit, 'Accept-Ranges': 'bytes' };
    if (f.lfs && found.rest[0] === 'resolve') {
      const location = `http://127.0.0.1:${cdnServer.address().port}/cdn/${found.id}/${f.sha256}?expires=9999999999&signature=abc`;
      res.writeHead(302, { ...common, Location: location, ETag: `"${f.sha1}"`, 'X-Linked-Etag': `"${f.sha256}"`, 'X-Linked-Size': String(f.size), 'Content-Length': 0 });
      return res.end();
    }
    return serveFile(req, res, f, { ...common, ETag: `"${f.sha1}"` }, false);
  }
  return hubError(res, 404, null, 'Not Found');
}

// GET /api/models: the search, as the Hub answers it (an array of model entries).
function listModels(req, res, url) {
  const q = url.searchParams;
  const query = (q.get('search') || '').toLowerCase();
  const author = q.get('author');
  const expand = new Set(q.getAll('expand'));
  const full = q.get('full') === 'true';
  const auth = req.headers.authorization || '';
  const validToken = auth === `Bearer ${opt.token}` || auth === `Bearer ${opt.token}_granted`;
  const sortKey = q.get('sort') === 'likes' ? 'likes' : 'downloads';
  const direction = q.get('direction') === '1' ? 1 : -1;
  const limit = Math.max(1, Math.min(Number(q.get('limit') || 1000), 1000));
  const found = Object.keys(opt.repos)
    .filter((id) => id.toLowerCase().includes(query))
    .filter((id) => !author || id.split('/')[0] === author)
    .filter((id) => !opt.private.has(id) || validToken)
    .map((id) => {
      const repo = repoFiles(id);
      const pop = opt.popularity[id] || { downloads: 0, likes: 0 };
      const entry = { _id: 'id' + repo.commit.slice(0, 8), id, likes: pop.likes, downloads: pop.downloads,
                      private: opt.private.has(id), gated: opt.gated.has(id) ? 'manual' : false,
                      pipeline_tag: 'text-generation', lastModified: '2026-01-01T00:00:00.000Z' };
      if (full || expand.has('siblings')) entry.siblings = repo.files.map((f) => ({ rfilename: f.rel }));
      return entry;
    })
    .sort((x, y) => direction * (x[sortKey] - y[sortKey]) || (x.id < y.id ? -1 : 1));
  const cursor = Number(q.get('cursor') || 0);
  const page = found.slice(cursor, cursor + limit);
  const headers = {};
  if (cursor + limit < found.length) {
    const next = new URL(url.toString());
    next.searchParams.set('cursor', String(cursor + limit));
    headers.Link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
  }
  return send(res, 200, page, headers);
}

// --- CDN port: the signed blob URLs the resolve endpoint redirects to ---------------------
function handleCdn(req, res) {
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter((s) => s.length);
  ++stats.requests.cdn;
  if (req.headers.authorization) ++stats.cdnAuthorization;
  if (parts[0] !== 'cdn' || !url.searchParams.get('signature')) return hubError(res, 403, null, 'AccessDenied');
  const oid = parts[parts.length - 1];
  const found = findRepo(parts.slice(1, -1));
  const f = found && repoFiles(found.id).files.find((x) => x.sha256 === oid);
  if (!f) return hubError(res, 404, null, 'NoSuchKey');
  serveFile(req, res, f, { ETag: `"${f.sha256}"` }, true);
}

function serveFile(req, res, f, headers, counted) {
  let start = 0;
  let end = f.size - 1;
  let status = 200;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
  if (range) {
    if (range[1] === '') { start = Math.max(0, f.size - Number(range[2])); }
    else { start = Number(range[1]); if (range[2] !== '') end = Math.min(end, Number(range[2])); }
    if (start >= f.size || start > end) {
      res.writeHead(416, { 'Content-Range': `bytes */${f.size}` });
      return res.end();
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${f.size}`;
  }
  if (counted) stats.ranges.push([start, end + 1]);
  headers['Content-Type'] = 'application/octet-stream';
  headers['Content-Length'] = String(end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || f.size === 0) return res.end();

  let dropAt = -1;
  let stallAt = -1;
  if (counted && faults.drops > 0 && faults.dropAfterBytes >= 0) { --faults.drops; dropAt = faults.dropAfterBytes; }
  if (counted && faults.stalls > 0 && faults.stallAfterBytes >= 0) { --faults.stalls; stallAt = faults.stallAfterBytes; }
  const stream = fs.createReadStream(f.full, { start, end, highWaterMark: 1 << 20 });
  let sent = 0;
  let pos = start;
  stream.on('data', (chunk) => {
    if (faults.corruptOffset >= pos && faults.corruptOffset < pos + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[faults.corruptOffset - pos] ^= 0xff;
    }
    pos += chunk.length;
    let cut = -1;
    if (dropAt >= 0 && sent + chunk.length > dropAt) cut = dropAt - sent;
    if (counted && faults.cdnBytesLimit >= 0 && stats.cdnBytes + chunk.length > faults.cdnBytesLimit)
      cut = Math.max(0, faults.cdnBytesLimit - stats.cdnBytes);
    if (cut >= 0) {
      stream.destroy();
      const part = chunk.subarray(0, cut);
      sent += part.length;
      if (counted) stats.cdnBytes += part.length;
      res.write(part, () => res.socket && res.socket.destroy());
      return;
    }
    if (stallAt >= 0 && sent + chunk.length > stallAt) {
      stream.destroy();
      const part = chunk.subarray(0, stallAt - sent);
      if (counted) stats.cdnBytes += part.length;
      res.write(part); // then nothing more: the client must notice the stall
      return;
    }
    sent += chunk.length;
    if (counted) stats.cdnBytes += chunk.length;
    if (!res.write(chunk)) { stream.pause(); res.once('drain', () => stream.resume()); }
  });
  stream.on('end', () => res.end());
  stream.on('error', () => res.socket && res.socket.destroy());
}

const apiServer = http.createServer(handleApi);
const cdnServer = http.createServer(handleCdn);
cdnServer.listen(opt.cdnPort, '127.0.0.1', () => {
  apiServer.listen(opt.port, '127.0.0.1', () => {
    console.log(`hub on http://127.0.0.1:${apiServer.address().port} cdn on http://127.0.0.1:${cdnServer.address().port}`);
  });
});
process.on('SIGTERM', () => process.exit(0));
