#!/usr/bin/env node
// A local MEGA API server for tests and benchmarks, written from the protocol notes
// (shared/protocols/mega.md) and checked with the real third-party client megajs
// (megajs-client.mjs in this folder, pointed at it with its `gateway` option). It keeps accounts,
// sessions and the node tree in memory and file contents (ciphertext, as clients send it) in a
// data folder.
//
//   node mega-server.js --port P [--data DIR] [--storage BYTES]
//                       --account EMAIL:PASSWORD[:v1][:mfa=CODE] [--account ...]
//
// Command endpoint: POST /cs?id=<seq>[&sid=<sid>] with a JSON array of commands: us0, us, ug, f,
// u, p, g, d, m, uq, sml. Storage: POST /ul/<token>/<offset> (whole MAC chunks; the request that
// completes the file answers the completion token: 36 raw bytes when `u` carried v:2, else 27
// bytes as base64url text), GET /dl/<token>/<start>-<end> (inclusive range).
// Errors follow the notes: a bad sid is the bare body -15, wrong credentials -9, a missing
// two-factor code -26, storage over quota -17, a chunk not on a MAC boundary -7.
//
// Test controls (no authentication):
//   GET  /_stats  -> {commands:{name:count}, requests, eagainSent, hashcashSolved,
//                     idsDecreasing, uploadBytes, downloadBytes, downloads509, drops, fCalls,
//                     downloadsCut}
//   POST /_reset  -> clears counters and faults (not the accounts or files)
//   POST /_faults  JSON body, any of:
//     {"eagain": n}                 the next n command requests answer -3 (bare or [-3], alternately)
//     {"serverErrors": n}           the next n command requests answer HTTP 500
//     {"hashcash": e, "hashcashCount": n}  the next n command requests answer 402 + X-Hashcash
//                                   with easiness e; a solved resend (same id) goes through
//     {"transferQuota": bytes, "quotaWait": s}  downloads beyond `bytes` (counted from now) answer
//                                   509 with X-MEGA-Time-Left until s seconds have passed
//     {"gOverquota": n}             the next n `g` commands answer -17
//     {"uploadQuotaWait": s}        upload POSTs answer 509 with X-MEGA-Time-Left until s seconds
//                                   have passed
//     {"dropUploadAfter": b, "drops": n}  the next n upload POSTs lose their connection after b
//                                   body bytes
//     {"dropDownloadAfter": b, "downloadDrops": n}  the next n downloads longer than b bytes lose
//                                   their connection after b bytes (downloadBytes counts the
//                                   bytes sent, downloadsCut the cuts)
//     {"revokeSessions": true}      every session ends (-15 from then on)
//     {"corrupt": "<handle>", "offset": o}  flips the stored ciphertext byte at o
'use strict';

const http = require('http');
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

// ---- arguments -------------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = { port: 0, data: '', storage: 20 * 1024 ** 3, accounts: [] };
for (let i = 0; i < args.length; ++i) {
  const a = args[i];
  const v = args[i + 1];
  if (a === '--port') { opt.port = Number(v); ++i; }
  else if (a === '--data') { opt.data = v; ++i; }
  else if (a === '--storage') { opt.storage = Number(v); ++i; }
  else if (a === '--account') { opt.accounts.push(v); ++i; }
  else { console.error('unknown argument ' + a); process.exit(2); }
}
if (!opt.data) opt.data = fs.mkdtempSync(path.join(os.tmpdir(), 'mega-server-'));
fs.mkdirSync(opt.data, { recursive: true });

