// Checks the local Drive server with Google's own Node client (@googleapis/drive and
// google-auth-library), so the server answers as Google's API does and not only as ModelFloat
// expects: sign-in with PKCE (this script plays the browser), refresh, listing with q and
// pagination, a multipart upload, a resumable upload in pieces with 308 and a status query, a
// ranged download, about.get, errors as the library reads them, deletion and revocation.
//
// Usage: node client-check.mjs http://127.0.0.1:PORT
// Prints "client-check ok: N checks" and exits 0, or prints what failed and exits 1.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { drive: makeDrive } = require('@googleapis/drive');
const { OAuth2Client } = require('google-auth-library');

const base = (process.argv[2] || '').replace(/\/$/, '');
const clientId = 'modelfloat-test.apps.googleusercontent.com';
const clientSecret = 'test-secret';
let checks = 0;
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  checks++;
}

const redirectUri = 'http://127.0.0.1:53682/';
const auth = new OAuth2Client({
  clientId, clientSecret, redirectUri,
  endpoints: { oauth2AuthBaseUrl: `${base}/o/oauth2/v2/auth`, oauth2TokenUrl: `${base}/token`,
    oauth2RevokeUrl: `${base}/revoke` },
});

// Sign-in: PKCE S256 from the library, the consent answered by following the auth URL.
const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
const state = crypto.randomBytes(8).toString('hex');
const authUrl = auth.generateAuthUrl({ access_type: 'offline', scope: ['https://www.googleapis.com/auth/drive.file'],
  code_challenge_method: 'S256', code_challenge: codeChallenge, state });
const consent = await fetch(authUrl, { redirect: 'manual' });
check(consent.status === 302, 'the consent redirects to the app');
const back = new URL(consent.headers.get('location'));
check(back.origin + back.pathname === redirectUri, 'to the redirect URI');
check(back.searchParams.get('state') === state, 'with the state');
const code = back.searchParams.get('code');
check(code && code.startsWith('4/'), 'a code that starts with 4/');

// A wrong verifier is refused; the right one gets tokens.
let refused = false;
try {
  await auth.getToken({ code, codeVerifier: 'x'.repeat(43) });
} catch (e) {
  refused = /invalid_grant/.test(String(e.response?.data?.error || e.message));
}
check(refused, 'a wrong code_verifier is refused (invalid_grant)');
// The code was spent by the refused attempt: sign in again.
const again = await fetch(auth.generateAuthUrl({ scope: ['https://www.googleapis.com/auth/drive.file'],
  code_challenge_method: 'S256', code_challenge: codeChallenge, state }), { redirect: 'manual' });
const code2 = new URL(again.headers.get('location')).searchParams.get('code');
const { tokens } = await auth.getToken({ code: code2, codeVerifier });
check(tokens.access_token && tokens.refresh_token, 'access and refresh tokens');
auth.setCredentials(tokens);

// Refresh: force it with an expired access token.
auth.setCredentials({ ...tokens, access_token: 'ya29.expired', expiry_date: Date.now() - 1000 });
const drive = makeDrive({ version: 'v3', auth, rootUrl: `${base}/` });

const folder = await drive.files.create({ requestBody: { name: 'ModelFloat', mimeType: 'application/vnd.google-apps.folder' }, fields: 'id' });
check(folder.data.id, 'a folder (after a refresh)');
check(auth.credentials.access_token !== 'ya29.expired', 'the library refreshed its token');

// Multipart upload (the library's default with media).
const small = crypto.randomBytes(100_000);
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const up = await drive.files.create({
  requestBody: { name: 'small.bin', parents: [folder.data.id], appProperties: { cid: 'bafk-small' } },
  media: { mimeType: 'application/octet-stream', body: Readable.from([small]) },
  fields: 'id,size,md5Checksum,sha256Checksum,appProperties',
}, { rootUrl: `${base}/` });
check(up.data.size === String(small.length), 'multipart: size as a string');
check(up.data.sha256Checksum === sha(small), 'multipart: sha256Checksum');
check(up.data.md5Checksum === crypto.createHash('md5').update(small).digest('hex'), 'multipart: md5Checksum');
check(up.data.appProperties.cid === 'bafk-small', 'multipart: appProperties');

