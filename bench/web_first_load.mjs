// Benchmark (not a test), run by bench/web_first_load.sh: the web page's first load in Debian's
// chromium (headless, playwright-core from tests/peers): from opening a fresh sign-in link in a
// new browser context (no cache, no cookie) to the first rows of the model list on screen, and
// to every model fetched; and the page's own clock, from its navigation's start (after the
// sign-in redirect): its last byte arrived, its first paint (first-contentful-paint: with the
// rows, when the server rendered them into it), and the mark models.js sets when its own code
// has the rows (took the rendered ones over). No polling by the driver in those. RUNS times;
// prints the median and p99 of each. With FLOOR_URL (a page that says only "Hello"), each load
// is followed by one of that page in a new context, whose first paint is the browser's floor.
//
// node bench/web_first_load.mjs BASE_URL TOKEN RUNS [FLOOR_URL]
import { chromium } from '../tests/peers/node_modules/playwright-core/index.mjs';

const [baseUrl, token, runsText, floorUrl] = process.argv.slice(2);
const runs = Number(runsText || 30);

async function newLink() {
  const reply = await fetch(baseUrl + '/api/v1/session/links', {
    method: 'POST', headers: { Authorization: 'Bearer ' + token }, body: '',
  });
  if (reply.status !== 201) throw new Error('no sign-in link: ' + reply.status);
  return (await reply.json()).link;
}

async function until(probe) {
  for (;;) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// The first paint of the page that says only "Hello", in a new context, by its own clock.
async function floorFirstPaint() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(floorUrl, { waitUntil: 'load' });
  await until(() => page.evaluate(
    () => performance.getEntriesByName('first-contentful-paint').length > 0));
  const paint = await page.evaluate(
    () => performance.getEntriesByName('first-contentful-paint')[0].startTime);
  await context.close();
  return paint;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox'] });
const firstRows = [];
const everyModel = [];
const inPage = [];
const htmlArrived = [];
const firstPaint = [];
const floorPaint = [];
let renderedRows = 0;
let total = '';
for (let i = 0; i < runs; ++i) {
  const link = await newLink();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const start = performance.now();
  const landed = await page.goto(link, { waitUntil: 'commit' });
  await page.locator('tbody tr').first().waitFor();
  firstRows.push(performance.now() - start);
  // The page's own share: from the start of its navigation (after the sign-in redirect) to the
  // mark models.js sets once it put the first rows in the list.
  // Polled from here: waitForFunction() evaluates a string, which the page's policy refuses.
  await until(() => page.evaluate(() => performance.getEntriesByName('mf-first-rows').length > 0));
  const marks = await page.evaluate(() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    return { rows: performance.getEntriesByName('mf-first-rows')[0].startTime,
      html: performance.getEntriesByType('navigation')[0].responseEnd,
      paint: paint ? paint.startTime : NaN };
  });
  // The server rendered the first rows into the page: its first paint shows them.
  if ((await landed.text()).includes('data-rendered="models"')) renderedRows += 1;
  inPage.push(marks.rows);
  htmlArrived.push(marks.html);
  firstPaint.push(marks.paint);
  const count = page.locator('#count');
  await until(async () => !(await count.innerText()).includes('loaded'));
  everyModel.push(performance.now() - start);
  total = await count.innerText();
  await context.close();
  if (floorUrl) floorPaint.push(await floorFirstPaint());
}
await browser.close();
const ms = (v) => v.toFixed(0) + ' ms';
console.log(`${runs} first loads, ${total}`);
const line = (what, values) =>
  console.log(`${what}: median ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}`);
console.log(`the page came with the list's first rows in it: ${renderedRows} of ${runs} loads`);
line("the page arrived, page's own clock (navigation start to its last byte)", htmlArrived);
line("first paint, page's own clock (first-contentful-paint)", firstPaint);
if (floorUrl) line('the browser\'s floor: first paint of a page saying only "Hello", same clock', floorPaint);
line("modules took the list over, page's own clock (navigation start to mf-first-rows)", inPage);
console.log(`first rows on screen, from opening the link in a new context: median ${ms(percentile(firstRows, 50))}, p99 ${ms(percentile(firstRows, 99))}`);
console.log(`every model fetched:  median ${ms(percentile(everyModel, 50))}, p99 ${ms(percentile(everyModel, 99))}`);
