// The web page in a real browser (Debian's chromium, driven headless by playwright-core): signs
// in through one-time links, searches, opens a model, downloads a file and checks its SHA-256,
// at a phone's viewport and a desktop's; a used sign-in link and a mutating request without the
// CSRF token are refused. Prints one line per check; exits non-zero at the first failure.
//
// node web-page-check.mjs CHROMIUM BASE_URL MODEL FILE SHA256 SEARCH UPLOAD UPLOAD_SHA256 BIG
//                         RESTORE_DIR FOLDER LINK...
// (one sign-in link per viewport: 390x844, then 1400x900). At the desktop's size it also
// uploads UPLOAD with the file picker (then downloads it), drops a file made in the page, and
// cancels the upload of BIG midway (nothing of it may stay), then drops BIG itself and sees it
// floated with its SHA-256; then verifies MODEL and restores it into RESTORE_DIR, following both
// to 100 %, and removes it (the page asks first); drops FOLDER, which floats as one model of its
// files (each with its own progress bar), and restores it into RESTORE_DIR; and restores BIG into RESTORE_DIR, pausing
// and resuming the restore on the page on its way to 100 % (the caller compares the bytes).
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { chromium } from 'playwright-core';

const [executablePath, baseUrl, model, file, sha256, search, upload, uploadSha256, big, restoreDir,
  folder, ...links] = process.argv.slice(2);
const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// An accessibility scan of what the page shows now (axe-core, WCAG 2 A and AA rules): injected
// through the browser's debugging protocol, which the page's policy does not govern.
async function accessible(page, where, what) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const result = await globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  });
  check(found.length === 0, `${where}: ${what} has no accessibility violation (${found.join('; ')})`);
}

// The phone in the dark scheme, the desktop in the light one: the scans check both palettes.
// With SCREENSHOTS_DIR set (docs/screenshots), the main pages are also saved as pictures, in
// both schemes.
async function screenshots(page, viewport, name) {
  const dir = process.env.SCREENSHOTS_DIR;
  if (!dir) return;
  const size = viewport.width > 1000 ? 'desktop' : 'phone';
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${dir}/web-${name}-${size}-${scheme}.png` });
  }
  await page.emulateMedia({ colorScheme: viewport.colorScheme });
}

const viewports = [{ width: 390, height: 844, colorScheme: 'dark' },
  { width: 1400, height: 900, colorScheme: 'light' }];

// Waits until `probe()` is true (the page's strict policy refuses page.waitForFunction's eval).
async function until(probe, what, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error('FAILED (timed out): ' + what);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function check(ok, what) {
  if (!ok) throw new Error('FAILED: ' + what);
  console.log('ok: ' + what);
}

async function visit(browser, viewport, link) {
  const where = `${viewport.width}x${viewport.height} ${viewport.colorScheme}`;
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    colorScheme: viewport.colorScheme, acceptDownloads: true });
  // The rows the server renders into the page are taken over by its modules, not drawn again:
  // every row (or table) removed from the document is counted, and none may be before the
  // list is whole.
  await context.addInitScript(() => {
    window.mfRowsRemoved = 0;
    new MutationObserver((records) => {
      for (const record of records)
        for (const node of record.removedNodes)
          if (['TR', 'TBODY', 'TABLE'].includes(node.nodeName)) window.mfRowsRemoved += 1;
    }).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));

  const landed = await page.goto(link);
  check(landed.url() === baseUrl + '/', `${where}: the sign-in link leads to the page`);
  const csp = (await landed.allHeaders())['content-security-policy'] || '';
  check(csp.includes("default-src 'self'") && !csp.includes('unsafe-inline'),
    `${where}: the page has a strict Content-Security-Policy`);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'mf_session');
  check(session && session.httpOnly && session.sameSite === 'Strict',
    `${where}: the session cookie is HttpOnly and SameSite=Strict`);

  const served = await landed.text();
  check(served.includes('data-rendered="models"') && served.includes(`>${model}</a></td>`),
    `${where}: the page comes with the list's first rows in it`);
  // Polled from here: waitForFunction() evaluates a string, which the page's policy refuses.
  await until(() => page.evaluate(() => performance.getEntriesByName('mf-first-rows').length > 0),
    `${where}: the list's modules ran`);
  const shown = await page.locator('#count').innerText();
  const listed = await page.locator('tbody tr').count();
  const removed = await page.evaluate(() => window.mfRowsRemoved);
  check(removed === 0 && shown.startsWith(`${listed} of ${listed} models`),
    `${where}: the page's modules take the rendered rows over as they are (${listed} rows, "${shown}", ${removed} removed)`);
  await page.getByRole('link', { name: model, exact: true }).waitFor();
  await accessible(page, where, 'the list');
  await screenshots(page, viewport, 'list');
  const search_ = page.getByLabel('Search');
  const rows = page.locator('tbody tr');
  // The search also looks in the format facts: the GGUF model's quantization finds it alone.
  await search_.fill('q4_k_m');
  await until(async () => await rows.count() === 1,
    `${where}: searching a quantization leaves the GGUF model (${await rows.allInnerTexts()})`);
  const gguf = (await rows.first().innerText()).toLowerCase();
  check(gguf.includes('gguf') && gguf.includes('q4_k_m'),
    `${where}: the list shows a model's format and quantization`);
  await search_.fill(search);
  await until(async () => await rows.count() === 1,
    `${where}: searching "${search}" leaves one model (${await rows.allInnerTexts()})`);
  check(true, `${where}: searching "${search}" leaves one model`);
  const box = await page.getByRole('link', { name: model, exact: true }).boundingBox();
  check(box && box.height >= 44, `${where}: the model's link is at least 44 px tall`);
  await page.getByRole('link', { name: model, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: model }).waitFor();
  const picture = await page.getByRole('img', { name: /^Chunk health: / }).getAttribute('aria-label');
  check(/: 2 chunks: 2 with 2 or more good copies, 0 with fewer, 0 with none$/.test(picture),
    `${where}: the model's chunk health is pictured (${picture})`);
  await accessible(page, where, "the model's page");
  await screenshots(page, viewport, 'model');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  check(scrollWidth <= viewport.width, `${where}: the model's page fits the width (${scrollWidth} px)`);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download ' + file }).click(),
  ]);
  const saved = await download.path();
  const got = createHash('sha256').update(await readFile(saved)).digest('hex');
  check(got === sha256, `${where}: the downloaded ${file} has its SHA-256`);

  if (viewport.width > 1000) {
    await keyboardOnly(page, where);
    await uploads(page, where, problems);
    await folderRoundTrip(page, where, problems);
    await modelActions(page, where, problems);
    await pausedAndResumed(page, where);
  }
  check(problems.length === 0, `${where}: no script error or policy violation (${problems.join('; ')})`);

  // What another page could make this browser send: the cookie alone changes nothing.
  const status = await page.evaluate(async (name) =>
    (await fetch('/api/v1/models/' + encodeURIComponent(name), { method: 'DELETE' })).status, model);
  check(status === 403, `${where}: a removal without the CSRF token is refused (${status})`);
  await context.close();
}