// ---- crypto helpers --------------------------------------------------------------------------
const e64 = (b) => Buffer.from(b).toString('base64url');
const d64 = (s) => Buffer.from(String(s).replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
function ecb(key, data, encrypt) {
  const c = (encrypt ? crypto.createCipheriv : crypto.createDecipheriv)('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}
function prepareKeyV1(password) {
  const padded = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
  password.copy(padded);
  const keys = [];
  for (let i = 0; i < padded.length; i += 16) {
    const c = crypto.createCipheriv('aes-128-ecb', padded.subarray(i, i + 16), null);
    c.setAutoPadding(false);
    keys.push(c);
  }
  let pkey = Buffer.from('93C467E37DB0C7A4D1BE3F810152CB56', 'hex');
  for (let r = 0; r < 65536; ++r) for (const c of keys) pkey = c.update(pkey);
  return pkey;
}
function stringHashV1(email, pkey) {
  const h = Buffer.alloc(16);
  for (let i = 0; i < email.length; ++i) h[i % 16] ^= email[i];
  let hb = h;
  for (let r = 0; r < 16384; ++r) hb = ecb(pkey, hb, true);
  return Buffer.concat([hb.subarray(0, 4), hb.subarray(8, 12)]);
}
const big = (b64) => BigInt('0x' + Buffer.from(b64, 'base64url').toString('hex'));
function bigToBuf(n) {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}
function mpi(n) {
  const b = bigToBuf(n);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(n.toString(2).length);
  return Buffer.concat([head, b]);
}
function modPow(b, e, m) {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    e >>= 1n;
    b = (b * b) % m;
  }
  return r;
}
function modInverse(a, m) {
  let [r0, r1, s0, s1] = [m, a % m, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}
// MAC chunk boundaries: 128 KiB, +256 KiB, ... +1 MiB, then every 1 MiB.
function isMacBoundary(offset) {
  let b = 0;
  for (let i = 1; i <= 8; ++i) { if (b === offset) return true; b += i * 131072; }
  return offset >= b && (offset - b) % 1048576 === 0;
}

// ---- accounts --------------------------------------------------------------------------------
const accounts = new Map(); // email -> account
for (const spec of opt.accounts) {
  const parts = spec.split(':');
  const email = parts[0].toLowerCase();
  const password = Buffer.from(parts[1], 'utf8');
  const version = parts.includes('v1') ? 1 : 2;
  const mfa = (parts.find((p) => p.startsWith('mfa=')) || '').slice(4) || null;
  const masterKey = crypto.randomBytes(16);
  let passwordKey, uh, salt = null;
  if (version === 2) {
    salt = crypto.randomBytes(32);
    const dk = crypto.pbkdf2Sync(password, salt, 100000, 32, 'sha512');
    passwordKey = dk.subarray(0, 16);
    uh = e64(dk.subarray(16));
  } else {
    passwordKey = prepareKeyV1(password);
    uh = e64(stringHashV1(Buffer.from(email), passwordKey));
  }
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const p = big(jwk.p), q = big(jwk.q), d = big(jwk.d), n = big(jwk.n), e = big(jwk.e);
  let privk = Buffer.concat([mpi(p), mpi(q), mpi(d), mpi(modInverse(p, q))]);
  privk = Buffer.concat([privk, Buffer.alloc((16 - (privk.length % 16)) % 16)]);
  const userHandle = e64(crypto.randomBytes(8));
  const account = {
    email, version, salt, uh, mfa, masterKey, n, e, userHandle,
    k: e64(ecb(passwordKey, masterKey, true)),
    privk: e64(ecb(masterKey, privk, true)),
    root: null, inbox: null, rubbish: null,
  };
  accounts.set(email, account);
}

// ---- state -----------------------------------------------------------------------------------
const nodes = new Map();    // handle -> node {h,p,u,t,a,k,s,ts,file,owner}
const uploads = new Map();  // token -> {size, received, file, fd, v2, done, completion}
const completions = new Map(); // completion token (b64) -> upload
const downloads = new Map(); // download token -> node handle
const sessions = new Map();  // sid -> account
const newHandle = () => {
  for (;;) { const h = e64(crypto.randomBytes(6)); if (!nodes.has(h)) return h; }
};
for (const account of accounts.values()) {
  const now = Math.floor(Date.now() / 1000);
  for (const [field, t] of [['root', 2], ['inbox', 3], ['rubbish', 4]]) {
    const h = newHandle();
    nodes.set(h, { h, p: '', u: account.userHandle, t, a: '', k: '', ts: now, owner: account.email });
    account[field] = h;
  }
}

let stats, faults, quotaStart = 0;
const lastIds = new Map(); // sid -> highest sequence number seen
function reset() {
  stats = { commands: {}, requests: 0, eagainSent: 0, hashcashSolved: 0, idsDecreasing: 0,
            uploadBytes: 0, downloadBytes: 0, downloads509: 0, uploads509: 0, drops: 0, fCalls: 0,
            uploadPosts: 0, serverErrorsSent: 0, downloadsCut: 0 };
  faults = { eagain: 0, serverErrors: 0, hashcash: 0, hashcashCount: 0, transferQuota: -1,
             quotaWait: 0, quotaBytes: 0, gOverquota: 0, uploadQuotaUntil: 0, dropUploadAfter: -1,
             drops: 0, dropDownloadAfter: -1, downloadDrops: 0 };
  pendingHashcash.clear();
}
const pendingHashcash = new Map(); // token -> easiness
reset();

function usedBytes(account) {
  let used = 0;
  for (const n of nodes.values()) if (n.owner === account.email && n.t === 0) used += n.s;
  return used;
}
function publicNode(n) {
  const out = { h: n.h, p: n.p, u: n.u, t: n.t, a: n.a, ts: n.ts };
  if (n.k) out.k = `${n.u}:${n.k}`;
  if (n.t === 0) out.s = n.s;
  return out;
}
function deleteTree(h) {
  for (const child of [...nodes.values()].filter((n) => n.p === h)) deleteTree(child.h);
  const n = nodes.get(h);
  if (n && n.file) fs.rm(n.file, { force: true }, () => {});
  nodes.delete(h);
}

// ---- commands --------------------------------------------------------------------------------
function command(cmd, account, baseUrl, sid) {
  switch (cmd.a) {
  case 'us0': {
    const a = accounts.get(String(cmd.user || '').toLowerCase());
    if (!a) return { v: 2, s: e64(crypto.createHash('sha256').update(String(cmd.user)).digest()) };
    return a.version === 2 ? { v: 2, s: e64(a.salt) } : { v: 1 };
  }
  case 'us': {
    const a = accounts.get(String(cmd.user || '').toLowerCase());
    if (!a || cmd.uh !== a.uh) return -9;
    if (a.mfa && cmd.mfa === undefined) return -26;
    if (a.mfa && String(cmd.mfa) !== a.mfa) return -9;
    let sid = crypto.randomBytes(43);
    sid[0] |= 0x80; // no leading zero byte: clients take the first 43 bytes of the integer
    const padLength = bigToBuf(a.n).length - 1 - 43;
    const m = BigInt('0x' + Buffer.concat([sid, crypto.randomBytes(padLength)]).toString('hex'));
    const csid = mpi(modPow(m, a.e, a.n));
    sessions.set(e64(sid), a);
    return { k: a.k, csid: e64(csid), privk: a.privk, u: a.userHandle, ach: 1 };
  }
  }
  if (!account) return -15;
  switch (cmd.a) {
  case 'ug':
    return { u: account.userHandle, email: account.email, name: account.email.split('@')[0],
             k: e64(ecb(account.masterKey, account.masterKey, true)), privk: account.privk,
             since: 1700000000 };
  case 'sml':
    // Logout ends this session; with ko:1, every other session of the account instead.
    if (cmd.ko) {
      for (const [other, a] of sessions) if (a === account && other !== sid) sessions.delete(other);
    } else {
      sessions.delete(sid);
    }
    return 0;
  case 'f': {
    stats.fCalls++;
    const f = [...nodes.values()].filter((n) => n.owner === account.email).map(publicNode);
    return { f, ok: [], s: [], u: [{ u: account.userHandle, c: 2, m: account.email }],
             sn: e64(crypto.randomBytes(8)) };
  }
  case 'uq': {
    const used = usedBytes(account);
    return { mstrg: opt.storage, cstrg: used, mxfer: faults.transferQuota,
             caxfer: faults.quotaBytes, srvratio: 0 };
  }
  case 'u': {
    const size = Number(cmd.s);
    if (!Number.isSafeInteger(size) || size < 0) return -2;
    if (usedBytes(account) + size > opt.storage) return -17;
    const token = e64(crypto.randomBytes(24));
    const file = path.join(opt.data, 'ul-' + token);
    uploads.set(token, { size, received: 0, file, fd: fs.openSync(file, 'w'), v2: cmd.v === 2,
                         done: false, account });
    return { p: `${baseUrl}/ul/${token}` };
  }
  case 'p': {
    const parent = nodes.get(cmd.t);
    if (!parent || parent.owner !== account.email || parent.t === 0) return -9;
    if (!Array.isArray(cmd.n) || cmd.n.length === 0) return -2;
    const made = [];
    const now = Math.floor(Date.now() / 1000);
    for (const spec of cmd.n) {
      if (typeof spec.a !== 'string' || typeof spec.k !== 'string') return -2;
      const node = { h: newHandle(), p: parent.h, u: account.userHandle, t: spec.t, a: spec.a,
                     k: spec.k, ts: now, owner: account.email };
      if (spec.t === 0) {
        const up = completions.get(spec.h);
        if (!up || up.account !== account) return -9;
        completions.delete(spec.h);
        node.s = up.size;
        node.file = up.file;
      } else if (spec.t !== 1) {
        return -2;
      }
      nodes.set(node.h, node);
      made.push(publicNode(node));
    }
    return { f: made };
  }
  case 'g': {
    const node = nodes.get(cmd.n);
    if (!node || node.owner !== account.email || node.t !== 0) return -9;
    if (faults.gOverquota > 0) { faults.gOverquota--; return { e: -17 }; }
    const token = e64(crypto.randomBytes(18));
    downloads.set(token, node.h);
    return { s: node.s, at: node.a, g: `${baseUrl}/dl/${token}`, msd: 1, tl: 0 };
  }
  case 'd': {
    const node = nodes.get(cmd.n);
    if (!node || node.owner !== account.email || node.t > 1) return -9;
    deleteTree(node.h);
    return 0;
  }
  case 'm': {
    const node = nodes.get(cmd.n);
    const target = nodes.get(cmd.t);
    if (!node || !target || node.owner !== account.email || target.owner !== account.email) return -9;
    node.p = target.h;
    return 0;
  }
  default:
    return -2;
  }
}

// ---- HTTP ------------------------------------------------------------------------------------
function send(res, status, body, headers = {}) {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'Content-Length': data.length, 'Access-Control-Expose-Headers': '*', ...headers });
  res.end(data);
}
function readBody(req, cb) {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => cb(Buffer.concat(parts)));
}

