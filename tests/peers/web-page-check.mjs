// The web page in a real browser (Debian's chromium, driven headless by playwright-core): signs
// in through one-time links, searches, opens a model, downloads a file and checks its SHA-256,
// at a phone's viewport and a desktop's; a used sign-in link and a mutating request without the
// CSRF token are refused. Prints one line per check; exits non-zero at the first failure.
//
// node web-page-check.mjs CHROMIUM BASE_URL MODEL FILE SHA256 SEARCH LINK...
// (one sign-in link per viewport: 390x844, then 1400x900)
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const [executablePath, baseUrl, model, file, sha256, search, ...links] = process.argv.slice(2);
const viewports = [{ width: 390, height: 844 }, { width: 1400, height: 900 }];

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
  const where = `${viewport.width}x${viewport.height}`;
  const context = await browser.newContext({ viewport, acceptDownloads: true });
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

  await page.getByRole('link', { name: model, exact: true }).waitFor();
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
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  check(scrollWidth <= viewport.width, `${where}: the model's page fits the width (${scrollWidth} px)`);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download ' + file }).click(),
  ]);
  const saved = await download.path();
  const got = createHash('sha256').update(await readFile(saved)).digest('hex');
  check(got === sha256, `${where}: the downloaded ${file} has its SHA-256`);

  check(problems.length === 0, `${where}: no script error or policy violation (${problems.join('; ')})`);

  // What another page could make this browser send: the cookie alone changes nothing.
  const status = await page.evaluate(async (name) =>
    (await fetch('/api/v1/models/' + encodeURIComponent(name), { method: 'DELETE' })).status, model);
  check(status === 403, `${where}: a removal without the CSRF token is refused (${status})`);
  await context.close();
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
