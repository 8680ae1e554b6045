#!/usr/bin/env node
// A local Google Drive API v3 server for ModelFloat's tests, written from Google's documentation
// (see ../../../../shared/protocols/google-drive.md and docs/gdrive.md): OAuth 2.0 for installed
// apps (authorization code with PKCE S256, refresh, revocation), files.create (metadata only,
// multipart, media, resumable with 308 + Range and status queries), files.get (metadata and
// alt=media with Range), files.list (q, pageSize, pageToken, fields), files.update,
// files.delete, about.get, and the documented error bodies (401 authError, 403
// userRateLimitExceeded / rateLimitExceeded / storageQuotaExceeded, 404 notFound, 429, 5xx).
//
// It is checked by real clients (Google's Node client and rclone's drive backend, see
// client-check.mjs and tests/tst_drivepeer.cpp), so it is not a mock that merely agrees with
// ModelFloat. rclone's API host is fixed, so the server is also an HTTP proxy that answers
// CONNECT to www.googleapis.com:443 itself, over TLS with a self-signed certificate
// (--cert-dir: cert.pem is written there for rclone's --ca-cert).
//
// Usage: node drive-server.js --port N --data DIR [--cert-dir DIR]
//        [--client ID:SECRET]... (default: modelfloat-test.apps.googleusercontent.com:test-secret)
// Prints "listening <port>" when ready. Test controls (127.0.0.1 only, no auth) under /__control:
//   POST /__control/clock   {"advanceMs": n}      the server's clock moves on (tokens, caps)
//   POST /__control/config  {...}                 accessTokenSeconds, uploadCapBytes,
//                                                  storageLimitBytes, createPerSecond, createBurst
//   POST /__control/fault   {rule}                one fault rule (see Fault below)
//   POST /__control/reset-faults
//   POST /__control/mint    {"clientId": id}     a refresh token without the browser (rclone)
//   GET  /__control/stats                          requests seen, by kind
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const tls = require('tls');
const { execFileSync } = require('child_process');
const { parse: parseQuery, QueryError } = require('./query');
const { parseFields, select } = require('./fields');

// ---------------------------------------------------------------------------------------------
// Settings and state

function args() {
  const out = { port: 0, data: null, certDir: null, clients: [] };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--port') out.port = Number(a[++i]);
    else if (a[i] === '--data') out.data = a[++i];
    else if (a[i] === '--cert-dir') out.certDir = a[++i];
    else if (a[i] === '--client') out.clients.push(a[++i]);
  }
  if (!out.data) throw new Error('--data DIR is required');
  if (out.clients.length === 0) out.clients.push('modelfloat-test.apps.googleusercontent.com:test-secret');
  return out;
}

const opts = args();
fs.mkdirSync(path.join(opts.data, 'blobs'), { recursive: true });
fs.mkdirSync(path.join(opts.data, 'sessions'), { recursive: true });

const GiB = 1024 * 1024 * 1024;
const UploadUnit = 256 * 1024;
const config = {
  accessTokenSeconds: 3599,
  uploadCapBytes: 750 * GiB,
  storageLimitBytes: 15 * GiB,
  createPerSecond: 0, // 0: no pacing enforced
  createBurst: 10,
  rateLimitStatus: 403, // 403 userRateLimitExceeded, or 429 rateLimitExceeded
};
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;
const iso = (ms) => new Date(ms).toISOString();

const clients = new Map(); // id -> secret
for (const c of opts.clients) {
  const i = c.indexOf(':');
  clients.set(c.slice(0, i), c.slice(i + 1));
}

const codes = new Map(); // code -> {clientId, redirectUri, challenge, method, scope, expires}
const refreshTokens = new Map(); // token -> {clientId, scope, revoked}
const accessTokens = new Map(); // token -> {clientId, refresh, expires}
const files = new Map(); // id -> file record
const sessions = new Map(); // upload id -> session
const uploads = []; // {t, bytes}: for the rolling 24 h upload cap
let faults = [];
const stats = { requests: 0, byKind: {}, errors: {} };
let createTokens = config.createBurst;
let createRefillAt = now();

const randomId = (n) => crypto.randomBytes(n).toString('base64url').replace(/[-_]/g, 'x');

const rootId = '0A' + randomId(16);
files.set(rootId, {
  id: rootId, name: 'My Drive', mimeType: 'application/vnd.google-apps.folder', parents: [],
  appProperties: {}, properties: {}, trashed: false, createdTime: iso(now()),
  modifiedTime: iso(now()), size: null, isRoot: true,
});

// ---------------------------------------------------------------------------------------------
// Responses