async function downloadSha(page, name) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download ' + name }).click(),
  ]);
  return createHash('sha256').update(await readFile(await download.path())).digest('hex');
}

// The list and a model reached with the keyboard alone: Tab from the start of the page to the
// search box, type, Tab on to the model's link, Enter.
async function keyboardOnly(page, where) {
  await page.goto(baseUrl + '/#/');
  await page.getByRole('link', { name: model, exact: true }).waitFor();
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return `${e.tagName} ${e.id} ${e.textContent.trim()}`;
  });
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let steps = 0;
  while (!(await focused()).startsWith('INPUT search') && steps++ < 20) await page.keyboard.press('Tab');
  check((await focused()).startsWith('INPUT search'), `${where}: Tab reaches the search box`);
  await page.keyboard.type(search);
  steps = 0;
  while ((await focused()) !== `A  ${model}` && steps++ < 40) await page.keyboard.press('Tab');
  check((await focused()) === `A  ${model}`, `${where}: Tab reaches the model's link`);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: model }).waitFor();
  check(true, `${where}: Enter opens the model`);
}

async function modelStatus(page, name) {
  return page.evaluate(async (n) => (await fetch('/api/v1/models/' + encodeURIComponent(n))).status, name);
}

async function uploads(page, where, problems) {
  await page.goto(baseUrl + '/#/');
  const uploaded = upload.split('/').pop();
  const uploadModel = uploaded.replace(/\.[^.]*$/, '');
  await page.locator('#upload-files').setInputFiles(upload);
  await page.getByText(`floated as “${uploadModel}”`).waitFor({ timeout: 60000 });
  check(true, `${where}: a file chosen with the picker is floated`);
  await page.goto(baseUrl + '/#/model/' + encodeURIComponent(uploadModel));
  check(await downloadSha(page, uploaded) === uploadSha256,
    `${where}: the uploaded file downloads bit-exact`);

  // A synthetic drop of a file made in the page: 1 MiB of i % 251.
  await page.goto(baseUrl + '/#/');
  const made = Buffer.alloc(1 << 20);
  for (let i = 0; i < made.length; ++i) made[i] = i % 251;
  const dropped = await page.evaluateHandle(() => {
    const bytes = new Uint8Array(1 << 20);
    for (let i = 0; i < bytes.length; ++i) bytes[i] = i % 251;
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'dropped.bin'));
    return transfer;
  });
  await page.locator('.drop').dispatchEvent('drop', { dataTransfer: dropped });
  await page.getByText('floated as “dropped”').waitFor({ timeout: 60000 });
  const info = await page.evaluate(async () => (await fetch('/api/v1/models/dropped')).json());
  check(info.files[0].sha256 === createHash('sha256').update(made).digest('hex'),
    `${where}: a dropped file is floated with its SHA-256`);

  // Cancelled midway: the request is aborted, and the server removes what it had begun.
  const bigName = big.split('/').pop().replace(/\.[^.]*$/, '');
  await page.locator('#upload-files').setInputFiles(big);
  const bar = page.getByLabel('Upload of ' + big.split('/').pop(), { exact: true });
  await until(async () => Number(await bar.getAttribute('value')) > 0, `${where}: the big upload starts`);
  const sent = Number(await bar.getAttribute('value'));
  const size = Number(await bar.getAttribute('max'));
  await page.getByRole('button', { name: 'Cancel the upload of ' + big.split('/').pop() }).click();
  await page.getByText('cancelled; nothing was kept').waitFor();
  check(sent < size, `${where}: the upload was cancelled midway (${sent} of ${size} bytes sent)`);
  const before = problems.length;
  await until(async () => await modelStatus(page, bigName) === 404,
    `${where}: nothing of a cancelled upload stays (${await modelStatus(page, bigName)})`, 30000);
  check(true, `${where}: nothing of a cancelled upload stays`);
  problems.length = before; // the 404s asked for above are the browser's console errors too

  // The same big file dropped (a synthetic drop of the file from disk) and floated whole.
  const bigSha256 = await new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(big).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
  const picker = await page.evaluateHandle(() => {
    const input = document.createElement('input');
    input.type = 'file';
    return input;
  });
  await picker.setInputFiles(big);
  const bigDrop = await page.evaluateHandle((input) => {
    const transfer = new DataTransfer();
    transfer.items.add(input.files[0]);
    return transfer;
  }, picker);
  await page.locator('.drop').dispatchEvent('drop', { dataTransfer: bigDrop });
  await page.getByText(`floated as “${bigName}”`).waitFor({ timeout: 300000 });
  const bigInfo = await page.evaluate(async (n) =>
    (await fetch('/api/v1/models/' + encodeURIComponent(n))).json(), bigName);
  check(bigInfo.files.length === 1 && bigInfo.files[0].sha256 === bigSha256 &&
    bigInfo.files[0].size === size,
  `${where}: a dropped ${size}-byte file is floated whole with its SHA-256`);
}

