// The dashboard in a real browser (Debian's chromium driven by playwright-core), against the
// real `bosun run --api` that tests/api_dashboard.rs started. It talks to the Rust test in
// lines: it prints `bosun-test: <step>` when a step is done and reads `submitted <task id>`
// from stdin. On failure it saves a screenshot of every page to BOSUN_ARTIFACTS, prints what
// the pages logged, and exits 1.
//
// Env: BOSUN_DASHBOARD_URL (http://127.0.0.1:PORT/), BOSUN_USER_TOKEN, BOSUN_READONLY_TOKEN,
// BOSUN_FIRST_TASK (a finished task whose description holds markup), BOSUN_PLAYWRIGHT (the
// node_modules folder with playwright-core), BOSUN_CHROMIUM, BOSUN_ARTIFACTS, and optionally
// BOSUN_DASHBOARD_SCREENSHOT (where to save the README's picture too).

import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const URL = env('BOSUN_DASHBOARD_URL');
const USER = env('BOSUN_USER_TOKEN');
const READONLY = env('BOSUN_READONLY_TOKEN');
const FIRST = env('BOSUN_FIRST_TASK');
const ARTIFACTS = env('BOSUN_ARTIFACTS');
// Generous: two cores are shared by several builds, and without a socket the page polls.
const WAIT = { timeout: 30_000 };

const require = createRequire(join(env('BOSUN_PLAYWRIGHT'), 'resolve-from-here.js'));
const { chromium } = require('playwright-core');

const say = (step) => console.log(`bosun-test: ${step}`);

const lines = createInterface({ input: process.stdin });
const waiting = [];
const received = [];
lines.on('line', (line) => (waiting.length ? waiting.shift()(line) : received.push(line)));
function nextLine() {
  if (received.length) return Promise.resolve(received.shift());
  return new Promise((resolve, reject) => {
    waiting.push(resolve);
    setTimeout(() => reject(new Error('no line from the Rust test within 120 s')), 120_000).unref();
  });
}

function check(condition, what) {
  if (!condition) throw new Error(`expected: ${what}`);
}

const pages = new Map();
const logs = [];

async function open(browser, name, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('console', (m) => logs.push(`[${name}] console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[${name}] page error: ${e.message}`));
  page.on('requestfailed', (r) => logs.push(`[${name}] request failed: ${r.url()} ${r.failure()?.errorText}`));
  pages.set(name, page);
  await page.goto(url);
  return page;
}

async function run(browser) {
  // 1. No token yet: the page asks for one; a bad one is refused with the API's reason.
  const page = await open(browser, 'user', URL);
  await page.locator('#login').waitFor({ state: 'visible', ...WAIT });
  await page.fill('#token', 'not-a-token');
  await page.click('#login button[type=submit]');
  await page.locator('#login-error', { hasText: 'not a Bosun token' }).waitFor(WAIT);
  check(await page.locator('#login').isVisible(), 'the token prompt again after a 401');

  // 2. The user's token, typed in: the list shows the task, its markup as text.
  await page.fill('#token', USER);
  await page.click('#login button[type=submit]');
  const first = page.locator(`#tasks [data-task-id="${FIRST}"]`);
  await first.waitFor(WAIT);
  check((await first.textContent()).includes('<b>markup stays text</b>'), 'the description as text');
  check((await page.locator('#tasks b, #detail b').count()) === 0, 'no element made from task text');
  check((await page.evaluate(() => localStorage.getItem('bosun.token'))) === USER, 'the token kept');
  await page.evaluate(() => { window.bosunSamePage = true; });
  say('listed');

  // 3. A task submitted from the CLI appears without a reload, and its question in the inbox.
  const [word, task] = (await nextLine()).split(' ');
  check(word === 'submitted' && task, `a submitted task id from the test, not "${word}"`);
  await page.locator(`#tasks [data-task-id="${task}"]`).waitFor(WAIT);
  check(await page.evaluate(() => window.bosunSamePage === true), 'the same page, not reloaded');
  const push = page.locator(`#inbox [data-task-id="${task}"] button[data-choice="push"]`);
  await push.waitFor(WAIT);
  check(await push.isEnabled(), 'a user token may answer');

  // 4. A read-only token from the address: taken out of it, the answers offered but disabled.
  const watcher = await open(browser, 'readonly', `${URL}#token=${READONLY}`);
  const seen = watcher.locator(`#inbox [data-task-id="${task}"] button[data-choice="push"]`);
  await seen.waitFor(WAIT);
  check(!watcher.url().includes('token'), `the token removed from the address: ${watcher.url()}`);
  check(await seen.isDisabled(), 'a read-only token cannot answer');
  check(await watcher.locator('#readonly-note').isVisible(), 'the read-only note');
  await watcher.context().close();
  pages.delete('readonly');

  // 5. The task selected: its steps; the picture for the README.
  await page.click(`#tasks [data-task-id="${task}"]`);
  await page.locator('#detail-body [data-step-id="ship"]').waitFor(WAIT);
  const picture = join(ARTIFACTS, 'dashboard.png');
  await page.screenshot({ path: picture });
  if (process.env.BOSUN_DASHBOARD_SCREENSHOT) copyFileSync(picture, process.env.BOSUN_DASHBOARD_SCREENSHOT);

  // 6. The answer: the question leaves the inbox; the Rust test checks the engine went on.
  await push.click();
  await page.locator(`#inbox [data-task-id="${task}"]`).waitFor({ state: 'detached', ...WAIT });
  say('answered');

  // 7. The task's end reaches the page by itself.
  await page.locator(`#tasks [data-task-id="${task}"] .status-succeeded`).waitFor(WAIT);
  await page.locator('#detail-body [data-step-id="pushed"] .output', { hasText: 'pushed' }).waitFor(WAIT);
  say('done');
}

mkdirSync(ARTIFACTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: env('BOSUN_CHROMIUM'),
  headless: true,
  // playwright gives each launch a fresh temporary profile (user-data-dir) of its own.
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
let failed = false;
try {
  await run(browser);
} catch (error) {
  failed = true;
  console.error(`dashboard test failed: ${error.stack ?? error}`);
  for (const [name, page] of pages) {
    const path = join(ARTIFACTS, `failure-${name}.png`);
    await page.screenshot({ path, fullPage: true }).then(
      () => console.error(`screenshot: ${path}`),
      (e) => console.error(`no screenshot of ${name}: ${e.message}`));
  }
  console.error(`what the pages logged:\n${logs.join('\n') || '(nothing)'}`);
} finally {
  await browser.close();
  lines.close();
}
process.exit(failed ? 1 : 0);
