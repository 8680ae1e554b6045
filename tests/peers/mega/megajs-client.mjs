#!/usr/bin/env node
// megajs (the third-party MEGA client) pointed at a MEGA API server with its `gateway` option:
// the check that the local server speaks MEGA's protocol, and that files ModelFloat stores there
// are files MEGA's own clients can open (and the other way round).
//
//   node megajs-client.mjs GATEWAY EMAIL ACTION [ARGS]   (the password comes from MEGA_PASSWORD)
//     login                         log in and print the account's files as JSON lines
//     download FOLDER NAME          download FOLDER/NAME: megajs checks its MAC; prints
//                                   {"name","size","sha256"}
//     upload FOLDER NAME FILE       upload FILE as FOLDER/NAME (FOLDER made if missing); prints
//                                   {"handle","size","ms"}
// Exit status 0 on success; 1 with the error on stderr otherwise.
import * as megajs from 'megajs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [gateway, email, action, ...rest] = process.argv.slice(2);
const password = process.env.MEGA_PASSWORD;

function fail(e) {
  console.error(String(e && e.stack ? e.stack : e) + (e && e.cause ? `\ncause: ${e.cause.stack || e.cause}` : ''));
  process.exit(1);
}

async function main() {
  const storage = new megajs.Storage({ email, password, gateway, keepalive: false, autologin: false });
  await storage.login();
  const folderNamed = (name) => storage.root.children.find((f) => f.directory && f.name === name);
  if (action === 'login') {
    for (const f of Object.values(storage.files))
      console.log(JSON.stringify({ handle: f.nodeId, name: f.name, size: f.size, directory: !!f.directory }));
  } else if (action === 'download') {
    const [folderName, name] = rest;
    const folder = folderNamed(folderName);
    const file = folder && folder.children.find((f) => f.name === name);
    if (!file) throw new Error(`no file ${folderName}/${name}`);
    const data = await file.downloadBuffer(); // rejects on a MAC mismatch
    console.log(JSON.stringify({ name: file.name, size: data.length,
                                 sha256: createHash('sha256').update(data).digest('hex') }));
  } else if (action === 'upload') {
    const [folderName, name, path] = rest;
    let folder = folderNamed(folderName);
    if (!folder) folder = await storage.mkdir(folderName);
    const data = readFileSync(path); // megajs encrypts the buffer in place: it is ours alone
    const started = Date.now();
    const file = await folder.upload({ name, size: data.length }, data).complete;
    console.log(JSON.stringify({ handle: file.nodeId, size: data.length, ms: Date.now() - started }));
  } else {
    throw new Error(`unknown action ${action}`);
  }
  storage.close();
}

main().catch(fail);