// A folder dropped on the page (a real drop of the folder, through the browser's debugging
// protocol: the page walks its entries) floats as one model of its files, by their paths in it,
// each with its own progress bar; it restores into RESTORE_DIR.
async function folderRoundTrip(page, where, problems) {
  const name = folder.split('/').pop();
  await page.goto(baseUrl + '/#/');
  const paths = readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(relative(folder, e.parentPath ?? e.path), e.name));
  const zone = await page.locator('.drop').boundingBox();
  const at = { x: zone.x + zone.width / 2, y: zone.y + zone.height / 2 };
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [folder], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'])
    await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await cdp.detach();
  await page.getByText(`floated as “${name}”, ${paths.length} files`).waitFor({ timeout: 60000 });
  for (const path of paths) {
    const bar = page.getByLabel(`Upload of ${name}/${path}`, { exact: true });
    check(await bar.getAttribute('value') === await bar.getAttribute('max'),
      `${where}: ${path} has its own progress bar, full`);
  }
  const info = await page.evaluate(async (n) =>
    (await fetch('/api/v1/models/' + encodeURIComponent(n))).json(), name);
  const inModel = info.files.map((f) => f.path).sort();
  const expected = [...paths].sort();
  check(JSON.stringify(inModel) === JSON.stringify(expected),
    `${where}: a dropped folder is one model of its files by their paths (${inModel.join(', ')})`);
  await page.goto(baseUrl + '/#/model/' + encodeURIComponent(name));
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await page.getByLabel(/Restore into a folder/).fill(restoreDir);
  await followedToTheEnd(page, 'Restore', /^Restor/, where, "the folder's restore");

  // The folder picker sends a folder as one upload too: this one's name is taken now.
  const before = problems.length;
  await page.goto(baseUrl + '/#/');
  await page.locator('#upload-folder').setInputFiles(folder);
  await page.getByLabel('Uploads').getByText(`A model named “${name}” exists already`)
    .waitFor({ timeout: 60000 });
  check(true, `${where}: a folder chosen with the folder picker is sent as one model`);
  problems.length = before; // the 409 is a console error too
}