function send(res, status, body, headers = {}) {
  const data = body === undefined || body === null ? Buffer.alloc(0)
    : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const h = { 'Content-Length': data.length, ...headers };
  if (data.length && !h['Content-Type']) h['Content-Type'] = 'application/json; charset=UTF-8';
  res.writeHead(status, h);
  res.end(data);
}

// Google's error body: {"error":{"code","message","errors":[{domain,reason,message}],"status"}}
function apiError(res, code, reason, message, extra = {}) {
  stats.errors[reason] = (stats.errors[reason] || 0) + 1;
  const status = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' }[code];
  const domain = { userRateLimitExceeded: 'usageLimits', rateLimitExceeded: 'usageLimits',
    dailyLimitExceeded: 'usageLimits', storageQuotaExceeded: 'global', authError: 'global' }[reason] || 'global';
  const err = { domain, reason, message, ...extra };
  const headers = {};
  if (code === 401) headers['WWW-Authenticate'] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"';
  send(res, code, { error: { code, message, errors: [err], ...(status ? { status } : {}) } }, headers);
}

function oauthError(res, code, error, description) {
  send(res, code, { error, error_description: description });
}

const notFound = (res, id) => apiError(res, 404, 'notFound', `File not found: ${id}.`,
  { location: 'fileId', locationType: 'parameter' });

// ---------------------------------------------------------------------------------------------
// Faults: {method?, path? (substring), skip?, times? (-1 all), status, reason, message,
//          dropAfterBytes? (resumable upload PUTs: close the connection after n body bytes),
//          stallAfterBytes? (resumable upload PUTs: stop reading after n body bytes, never answer)}
//          (dropAfterBytes on a download, GET alt=media: close the connection after n bytes of
//          the file; stats.mediaBytes counts the file bytes downloads sent, mediaCuts the cuts)