function handleCommands(req, res, url) {
  readBody(req, (body) => {
    stats.requests++;
    // Sequence numbers: per session, never going back (a resend may repeat one).
    const id = Number(url.searchParams.get('id'));
    const idKey = url.searchParams.get('sid') || '';
    if (idKey && Number.isFinite(id)) {
      if (id < (lastIds.get(idKey) ?? -1)) stats.idsDecreasing++;
      lastIds.set(idKey, Math.max(lastIds.get(idKey) ?? -1, id));
    }
    // Anti-abuse: a solved challenge goes through once.
    const answer = req.headers['x-hashcash'];
    if (answer) {
      const [v, token, prefix] = String(answer).split(':');
      const easiness = pendingHashcash.get(token);
      if (v !== '1' || easiness === undefined || !verifyHashcash(token, prefix, easiness))
        return send(res, 402, '-3', hashcashHeader());
      pendingHashcash.delete(token);
      stats.hashcashSolved++;
    } else if (faults.hashcashCount > 0) {
      faults.hashcashCount--;
      return send(res, 402, '-3', hashcashHeader());
    }
    if (faults.serverErrors > 0) {
      faults.serverErrors--;
      stats.serverErrorsSent++;
      return send(res, 500, 'Server Too Busy');
    }
    if (faults.eagain > 0) {
      faults.eagain--;
      stats.eagainSent++;
      return send(res, 200, stats.eagainSent % 2 ? '-3' : '[-3]');
    }
    let cmds;
    try { cmds = JSON.parse(body.toString('utf8')); } catch (e) { return send(res, 200, '-2'); }
    if (!Array.isArray(cmds)) return send(res, 200, '-2');
    const sid = url.searchParams.get('sid');
    const account = sid ? sessions.get(sid) : null;
    if (sid && !account) return send(res, 200, '-15');
    const baseUrl = `http://${req.headers.host}`;
    const out = cmds.map((c) => {
      stats.commands[c.a] = (stats.commands[c.a] || 0) + 1;
      try { return command(c, account, baseUrl, sid); } catch (e) { console.error(e); return -1; }
    });
    send(res, 200, out, { 'Content-Type': 'application/json' });
  });
}