// Resumable upload in 256 KiB pieces through the auth client, with a status query between.
const big = crypto.randomBytes(3 * 262144 + 1000);
const start = await auth.request({
  url: `${base}/upload/drive/v3/files?uploadType=resumable&fields=id,size,sha256Checksum`,
  method: 'POST', headers: { 'X-Upload-Content-Length': String(big.length), 'X-Upload-Content-Type': 'application/octet-stream' },
  data: { name: 'big.bin', parents: [folder.data.id], appProperties: { cid: 'bafk-big' } },
});
const session = start.headers.location || start.headers.get?.('location');
check(session && session.includes('upload_id='), 'resumable: a session URI');
const piece = 262144;
let offset = 0;
let done = null;
while (offset < big.length) {
  const end = Math.min(offset + 2 * piece, big.length);
  const r = await auth.request({ url: session, method: 'PUT', data: big.subarray(offset, end),
    headers: { 'Content-Range': `bytes ${offset}-${end - 1}/${big.length}`, 'Content-Type': 'application/octet-stream' },
    validateStatus: (s) => s === 308 || s === 200 || s === 201 });
  if (r.status === 308) {
    const range = r.headers.range || r.headers.get?.('range');
    check(range === `bytes=0-${end - 1}`, `resumable: 308 with Range up to ${end - 1}`);
    const q = await auth.request({ url: session, method: 'PUT', headers: { 'Content-Range': `bytes */${big.length}` },
      validateStatus: (s) => s === 308 });
    check((q.headers.range || q.headers.get?.('range')) === range, 'resumable: the status query agrees');
  } else {
    done = r.data;
  }
  offset = end;
}
check(done && done.size === String(big.length) && done.sha256Checksum === sha(big), 'resumable: the file, checksummed');

// Listing with q (appProperties, parents) and pagination.
const byCid = await drive.files.list({ q: `'${folder.data.id}' in parents and appProperties has { key='cid' and value='bafk-big' } and trashed = false`, fields: 'files(id,name,size)' });
check(byCid.data.files.length === 1 && byCid.data.files[0].id === done.id, 'list: an exact lookup by appProperties');
const names = [];
let pageToken;
let pages = 0;
do {
  const page = await drive.files.list({ q: `'${folder.data.id}' in parents`, pageSize: 1, pageToken, fields: 'nextPageToken,files(id,name)' });
  names.push(...page.data.files.map((f) => f.name));
  pageToken = page.data.nextPageToken;
  pages++;
} while (pageToken);
check(pages === 2 && names.sort().join() === 'big.bin,small.bin', 'list: pages of one');

// Ranged download, with the library's own media handling.
const ranged = await drive.files.get({ fileId: done.id, alt: 'media' }, { responseType: 'arraybuffer', headers: { Range: 'bytes=262100-262299' } });
check(ranged.status === 206, 'download: 206 for a range');
check(Buffer.from(ranged.data).equals(big.subarray(262100, 262300)), 'download: the bytes of the range');
const whole = await drive.files.get({ fileId: up.data.id, alt: 'media' }, { responseType: 'arraybuffer' });
check(Buffer.from(whole.data).equals(small), 'download: a whole file');

const about = await drive.about.get({ fields: 'storageQuota' });
check(Number(about.data.storageQuota.usage) >= big.length + small.length, 'about: usage');

// Errors as the library reads them: 404 with reason notFound.
let reason = '';
try {
  await drive.files.get({ fileId: 'missing-file', fields: 'id' });
} catch (e) {
  reason = e.errors?.[0]?.reason || e.response?.data?.error?.errors?.[0]?.reason;
  check(e.code === 404 || e.status === 404, 'error: 404');
}
check(reason === 'notFound', 'error: reason notFound');

await drive.files.delete({ fileId: up.data.id });
const after = await drive.files.list({ q: `'${folder.data.id}' in parents`, fields: 'files(id)' });
check(after.data.files.length === 1, 'delete: the file is gone');

// Revocation: the refresh token no longer works.
await auth.revokeToken(auth.credentials.refresh_token);
auth.setCredentials({ refresh_token: auth.credentials.refresh_token, access_token: 'ya29.old', expiry_date: Date.now() - 1 });
let revoked = false;
try {
  await drive.files.list({ fields: 'files(id)' });
} catch (e) {
  revoked = /invalid_grant/.test(JSON.stringify(e.response?.data || e.message));
}
check(revoked, 'revoke: the grant is dead (invalid_grant)');

console.log(`client-check ok: ${checks} checks`);