function takeFault(req, url, drop) {
  for (const f of faults) {
    if (drop !== (f.dropAfterBytes !== undefined || f.stallAfterBytes !== undefined)) continue;
    if (f.method && f.method !== req.method) continue;
    if (f.path && !(url.pathname + url.search).includes(f.path)) continue;
    if (f.skip > 0) { f.skip--; continue; }
    if (f.times === 0) continue;
    if (f.times > 0) f.times--;
    return f;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Body helpers

function readBody(req, limit = 64 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on('data', (d) => {
      size += d.length;
      if (size > limit) { reject(new Error('body too large')); req.destroy(); return; }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function parseMultipart(body, contentType) {
  const m = /boundary="?([^";]+)"?/i.exec(contentType || '');
  if (!m) return null;
  const delim = Buffer.from('--' + m[1]);
  const parts = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    pos += delim.length;
    if (body.slice(pos, pos + 2).toString() === '--') break;
    if (body.slice(pos, pos + 2).toString() === '\r\n') pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) return null;
    const headers = body.slice(pos, headEnd).toString();
    const next = body.indexOf(delim, headEnd + 4);
    if (next < 0) return null;
    let end = next;
    if (body[end - 2] === 13 && body[end - 1] === 10) end -= 2;
    parts.push({ headers, data: body.slice(headEnd + 4, end) });
    pos = next;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Auth

function authenticate(req, res) {
  const h = req.headers.authorization || '';
  const m = /^Bearer (.+)$/.exec(h);
  const token = m && accessTokens.get(m[1]);
  if (!token || token.expires <= now() || (token.refresh && refreshTokens.get(token.refresh)?.revoked)) {
    apiError(res, 401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      { location: 'Authorization', locationType: 'header' });
    return null;
  }
  return token;
}

function issueAccess(clientId, refresh) {
  const token = 'ya29.' + randomId(40);
  accessTokens.set(token, { clientId, refresh, expires: now() + config.accessTokenSeconds * 1000 });
  return token;
}

function isLoopback(uri) {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch { return false; }
}

async function handleAuthorize(req, res, url) {
  const p = url.searchParams;
  const clientId = p.get('client_id');
  const redirect = p.get('redirect_uri');
  if (!clients.has(clientId)) return send(res, 401, Buffer.from('Error 401: invalid_client'), { 'Content-Type': 'text/plain' });
  if (!redirect || !isLoopback(redirect)) return send(res, 400, Buffer.from('Error 400: redirect_uri_mismatch'), { 'Content-Type': 'text/plain' });
  const target = new URL(redirect);
  if (p.get('response_type') !== 'code') {
    target.searchParams.set('error', 'unsupported_response_type');
  } else if (p.get('deny') === '1') {
    // The user pressed "Cancel" on the consent screen.
    target.searchParams.set('error', 'access_denied');
  } else {
    const method = p.get('code_challenge_method') || 'plain';
    const challenge = p.get('code_challenge');
    if (challenge && method !== 'S256' && method !== 'plain') {
      target.searchParams.set('error', 'invalid_request');
    } else {
      // Real codes start with "4/": the slash must survive the redirect and the token request.
      const code = '4/0A' + randomId(30);
      codes.set(code, { clientId, redirectUri: redirect, challenge, method,
        scope: p.get('scope') || '', expires: now() + 10 * 60 * 1000 });
      target.searchParams.set('code', code);
      target.searchParams.set('scope', p.get('scope') || '');
    }
  }
  if (p.has('state')) target.searchParams.set('state', p.get('state'));
  // The consent screen, answered: the browser is sent to the app's loopback listener.
  send(res, 302, Buffer.from(`Redirecting to ${target}`), { Location: target.toString(), 'Content-Type': 'text/plain' });
}

async function handleToken(req, res) {
  const body = new URLSearchParams((await readBody(req)).toString());
  let clientId = body.get('client_id');
  let secret = body.get('client_secret');
  const basic = /^Basic (.+)$/.exec(req.headers.authorization || '');
  if (basic) {
    const [id, s] = Buffer.from(basic[1], 'base64').toString().split(':');
    clientId = decodeURIComponent(id); secret = decodeURIComponent(s || '');
  }
  if (!clients.has(clientId) || clients.get(clientId) !== secret) {
    return oauthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
  }
  const grant = body.get('grant_type');
  if (grant === 'authorization_code') {
    const code = body.get('code');
    const entry = codes.get(code);
    if (!entry || entry.clientId !== clientId || entry.expires <= now()) {
      return oauthError(res, 400, 'invalid_grant', 'Malformed auth code.');
    }
    codes.delete(code); // one use only
    if (body.get('redirect_uri') !== entry.redirectUri) {
      return oauthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
    }
    if (entry.challenge) {
      const verifier = body.get('code_verifier');
      if (!verifier || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
        return oauthError(res, 400, 'invalid_request', 'Missing code verifier.');
      }
      const computed = entry.method === 'S256'
        ? crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
      if (computed !== entry.challenge) return oauthError(res, 400, 'invalid_grant', 'Invalid code verifier.');
    }
    const refresh = '1//0g' + randomId(40);
    refreshTokens.set(refresh, { clientId, scope: entry.scope, revoked: false });
    return send(res, 200, { access_token: issueAccess(clientId, refresh), expires_in: config.accessTokenSeconds,
      refresh_token: refresh, scope: entry.scope, token_type: 'Bearer' });
  }
  if (grant === 'refresh_token') {
    const refresh = body.get('refresh_token');
    const entry = refreshTokens.get(refresh);
    if (!entry || entry.revoked || entry.clientId !== clientId) {
      return oauthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    return send(res, 200, { access_token: issueAccess(clientId, refresh), expires_in: config.accessTokenSeconds,
      scope: entry.scope, token_type: 'Bearer' });
  }
  return oauthError(res, 400, 'unsupported_grant_type', 'Invalid grant_type: ' + grant);
}

async function handleRevoke(req, res, url) {
  const body = new URLSearchParams((await readBody(req)).toString());
  const token = body.get('token') || url.searchParams.get('token');
  if (refreshTokens.has(token)) {
    refreshTokens.get(token).revoked = true;
  } else if (accessTokens.has(token)) {
    const a = accessTokens.get(token);
    if (a.refresh && refreshTokens.has(a.refresh)) refreshTokens.get(a.refresh).revoked = true;
    accessTokens.delete(token);
  } else {
    return oauthError(res, 400, 'invalid_token', 'Token expired or revoked');
  }
  send(res, 200, {});
}

// ---------------------------------------------------------------------------------------------
// Files

const Folder = 'application/vnd.google-apps.folder';
const defaultFileFields = parseFields('kind,id,name,mimeType');

function view(f, clientId) {
  const v = { kind: 'drive#file', id: f.id, name: f.name, mimeType: f.mimeType, parents: f.parents,
    trashed: f.trashed, explicitlyTrashed: f.trashed, createdTime: f.createdTime, modifiedTime: f.modifiedTime,
    properties: f.properties, appProperties: f.appProperties[clientId] || {}, starred: false,
    spaces: ['drive'], version: String(f.version || 1), ownedByMe: true, capabilities: { canEdit: true } };
  if (f.mimeType !== Folder) {
    Object.assign(v, { size: String(f.size), md5Checksum: f.md5, sha1Checksum: f.sha1,
      sha256Checksum: f.sha256, quotaBytesUsed: String(f.size), originalFilename: f.name,
      webContentLink: '', headRevisionId: f.revision });
  }
  return v;
}

function usedBytes() {
  let used = 0;
  for (const f of files.values()) if (f.size) used += f.size;
  return used;
}

function uploadedToday() {
  const since = now() - 24 * 3600 * 1000;
  while (uploads.length && uploads[0].t < since) uploads.shift();
  return uploads.reduce((s, u) => s + u.bytes, 0);
}

// Before a file is created: the pace of creations, the daily upload cap, the storage quota.
// Returns true when an error was sent.
function refuseCreation(res, size) {
  if (config.createPerSecond > 0) {
    const t = now();
    createTokens = Math.min(config.createBurst, createTokens + (t - createRefillAt) / 1000 * config.createPerSecond);
    createRefillAt = t;
    if (createTokens < 1) {
      if (config.rateLimitStatus === 429) apiError(res, 429, 'rateLimitExceeded', 'Rate Limit Exceeded');
      else apiError(res, 403, 'userRateLimitExceeded', 'User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. You may consider re-evaluating expected per-user traffic to the API and adjust project quota limits accordingly.');
      return true;
    }
    createTokens -= 1;
  }
  // rclone tells the 750 GB/day cap from a rate limit by this exact message.
  if (size > 0 && uploadedToday() >= config.uploadCapBytes) {
    apiError(res, 403, 'userRateLimitExceeded', 'User rate limit exceeded.');
    return true;
  }
  if (size > 0 && usedBytes() + size > config.storageLimitBytes) {
    apiError(res, 403, 'storageQuotaExceeded', "The user's Drive storage quota has been exceeded.");
    return true;
  }
  return false;
}

function newFile(meta, clientId) {
  const id = '1' + randomId(24);
  const t = now();
  const parents = Array.isArray(meta.parents) && meta.parents.length
    ? meta.parents.map((p) => (p === 'root' ? rootId : p)) : [rootId];
  for (const p of parents) {
    if (!files.has(p) || files.get(p).mimeType !== Folder) return { error: p };
  }
  return {
    id, name: meta.name || 'Untitled', mimeType: meta.mimeType || 'application/octet-stream', parents,
    appProperties: meta.appProperties ? { [clientId]: { ...meta.appProperties } } : {},
    properties: { ...(meta.properties || {}) }, trashed: false,
    createdTime: meta.createdTime || iso(t), modifiedTime: meta.modifiedTime || iso(t), size: 0,
    version: 1, revision: randomId(12),
  };
}

function hashFile(file) {
  return new Promise((resolve, reject) => {
    const md5 = crypto.createHash('md5');
    const sha1 = crypto.createHash('sha1');
    const sha256 = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (d) => { md5.update(d); sha1.update(d); sha256.update(d); })
      .on('end', () => resolve({ md5: md5.digest('hex'), sha1: sha1.digest('hex'), sha256: sha256.digest('hex') }))
      .on('error', reject);
  });
}

async function storeBlob(f, blobPath) {
  const h = await hashFile(blobPath);
  f.size = fs.statSync(blobPath).size;
  f.md5 = h.md5; f.sha1 = h.sha1; f.sha256 = h.sha256;
  fs.renameSync(blobPath, path.join(opts.data, 'blobs', f.id));
  files.set(f.id, f);
  uploads.push({ t: now(), bytes: f.size });
}

function fieldsOf(url, fallback) {
  return url.searchParams.has('fields') ? parseFields(url.searchParams.get('fields')) : fallback;
}

async function handleCreateMetadata(req, res, url, token) {
  const meta = JSON.parse((await readBody(req)).toString() || '{}');
  if (meta.mimeType !== Folder && refuseCreation(res, 0)) return;
  const f = newFile(meta, token.clientId);
  if (f.error) return notFound(res, f.error);
  f.size = meta.mimeType === Folder ? null : 0;
  if (f.size === 0) {
    const empty = crypto.createHash('md5').digest('hex');
    f.md5 = empty; f.sha1 = crypto.createHash('sha1').digest('hex'); f.sha256 = crypto.createHash('sha256').digest('hex');
    fs.writeFileSync(path.join(opts.data, 'blobs', f.id), Buffer.alloc(0));
  }
  files.set(f.id, f);
  send(res, 200, select(view(f, token.clientId), fieldsOf(url, defaultFileFields)));
}

async function handleUpload(req, res, url, token) {
  const type = url.searchParams.get('uploadType');
  if (url.searchParams.has('upload_id')) return handleSessionPut(req, res, url, token);
  if (type === 'resumable') {
    const meta = JSON.parse((await readBody(req)).toString() || '{}');
    const total = req.headers['x-upload-content-length'] !== undefined ? Number(req.headers['x-upload-content-length']) : -1;
    if (refuseCreation(res, Math.max(total, 1))) return;
    const f = newFile(meta, token.clientId);
    if (f.error) return notFound(res, f.error);
    const id = 'AD' + randomId(60);
    const blob = path.join(opts.data, 'sessions', id);
    fs.writeFileSync(blob, Buffer.alloc(0));
    sessions.set(id, { id, file: f, total, received: 0, blob, clientId: token.clientId,
      fields: url.searchParams.get('fields'), created: now(), done: false });
    const scheme = req.socket.encrypted ? 'https' : 'http';
    const location = `${scheme}://${req.headers.host}/upload/drive/v3/files?uploadType=resumable&upload_id=${id}`;
    return send(res, 200, null, { Location: location, 'X-GUploader-UploadID': id });
  }
  const body = await readBody(req);
  let meta = {};
  let data = body;
  if (type === 'multipart') {
    const parts = parseMultipart(body, req.headers['content-type']);
    if (!parts || parts.length !== 2) return apiError(res, 400, 'badContent', 'Bad multipart body.');
    meta = JSON.parse(parts[0].data.toString() || '{}');
    data = parts[1].data;
  } else if (type !== 'media') {
    return apiError(res, 400, 'invalid', `Invalid value for uploadType: ${type}`);
  }
  if (refuseCreation(res, Math.max(data.length, 1))) return;
  const f = newFile(meta, token.clientId);
  if (f.error) return notFound(res, f.error);
  const tmp = path.join(opts.data, 'sessions', 'simple-' + f.id);
  fs.writeFileSync(tmp, data);
  await storeBlob(f, tmp);
  send(res, 200, select(view(f, token.clientId), fieldsOf(url, defaultFileFields)));
}

function rangeHeader(session) {
  return session.received > 0 ? { Range: `bytes=0-${session.received - 1}` } : {};
}

async function completeSession(res, session) {
  session.done = true;
  await storeBlob(session.file, session.blob);
  const fields = session.fields ? parseFields(session.fields) : defaultFileFields;
  send(res, 200, select(view(session.file, session.clientId), fields));
}

async function handleSessionPut(req, res, url) {
  const session = sessions.get(url.searchParams.get('upload_id'));
  // Sessions last about a week.
  if (!session || session.created + 7 * 24 * 3600 * 1000 < now()) {
    await readBody(req).catch(() => {});
    return apiError(res, 404, 'notFound', 'Upload session not found or expired.');
  }
  if (session.done) {
    await readBody(req).catch(() => {});
    const fields = session.fields ? parseFields(session.fields) : defaultFileFields;
    return send(res, 200, select(view(files.get(session.file.id) || session.file, session.clientId), fields));
  }
  const range = req.headers['content-range'];
  const length = Number(req.headers['content-length'] || 0);
  let start = 0;
  let total = session.total;
  let statusQuery = false;
  if (range) {
    const q = /^bytes \*\/(\*|\d+)$/.exec(range);
    const m = /^bytes (\d+)-(\d+)\/(\*|\d+)$/.exec(range);
    if (q) {
      statusQuery = true;
      if (q[1] !== '*') total = Number(q[1]);
    } else if (m) {
      start = Number(m[1]);
      if (Number(m[2]) - start + 1 !== length) {
        await readBody(req).catch(() => {});
        return apiError(res, 400, 'badRequest', 'Failed to parse Content-Range header.');
      }
      if (m[3] !== '*') total = Number(m[3]);
    } else {
      await readBody(req).catch(() => {});
      return apiError(res, 400, 'badRequest', 'Failed to parse Content-Range header.');
    }
  } else {
    total = length; // the whole file in one request
  }
  if (total >= 0 && session.total >= 0 && total !== session.total) {
    await readBody(req).catch(() => {});
    return apiError(res, 400, 'badRequest', 'Invalid request. The size of the upload changed.');
  }
  if (total >= 0) session.total = total;
  if (statusQuery) {
    await readBody(req).catch(() => {});
    if (session.total >= 0 && session.received === session.total) return completeSession(res, session);
    return send(res, 308, null, rangeHeader(session));
  }
  if (start > session.received) {
    await readBody(req).catch(() => {});
    return apiError(res, 400, 'badRequest', `Invalid request. According to the Content-Range header, the upload offset is ${start} byte(s), which exceeds already uploaded size of ${session.received} byte(s).`);
  }
  const final = session.total >= 0 && start + length === session.total;
  if (!final && length % UploadUnit !== 0) {
    await readBody(req).catch(() => {});
    return apiError(res, 400, 'badRequest', `Invalid request. The number of bytes uploaded is required to be equal or greater than ${UploadUnit}, except for the final request (it's recommended to be the exact multiple of ${UploadUnit}). The received request contained ${length} bytes, which does not meet this requirement.`);
  }
  const fault = takeFault(req, url, true);
  const dropAfter = fault && fault.dropAfterBytes !== undefined ? fault.dropAfterBytes : -1;
  const stallAfter = fault && fault.stallAfterBytes !== undefined ? fault.stallAfterBytes : -1;
  // Bytes [start, start+length) arrive; the ones below `received` are already there.
  let offset = start;
  let seen = 0;
  const fd = fs.openSync(session.blob, 'r+');
  const finishWrites = () => { try { fs.closeSync(fd); } catch {} };
  await new Promise((resolve) => {
    let ended = false;
    const end = (dropped) => {
      if (ended) return;
      ended = true;
      finishWrites();
      if (dropped) {
        // What was cut off mid-way is kept in whole units only: the client must ask (status
        // query) and trust the Range it gets back.
        session.received = Math.floor(session.received / UploadUnit) * UploadUnit;
        fs.truncateSync(session.blob, session.received);
      }
      resolve(dropped);
    };
    req.on('data', (d) => {
      if (ended) return;
      let chunk = d;
      if (dropAfter >= 0 && seen + chunk.length > dropAfter) chunk = chunk.slice(0, Math.max(0, dropAfter - seen));
      if (stallAfter >= 0 && seen + chunk.length > stallAfter) chunk = chunk.slice(0, Math.max(0, stallAfter - seen));
      seen += chunk.length;
      if (offset + chunk.length > session.received) {
        const skip = Math.max(0, session.received - offset);
        const part = chunk.slice(skip);
        fs.writeSync(fd, part, 0, part.length, offset + skip);
        session.received = offset + chunk.length;
      }
      offset += chunk.length;
      if (dropAfter >= 0 && seen >= dropAfter) {
        req.socket.destroy();
        end(true);
      }
      // A server that stops moving: nothing more is read or answered until the client gives
      // up (or is killed); then the session keeps what arrived, in whole units.
      if (stallAfter >= 0 && seen >= stallAfter) {
        stats.stalled = (stats.stalled || 0) + 1;
        req.pause();
      }
    });
    req.on('end', () => end(false));
    req.on('aborted', () => end(true));
    req.on('error', () => end(true));
    req.on('close', () => end(!req.complete));
  }).then(async (dropped) => {
    if (dropped || res.destroyed) return;
    if (session.total >= 0 && session.received === session.total) return completeSession(res, session);
    send(res, 308, null, rangeHeader(session));
  });
}

function listFiles(res, url, token) {
  let predicate = () => true;
  if (url.searchParams.get('q')) {
    try {
      predicate = parseQuery(url.searchParams.get('q'));
    } catch (e) {
      if (e instanceof QueryError) return apiError(res, 400, 'invalid', 'Invalid Value', { location: 'q', locationType: 'parameter' });
      throw e;
    }
  }
  const ctx = { clientId: token.clientId, rootId };
  let all = [...files.values()].filter((f) => !f.isRoot && predicate(f, ctx));
  const order = url.searchParams.get('orderBy');
  if (order) {
    const key = order.split(',')[0].trim().split(' ')[0];
    const desc = /desc/.test(order.split(',')[0]);
    all.sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0) * (desc ? -1 : 1));
  }
  const pageSize = Math.min(1000, Math.max(1, Number(url.searchParams.get('pageSize') || 100)));
  let offset = 0;
  const pageToken = url.searchParams.get('pageToken');
  if (pageToken) {
    try {
      const t = JSON.parse(Buffer.from(pageToken, 'base64url').toString());
      if (t.q !== (url.searchParams.get('q') || '')) throw new Error('other query');
      offset = t.offset;
    } catch {
      return apiError(res, 400, 'invalid', 'Invalid Value', { location: 'pageToken', locationType: 'parameter' });
    }
  }
  const page = all.slice(offset, offset + pageSize);
  const out = { kind: 'drive#fileList', incompleteSearch: false, files: page.map((f) => view(f, token.clientId)) };
  if (offset + pageSize < all.length) {
    out.nextPageToken = Buffer.from(JSON.stringify({ q: url.searchParams.get('q') || '', offset: offset + pageSize })).toString('base64url');
  }
  const fields = fieldsOf(url, parseFields('kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)'));
  send(res, 200, select(out, fields));
}

function getFile(req, res, url, token, id) {
  const f = files.get(id === 'root' ? rootId : id);
  if (!f) return notFound(res, id);
  if (url.searchParams.get('alt') !== 'media') {
    return send(res, 200, select(view(f, token.clientId), fieldsOf(url, defaultFileFields)));
  }
  if (f.mimeType === Folder) return apiError(res, 403, 'fileNotDownloadable', 'Only files with binary content can be downloaded.');
  const blob = path.join(opts.data, 'blobs', f.id);
  const size = f.size;
  let start = 0;
  let end = size - 1;
  let status = 200;
  const headers = { 'Content-Type': f.mimeType, 'Accept-Ranges': 'bytes', 'X-Goog-Hash': `md5=${Buffer.from(f.md5, 'hex').toString('base64')}` };
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    if (m && (m[1] || m[2])) {
      if (m[1]) { start = Number(m[1]); if (m[2]) end = Math.min(Number(m[2]), size - 1); } else { start = Math.max(0, size - Number(m[2])); }
      if (start >= size) {
        return send(res, 416, Buffer.from('Requested range not satisfiable'), { 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain' });
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  const cut = takeFault(req, url, true);
  res.writeHead(status, headers);
  if (size === 0 || req.method === 'HEAD') return res.end();
  if (cut && cut.dropAfterBytes > 0 && cut.dropAfterBytes < end - start + 1) {
    stats.mediaBytes = (stats.mediaBytes || 0) + cut.dropAfterBytes;
    stats.mediaCuts = (stats.mediaCuts || 0) + 1;
    const part = fs.createReadStream(blob, { start, end: start + cut.dropAfterBytes - 1 });
    part.on('data', (d) => res.write(d));
    part.on('end', () => res.socket.destroy());
    return;
  }
  stats.mediaBytes = (stats.mediaBytes || 0) + (end - start + 1);
  fs.createReadStream(blob, { start, end }).pipe(res);
}

async function updateFile(req, res, url, token, id) {
  const f = files.get(id);
  if (!f) return notFound(res, id);
  const meta = JSON.parse((await readBody(req)).toString() || '{}');
  if (meta.name !== undefined) f.name = meta.name;
  if (meta.trashed !== undefined) f.trashed = !!meta.trashed;
  if (meta.modifiedTime !== undefined) f.modifiedTime = meta.modifiedTime;
  if (meta.appProperties) {
    const mine = { ...(f.appProperties[token.clientId] || {}) };
    for (const [k, v] of Object.entries(meta.appProperties)) { if (v === null) delete mine[k]; else mine[k] = v; }
    f.appProperties[token.clientId] = mine;
  }
  const add = url.searchParams.get('addParents');
  const remove = url.searchParams.get('removeParents');
  if (remove) f.parents = f.parents.filter((p) => !remove.split(',').includes(p));
  if (add) for (const p of add.split(',')) if (!f.parents.includes(p)) f.parents.push(p);
  f.version = (f.version || 1) + 1;
  send(res, 200, select(view(f, token.clientId), fieldsOf(url, defaultFileFields)));
}

function deleteFile(res, id) {
  const f = files.get(id);
  if (!f || f.isRoot) return notFound(res, id);
  const doomed = [f];
  // A folder takes its contents with it.
  for (let i = 0; i < doomed.length; i++) {
    for (const g of files.values()) if (g.parents.includes(doomed[i].id) && !doomed.includes(g)) doomed.push(g);
  }
  for (const g of doomed) {
    files.delete(g.id);
    fs.rmSync(path.join(opts.data, 'blobs', g.id), { force: true });
  }
  send(res, 204, null);
}

function about(res, url, token) {
  if (!url.searchParams.has('fields')) {
    return apiError(res, 400, 'required', "The 'fields' parameter is required for this method.", { location: 'fields', locationType: 'parameter' });
  }
  const used = usedBytes();
  const out = { kind: 'drive#about',
    user: { kind: 'drive#user', displayName: 'Test User', emailAddress: 'test@example.com', me: true },
    storageQuota: { limit: String(config.storageLimitBytes), usage: String(used), usageInDrive: String(used), usageInDriveTrash: '0' },
    maxUploadSize: String(5120 * GiB), appInstalled: true, canCreateDrives: false };
  void token;
  send(res, 200, select(out, parseFields(url.searchParams.get('fields'))));
}

// ---------------------------------------------------------------------------------------------
// Test controls

async function control(req, res, url) {
  const body = req.method === 'POST' ? JSON.parse((await readBody(req)).toString() || '{}') : {};
  switch (url.pathname) {
    case '/__control/clock':
      clockOffsetMs += Number(body.advanceMs || 0);
      return send(res, 200, { now: now(), offsetMs: clockOffsetMs });
    case '/__control/config':
      Object.assign(config, body);
      createTokens = Math.min(createTokens, config.createBurst);
      return send(res, 200, config);
    case '/__control/fault':
      faults.push({ skip: 0, times: 1, ...body });
      return send(res, 200, { faults: faults.length });
    case '/__control/reset-faults':
      faults = [];
      return send(res, 200, {});
    case '/__control/mint': {
      const clientId = body.clientId || [...clients.keys()][0];
      const refresh = '1//0g' + randomId(40);
      refreshTokens.set(refresh, { clientId, scope: 'https://www.googleapis.com/auth/drive.file', revoked: false });
      return send(res, 200, { refresh_token: refresh, access_token: issueAccess(clientId, refresh), expires_in: config.accessTokenSeconds });
    }
    case '/__control/stats':
      return send(res, 200, { ...stats, files: files.size - 1, sessions: sessions.size, uploadedToday: uploadedToday() });
    default:
      return send(res, 404, { error: 'no such control' });
  }
}

// ---------------------------------------------------------------------------------------------
// Routing

function kindOf(req, url) {
  if (url.pathname.startsWith('/upload/')) {
    if (url.searchParams.has('upload_id')) return 'upload.session';
    return 'upload.' + url.searchParams.get('uploadType');
  }
  if (url.pathname === '/drive/v3/files') return req.method === 'GET' ? 'files.list' : 'files.create';
  if (url.pathname.startsWith('/drive/v3/files/')) {
    if (req.method === 'GET') return url.searchParams.get('alt') === 'media' ? 'files.download' : 'files.get';
    return req.method === 'DELETE' ? 'files.delete' : 'files.update';
  }
  if (url.pathname.startsWith('/drive/v3/about')) return 'about.get';
  return url.pathname;
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
  if (url.pathname.startsWith('/__control/')) return control(req, res, url);
  stats.requests++;
  const kind = kindOf(req, url);
  stats.byKind[kind] = (stats.byKind[kind] || 0) + 1;
  const fault = takeFault(req, url, false);
  if (fault) {
    await readBody(req).catch(() => {});
    return apiError(res, fault.status || 500, fault.reason || 'backendError', fault.message || 'Backend Error');
  }

  if (url.pathname === '/o/oauth2/v2/auth' || url.pathname === '/o/oauth2/auth') return handleAuthorize(req, res, url);
  if (url.pathname === '/token' || url.pathname === '/o/oauth2/token') return handleToken(req, res);
  if (url.pathname === '/revoke' || url.pathname === '/o/oauth2/revoke') return handleRevoke(req, res, url);

  const token = authenticate(req, res);
  if (!token) { req.resume(); return; }
  if (url.pathname === '/upload/drive/v3/files' && (req.method === 'POST' || req.method === 'PUT')) return handleUpload(req, res, url, token);
  if (url.pathname === '/drive/v3/files' && req.method === 'GET') return listFiles(res, url, token);
  if (url.pathname === '/drive/v3/files' && req.method === 'POST') return handleCreateMetadata(req, res, url, token);
  const m = /^\/drive\/v3\/files\/([^/]+)$/.exec(url.pathname);
  if (m) {
    const id = decodeURIComponent(m[1]);
    if (req.method === 'GET' || req.method === 'HEAD') return getFile(req, res, url, token, id);
    if (req.method === 'DELETE') return deleteFile(res, id);
    if (req.method === 'PATCH') return updateFile(req, res, url, token, id);
  }
  if (url.pathname === '/drive/v3/about') return about(res, url, token);
  apiError(res, 404, 'notFound', `Not found: ${req.method} ${url.pathname}`);
}

function handler(req, res) {
  handle(req, res).catch((e) => {
    if (!res.headersSent && !res.destroyed) apiError(res, 500, 'backendError', 'Backend Error: ' + e.message);
  });
}

// ---------------------------------------------------------------------------------------------
// The servers: plain HTTP on 127.0.0.1, and the same API over TLS for CONNECT (rclone).

const server = http.createServer(handler);
server.keepAliveTimeout = 30000;
let tlsOptions = null;
if (opts.certDir) {
  fs.mkdirSync(opts.certDir, { recursive: true });
  const key = path.join(opts.certDir, 'key.pem');
  const cert = path.join(opts.certDir, 'cert.pem');
  if (!fs.existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-days', '30', '-subj', '/CN=www.googleapis.com',
      '-addext', 'subjectAltName=DNS:www.googleapis.com,DNS:oauth2.googleapis.com,DNS:accounts.google.com,IP:127.0.0.1',
      '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  }
  tlsOptions = { key: fs.readFileSync(key), cert: fs.readFileSync(cert), ALPNProtocols: ['http/1.1'] };
}
const inner = http.createServer(handler);
server.on('connect', (req, socket, head) => {
  if (!tlsOptions) { socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'); return; }
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head && head.length) socket.unshift(head);
  const secure = new tls.TLSSocket(socket, { isServer: true, ...tlsOptions });
  secure.on('error', () => socket.destroy());
  inner.emit('connection', secure);
});
server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