function hashcashHeader() {
  const token = crypto.randomBytes(48);
  pendingHashcash.set(e64(token), faults.hashcash);
  return { 'X-Hashcash': `1:${faults.hashcash}:${Math.floor(Date.now() / 1000)}:${e64(token)}` };
}
function verifyHashcash(token, prefix, easiness) {
  const tok = d64(token);
  const pre = d64(prefix || '');
  if (tok.length !== 48 || pre.length !== 4) return false;
  const buf = Buffer.alloc(4 + 262144 * 48);
  pre.copy(buf, 0);
  for (let i = 0; i < 262144; ++i) tok.copy(buf, 4 + i * 48);
  const h = crypto.createHash('sha256').update(buf).digest();
  const threshold = ((((easiness & 63) << 1) + 1) * 2 ** ((easiness >> 6) * 7 + 3));
  return h.readUInt32BE(0) <= threshold;
}

function handleUpload(req, res, token, offset) {
  const up = uploads.get(token);
  if (!up || up.done) { req.resume(); return send(res, 200, '-8'); }
  const length = Number(req.headers['content-length'] || 0);
  const end = offset + length;
  if (!isMacBoundary(offset) || (end !== up.size && !isMacBoundary(end)) || end > up.size) {
    req.resume();
    return send(res, 200, '-7');
  }
  const uploadLeft = Math.ceil((faults.uploadQuotaUntil - Date.now()) / 1000);
  if (uploadLeft > 0) {
    req.resume();
    stats.uploads509++;
    return send(res, 509, '', { 'X-MEGA-Time-Left': String(uploadLeft) });
  }
  stats.uploadPosts++;
  let dropAfter = -1;
  if (faults.drops > 0 && faults.dropUploadAfter >= 0) {
    faults.drops--;
    dropAfter = faults.dropUploadAfter;
  }
  let position = offset;
  let got = 0;
  req.on('data', (d) => {
    if (dropAfter >= 0 && got + d.length > dropAfter) {
      stats.drops++;
      req.socket.destroy(); // the connection dies mid-upload; nothing of this POST counts
      return;
    }
    fs.writeSync(up.fd, d, 0, d.length, position);
    position += d.length;
    got += d.length;
  });
  req.on('end', () => {
    if (got !== length) return;
    stats.uploadBytes += got;
    up.ranges = up.ranges || new Map();
    up.ranges.set(offset, got);
    let total = 0;
    for (const n of up.ranges.values()) total += n;
    if (total < up.size) return send(res, 200, '');
    up.done = true;
    fs.closeSync(up.fd);
    const raw = crypto.randomBytes(up.v2 ? 36 : 27);
    completions.set(e64(raw), up);
    send(res, 200, up.v2 ? raw : e64(raw));
  });
}