// A restore of the big model, paused and resumed on the page, followed to 100 %.
async function pausedAndResumed(page, where) {
  const bigName = big.split('/').pop().replace(/\.[^.]*$/, '');
  await page.goto(baseUrl + '/#/model/' + encodeURIComponent(bigName));
  await page.getByRole('heading', { level: 1, name: bigName }).waitFor();
  await page.getByLabel(/Restore into a folder/).fill(restoreDir);
  await page.getByRole('button', { name: 'Restore' }).click();
  const transfer = page.locator('[aria-label="Transfers of this model"] li', { hasText: /^Restor/ });
  await transfer.getByRole('button', { name: /^Pause / }).click({ timeout: 60000 });
  const paused = page.locator('[aria-label="Transfers of this model"] li[data-state="paused"]');
  await paused.waitFor({ timeout: 60000 });
  const pausedText = await paused.innerText();
  check(/paused \d+ %/.test(pausedText) && !pausedText.includes('100 %'),
    `${where}: a restore is paused on the page before its end (${pausedText.trim()})`);
  await paused.getByRole('button', { name: /^Resume / }).click();
  const done = page.locator('[aria-label="Transfers of this model"] li[data-state="done"]',
    { hasText: /^Restor/ });
  await done.waitFor({ timeout: 300000 });
  const text = await done.innerText();
  check(text.includes('100 %'), `${where}: the resumed restore is followed to 100 % (${text.trim()})`);
}

// A transfer started from the model's page, followed live until it is done.
async function followedToTheEnd(page, button, title, where, what) {
  await page.getByRole('button', { name: button }).click();
  const done = page.locator('[aria-label="Transfers of this model"] li[data-state="done"]',
    { hasText: title });
  await done.waitFor({ timeout: 60000 });
  const text = await done.innerText();
  check(text.includes('100 %'), `${where}: ${what} is followed live to 100 % (${text.trim()})`);
}

async function modelActions(page, where, problems) {
  await page.goto(baseUrl + '/#/model/' + encodeURIComponent(model));
  await page.getByRole('heading', { level: 1, name: model }).waitFor();
  await followedToTheEnd(page, 'Verify every copy', /^Verif/, where, 'a verification');
  await page.goto(baseUrl + '/#/model/' + encodeURIComponent(model));
  await page.getByRole('heading', { level: 1, name: model }).waitFor();
  await page.getByLabel(/Restore into a folder/).fill(restoreDir);
  await followedToTheEnd(page, 'Restore', /^Restor/, where, 'a restore');

  let asked = '';
  page.once('dialog', async (dialog) => { asked = dialog.message(); await dialog.accept(); });
  await page.getByRole('button', { name: 'Remove…' }).click();
  await page.getByText(`Removed “${model}”`).waitFor({ timeout: 60000 });
  check(asked.includes(model) && asked.includes('frees up to'),
    `${where}: removing asks first, naming what is freed (${asked})`);
  const before = problems.length;
  check(await modelStatus(page, model) === 404, `${where}: the removed model is gone`);
  problems.length = before; // that 404 is a console error too
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
try {
  for (let i = 0; i < viewports.length; ++i) await visit(browser, viewports[i], links[i]);
  // A used link signs no other browser in.
  const context = await browser.newContext();
  const page = await context.newPage();
  const reused = await page.goto(links[0]);
  check(reused.status() === 403, 'a used sign-in link is refused');
  check((await context.cookies()).length === 0, 'and sets no cookie');
  await context.close();
  console.log('all checks passed');
} catch (e) {
  console.log(e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
