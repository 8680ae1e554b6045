#!/usr/bin/env node
// A Signature Version 4 checking front for s3rver, which checks only the access key id: every
// request's Authorization header is recomputed with the AWS SDK's own signer
// (@smithy/signature-v4) from the method, path, query and the headers the client says it
// signed, and the body's SHA-256 is compared with x-amz-content-sha256 — what AWS S3 does.
// A request that passes is forwarded to s3rver unchanged; one that fails gets S3's error XML.
//
//   node s3-sigv4-proxy.js --port P --upstream U [--access-key K --secret S --region R]
//                          [--extra-key K2:S2 ...] [--require-signed-payload]
//
// --extra-key adds another key pair that may sign (one per client whose requests a test wants
// to tell apart); its requests reach s3rver under the first key, whose account holds the data
// (s3rver knows one account, and checks only that a V4 request names a key id it knows).
//
// One line per request on stdout ("sigv4-proxy: PUT /bucket/key -> 200 key=K" or "-> 403
// SignatureDoesNotMatch key=K"; no "key=" when the request names no key), so tests can count
// what reached the server and who sent it. "listening" is printed once the port accepts
// connections.
'use strict';

const http = require('http');
const crypto = require('crypto');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

function option(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const port = Number(option('port', '4569'));
const upstreamPort = Number(option('upstream', '4568'));
const accessKey = option('access-key', 'S3RVER');
const secret = option('secret', 'S3RVER');
const region = option('region', 'us-east-1');
const requireSignedPayload = process.argv.includes('--require-signed-payload');
const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// Every key pair that may sign: the first, then each --extra-key ID:SECRET.
const secrets = new Map([[accessKey, secret]]);
process.argv.forEach((arg, i) => {
  if (arg !== '--extra-key' || i + 1 >= process.argv.length) return;
  const pair = process.argv[i + 1];
  const colon = pair.indexOf(':');
  if (colon > 0) secrets.set(pair.slice(0, colon), pair.slice(colon + 1));
});

function signerFor(keyId) {
  return new SignatureV4({
    credentials: { accessKeyId: keyId, secretAccessKey: secrets.get(keyId) },
    region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false, // S3 encodes the path once: the client's encoded path is canonical
    applyChecksum: false,
  });
}

// " key=K" for the log line of a request that names key K.
function keySuffix(req) {
  const auth = parseAuthorization(req.headers.authorization);
  return auth ? ` key=${auth.accessKey}` : '';
}

function xmlEscape(text) {
  return String(text).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function reject(req, res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(req.url)}</Resource>` +
    `<RequestId>sigv4-proxy</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
  console.log(`sigv4-proxy: ${req.method} ${req.url} -> ${status} ${code}${keySuffix(req)}`);
}

// Query parameters decoded the way S3 reads them ('+' is a plus, not a space).
function parseQuery(raw) {
  const query = {};
  if (!raw) return query;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (query[name] === undefined) query[name] = value;
    else query[name] = [].concat(query[name], value);
  }
  return query;
}

function parseAuthorization(header) {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/.exec(header || '');
  if (!m) return null;
  const scope = m[1].split('/');
  return { accessKey: scope[0], scope, signedHeaders: m[2].split(';'), signature: m[3] };
}

function amzDateToDate(value) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

async function check(req, body) {
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth) return [403, 'AccessDenied', 'The request carries no AWS4-HMAC-SHA256 Authorization header'];
  if (!secrets.has(auth.accessKey))
    return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const date = amzDateToDate(req.headers['x-amz-date']);
  if (!date) return [403, 'AccessDenied', 'x-amz-date is missing or malformed'];
  if (Math.abs(Date.now() - date.getTime()) > 15 * 60 * 1000)
    return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!payloadHash) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-amz-content-sha256'))
    return [403, 'AccessDenied', 'host and x-amz-content-sha256 must be signed'];

  const qmark = req.url.indexOf('?');
  const headers = {};
  for (const name of auth.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return [403, 'SignatureDoesNotMatch', `Signed header ${name} is missing`];
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signed = await signerFor(auth.accessKey).sign({
    method: req.method,
    protocol: 'http:',
    hostname: (req.headers.host || '').split(':')[0],
    path: qmark < 0 ? req.url : req.url.slice(0, qmark),
    query: parseQuery(qmark < 0 ? '' : req.url.slice(qmark + 1)),
    headers,
  }, { signingDate: date, signableHeaders: new Set(auth.signedHeaders), signingRegion: region });
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  if (expected !== auth.signature)
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];

  if (payloadHash === 'UNSIGNED-PAYLOAD') {
    if (requireSignedPayload) return [400, 'InvalidRequest', 'This server requires a signed payload hash'];
  } else {
    const actual = body.length ? crypto.createHash('sha256').update(body).digest('hex') : emptySha256;
    if (actual !== payloadHash)
      return [400, 'XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.'];
  }
  return null;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    let failure;
    try {
      failure = await check(req, body);
    } catch (e) {
      failure = [403, 'SignatureDoesNotMatch', 'The signature could not be checked: ' + e.message];
    }
    if (failure) {
      reject(req, res, ...failure);
      return;
    }
    const who = keySuffix(req);
    const headers = { ...req.headers };
    // s3rver's one account: an extra key's request goes on under the first key's id.
    if (headers.authorization)
      headers.authorization = headers.authorization.replace(/Credential=[^/,\s]+\//, `Credential=${accessKey}/`);
    const upstream = http.request({
      host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers,
    }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
      console.log(`sigv4-proxy: ${req.method} ${req.url} -> ${up.statusCode}${who}`);
    });
    upstream.on('error', (e) => {
      console.log(`sigv4-proxy: ${req.method} ${req.url} -> upstream error ${e.code}${who}`);
      res.destroy();
    });
    upstream.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