function handleDownload(req, res, token, range) {
  const handle = downloads.get(token);
  const node = handle && nodes.get(handle);
  if (!node) return send(res, 404, '');
  let start = 0, end = node.s - 1;
  if (range) {
    const m = /^(\d+)-(\d+)$/.exec(range);
    if (!m) return send(res, 416, '');
    start = Number(m[1]);
    end = Math.min(Number(m[2]), node.s - 1);
  }
  if (start > end + 1 || start >= node.s && node.s > 0) return send(res, 416, '');
  const length = end - start + 1;
  if (faults.transferQuota >= 0) {
    const left = Math.ceil(faults.quotaWait - (Date.now() - quotaStart) / 1000);
    if (left <= 0) {
      faults.transferQuota = -1; // the window passed: unlimited again
    } else if (faults.quotaBytes + length > faults.transferQuota) {
      stats.downloads509++;
      return send(res, 509, '', { 'X-MEGA-Time-Left': String(left) });
    } else {
      faults.quotaBytes += length;
    }
  }
  res.writeHead(200, { 'Content-Length': length, 'Content-Type': 'application/octet-stream' });
  if (faults.downloadDrops > 0 && faults.dropDownloadAfter > 0 && length > faults.dropDownloadAfter) {
    faults.downloadDrops--;
    const cut = faults.dropDownloadAfter;
    stats.downloadBytes += cut;
    stats.downloadsCut++;
    const part = fs.createReadStream(node.file, { start, end: start + cut - 1 });
    part.on('data', (d) => res.write(d));
    part.on('end', () => res.socket.destroy());
    return;
  }
  stats.downloadBytes += length;
  if (length === 0) return res.end();
  fs.createReadStream(node.file, { start, end }).pipe(res);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'POST' && url.pathname === '/cs') return handleCommands(req, res, url);
  if (req.method === 'POST' && parts[0] === 'ul' && parts.length === 3)
    return handleUpload(req, res, parts[1], Number(parts[2]));
  if (req.method === 'GET' && parts[0] === 'dl' && (parts.length === 2 || parts.length === 3))
    return handleDownload(req, res, parts[1], parts[2]);
  if (req.method === 'GET' && url.pathname === '/_stats') return send(res, 200, stats);
  if (req.method === 'POST' && url.pathname === '/_reset') { reset(); return send(res, 200, {}); }
  if (req.method === 'POST' && url.pathname === '/_faults') {
    return readBody(req, (body) => {
      const f = JSON.parse(body.toString() || '{}');
      if (f.revokeSessions) sessions.clear();
      if (f.corrupt) {
        const node = nodes.get(f.corrupt);
        if (!node) return send(res, 404, {});
        const fd = fs.openSync(node.file, 'r+');
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, f.offset || 0);
        b[0] ^= 0x01;
        fs.writeSync(fd, b, 0, 1, f.offset || 0);
        fs.closeSync(fd);
      }
      if (f.transferQuota !== undefined) { quotaStart = Date.now(); faults.quotaBytes = 0; }
      if (f.uploadQuotaWait !== undefined)
        faults.uploadQuotaUntil = Date.now() + f.uploadQuotaWait * 1000;
      for (const k of Object.keys(faults)) if (f[k] !== undefined) faults[k] = f[k];
      if (f.hashcash !== undefined && f.hashcashCount === undefined) faults.hashcashCount = 1;
      send(res, 200, faults);
    });
  }
  send(res, 404, '');
});
// Long uploads keep the command connection idle for minutes: no header/request deadlines (Node's
// 60 s headersTimeout closed such connections under clients' feet), long keep-alive.
server.keepAliveTimeout = 600000;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(opt.port, '127.0.0.1', () => {
  console.log(`mega-server listening on 127.0.0.1:${server.address().port} (data ${opt.data})`);
});
process.on('SIGTERM', () => process.exit(0));
