// End-to-end tests of the web demo (web-demo/) in headless Debian Chromium: the demo is
// built with scripts/demo.sh, served by `vite preview` on a free port, and driven through
// its UI on a persistent profile (as a user's browser keeps IndexedDB). Also checks that
// `vite dev` serves a working page. Screenshots go to test-results/demo/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../browser/harness.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demoDir = join(root, 'web-demo');
const shots = join(root, 'test-results/demo');
const temp = mkdtempSync(join(tmpdir(), 'atomservices-demo-'));
const VIEWPORT = { width: 1400, height: 1000 };
const BULK = 10_000;

let vite;
let server;
let context;
let page;

function launch(profile, options = {}) {
  return chromium.launchPersistentContext(join(temp, profile), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true, args: CHROMIUM_ARGS, viewport: VIEWPORT, acceptDownloads: true, ...options,
  });
}

/** Opens the demo and waits until it opened its ledger, or showed why it could not. */
async function openDemo(ctx, url = server.url) {
  const p = await ctx.newPage();
  p.problems = [];
  p.on('pageerror', (error) => p.problems.push(String(error)));
  await p.goto(url);
  await settledStore(p);
  return p;
}

function settledStore(p) {
  return p.waitForSelector('body:is([data-store="open"], [data-store="locked"], [data-store="failed"])', { timeout: 20_000 });
}

const storeState = (p) => p.getAttribute('body', 'data-store');
const banner = (p) => p.textContent('#store-banner');
const logCount = (p) => p.textContent('#log-count');

/** Runs `action`, then waits for the activity entry it made to reach one of `states`. */
async function act(p, action, states = ['handled', 'done', 'failed']) {
  const seq = 1 + await p.$$eval('#activity-list > li', (items) => Math.max(0, ...items.map((li) => Number(li.dataset.seq))));
  await action();
  await p.waitForFunction(([seq, states]) => {
    const entry = document.querySelector(`#activity-list > li[data-seq="${seq}"]`);
    return entry && states.includes(entry.dataset.state);
  }, [seq, states], { timeout: 60_000 });
  return p.$eval(`#activity-list > li[data-seq="${seq}"]`, (li) => ({ state: li.dataset.state, code: li.dataset.code, text: li.textContent }));
}

const setMode = (p, mode) => p.click(`#commands label:has(input[value="${mode}"])`);

function openAccount(p, owner, states) {
  return act(p, async () => {
    await p.fill('#owner', owner);
    await p.click('#open-btn');
  }, states);
}

function move(p, kind, amount, states) {
  return act(p, async () => {
    await p.fill('#amount', amount);
    await p.click(`#${kind}-btn`);
  }, states);
}

async function selectAccount(p, owner) {
  await p.click(`#accounts-body tr:has(td.owner:text-is("${owner}"))`);
  await p.waitForFunction((owner) => document.querySelector('#travel-title')?.textContent.startsWith(owner), owner);
}

/** The accounts table as [owner, balance, status, version] rows, once `ready` holds for it. */
async function accountsWhen(p, ready) {
  const read = () => p.$$eval('#accounts-body tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await read();
    if (ready(rows) || Date.now() > deadline) return rows;
    await p.waitForTimeout(100);
  }
}

const row = (rows, owner) => rows.find((r) => r[0] === owner);

async function shoot(p, name) {
  await p.screenshot({ path: join(shots, `${name}.png`) });
}

async function exportLog(p, file) {
  const [download] = await Promise.all([p.waitForEvent('download'), act(p, () => p.click('#export-btn'))]);
  await download.saveAs(file);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Chooses `file` (a path or { name, mimeType, buffer }) in the import dialog. */
function importFile(p, file, states) {
  return act(p, () => p.setInputFiles('#import-file', file), states);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  execFileSync('bash', [join(root, 'scripts/demo.sh'), 'build'], { stdio: 'inherit' });
  vite = await import(pathToFileURL(createRequire(join(demoDir, 'package.json')).resolve('vite')).href);
  const preview = await vite.preview({ root: demoDir, logLevel: 'silent', preview: { host: '127.0.0.1', port: 0, strictPort: true } });
  server = { url: preview.resolvedUrls.local[0], close: () => preview.close() };
  context = await launch('main');
});

after(async () => {
  await context?.close();
  await server?.close();
  rmSync(temp, { recursive: true, force: true });
});

describe('the web demo, built and served by vite preview', () => {
  it('opens an empty ledger from IndexedDB', async () => {
    page = await openDemo(context);
    assert.equal(await storeState(page), 'open');
    assert.match(await banner(page), /0 events loaded from IndexedDB/);
    assert.equal(await logCount(page), '0 events');
  });

  it('dispatches in both consistency modes and shows each step, the log and the state', async () => {
    await setMode(page, 'eventual');
    const opened = await openAccount(page, 'Ada');
    assert.equal(opened.state, 'handled');
    assert.match(opened.text, /^eventual.*v1 stored in IndexedDB.*handlers done/);
    assert.match((await move(page, 'deposit', '100')).text, /v2 stored in IndexedDB.*handlers done/);

    await setMode(page, 'strong');
    const strong = await move(page, 'withdraw', '30.25');
    assert.equal(strong.state, 'handled');
    assert.match(strong.text, /^strong.*v3 stored and handled/);

    await setMode(page, 'eventual');
    for (const [owner, amount] of [['Grace', '250'], ['Linus', '42.10']]) {
      // Stored is enough to go on; the handlers start right after, and may be done already.
      await openAccount(page, owner, ['stored', 'handled']);
      await move(page, 'deposit', amount, ['stored', 'handled']);
    }
    const rows = await accountsWhen(page, (rows) => rows.length === 3 && row(rows, 'Linus')?.[3] === 'v2');
    assert.deepEqual(row(rows, 'Ada'), ['Ada', '69.75', 'open', 'v3']);
    assert.deepEqual(row(rows, 'Grace'), ['Grace', '250.00', 'open', 'v2']);
    await page.waitForFunction(() => document.querySelector('#log-count').textContent === '7 events');
    const log = await page.$$eval('.log-row', (rows) => rows.map((r) => r.textContent));
    assert.equal(log.length, 7);
    assert.match(log[0], /#1v1AccountOpenedAda/);
    assert.match(log[2], /#3v3MoneyWithdrawnAda.*\{"amountCents":3025\}/);
    await shoot(page, '01-dispatched');
  });

  it('shows refusals as readable messages with their codes: the app\'s rules, a stale write, an invalid event, a failed handler', async () => {
    await selectAccount(page, 'Ada');
    const invalid = await move(page, 'deposit', 'abc');
    assert.equal(invalid.code, 'INVALID_AMOUNT');
    assert.match(invalid.text, /"abc" is not an amount/);
    assert.equal((await move(page, 'withdraw', '1000')).code, 'INSUFFICIENT_FUNDS');
    assert.equal((await act(page, () => page.click('#close-btn'))).code, 'BALANCE_NOT_ZERO');

    const stale = await act(page, () => page.click('#stale-btn'));
    assert.equal(stale.code, 'CONCURRENCY_CONFLICT');
    assert.match(stale.text, /built for version 2 of the account, but the account is already at version 3/);
    const nan = await act(page, () => page.click('#nan-btn'));
    assert.equal(nan.code, 'INVALID_EVENT');
    assert.match(nan.text, /payloads\.amountCents is NaN/);

    await page.check('#fail-handler');
    await setMode(page, 'strong');
    const failed = await move(page, 'deposit', '0.25');
    assert.equal(failed.code, 'HANDLER_FAILED');
    assert.match(failed.text, /stored, but a handler failed: receipt-printer: the receipt printer is out of paper/);
    await page.uncheck('#fail-handler');
    await setMode(page, 'eventual');
    const rows = await accountsWhen(page, (rows) => row(rows, 'Ada')?.[3] === 'v4');
    assert.deepEqual(row(rows, 'Ada'), ['Ada', '70.00', 'open', 'v4'], 'only the deposit whose handler failed was stored');
    assert.equal(await logCount(page), '8 events');
    await shoot(page, '02-refusals');
  });

  it(`generates ${BULK.toLocaleString('en-US')} events in batches and measures writing and rehydrating`, async () => {
    const bulk = await act(page, () => page.click(`#bulk button[data-count="${BULK}"]`));
    assert.equal(bulk.state, 'done', bulk.text);
    const result = await page.textContent('#bulk-results li');
    assert.match(result, /10,000 events written in [\d.]+ m?s \(10 batches, [\d,]+ events\/s\)/);
    assert.match(result, /rehydrated \(best of 3\): NativeReducer [\d.]+ m?s · JS reducer [\d.]+ m?s/);
    console.log(`    bulk: ${result}`);
    await page.waitForFunction(() => document.querySelector('#log-count').textContent === '10,008 events');
    const rows = await accountsWhen(page, (rows) => row(rows, 'Bulk 10,000')?.[3] === 'v10,000');
    assert.equal(row(rows, 'Bulk 10,000')[3], 'v10,000');
    // The timeline follows the end of the log; scrolling back reads older pages.
    assert.ok(await page.$('.log-row[data-position="10008"]'));
    await page.$eval('#log-viewport', (v) => { v.scrollTop = 0; });
    await page.waitForSelector('.log-row[data-position="1"]');
    assert.ok((await page.$$('.log-row')).length < 100, 'only the visible rows exist');
    await shoot(page, '03-bulk');
  });

  it('time-travels: shows an account at any earlier version', async () => {
    await selectAccount(page, 'Ada');
    assert.equal(await page.getAttribute('#travel-slider', 'max'), '4');
    await page.locator('#travel-slider').fill('2');
    await page.waitForFunction(() => document.querySelector('#travel-label').textContent === 'version 2 of 4');
    const state = await page.textContent('#travel-state');
    assert.match(state, /Balance100\.00now 70\.00/);
    assert.match(state, /Deposits1Withdrawals0/);
    assert.match(await page.textContent('#travel-event'), /^v2 MoneyDeposited \{"amountCents":10000\}/);
    await shoot(page, '04-time-travel');
    await page.locator('#travel-slider').fill('1');
    await page.waitForFunction(() => document.querySelector('#travel-label').textContent === 'version 1 of 4');
    assert.match(await page.textContent('#travel-state'), /Balance0\.00now 70\.00/);
  });

  it('keeps everything across a reload', async () => {
    const before = await accountsWhen(page, () => true);
    await page.reload();
    await settledStore(page);
    assert.match(await banner(page), /10,008 events loaded from IndexedDB/);
    await page.waitForFunction(() => document.querySelector('#log-count').textContent === '10,008 events');
    const after = await accountsWhen(page, (rows) => rows.length === before.length && rows.every((r) => r[3] !== ''));
    assert.deepEqual(after.map((r) => r.slice(0, 4)), before.map((r) => r.slice(0, 4)));
    await shoot(page, '05-reloaded');
  });

  it('works in a second tab at once: both take commands and both timelines move', async () => {
    const second = await openDemo(context);
    assert.equal(await storeState(second), 'open');
    assert.match(await banner(second), /10,008 events loaded from IndexedDB/);
    assert.equal((await openAccount(second, 'Grace')).state, 'handled');
    for (const p of [page, second]) await p.waitForFunction(() => document.querySelector('#log-count').textContent === '10,009 events');
    assert.equal((await openAccount(page, 'Alan')).state, 'handled');
    for (const p of [page, second]) await p.waitForFunction(() => document.querySelector('#log-count').textContent === '10,010 events');
    for (const p of [page, second]) {
      const rows = await accountsWhen(p, (rows) => row(rows, 'Grace') && row(rows, 'Alan'));
      assert.ok(row(rows, 'Grace') && row(rows, 'Alan'), 'each tab lists the accounts both opened');
    }
    await shoot(second, '06-second-tab');
    await second.close();
    assert.equal((await openAccount(page, 'Barbara')).state, 'handled', 'the first tab goes on alone');
    assert.deepEqual([...page.problems, ...second.problems], []);
  });

  it('exports the log and imports it into a fresh profile, refusing invalid files', async () => {
    const exported = await exportLog(page, join(temp, 'export.json'));
    assert.equal(exported.format, 'atomservices-demo/ledger');
    assert.equal(exported.events.length, 10_011);

    const fresh = await launch('fresh');
    try {
      const other = await openDemo(fresh);
      assert.match(await banner(other), /0 events loaded from IndexedDB/);
      const notJson = await importFile(other, { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('not json') });
      assert.equal(notJson.code, 'NOT_JSON');
      const notLedger = await importFile(other, { name: 'data.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":"world"}') });
      assert.equal(notLedger.code, 'NOT_A_LEDGER');
      const broken = structuredClone(exported);
      broken.events[5]._version = 7;
      const conflict = await importFile(other, { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(broken)) });
      assert.equal(conflict.code, 'CONCURRENCY_CONFLICT');
      assert.match(conflict.text, /event 6 of the file/);
      assert.match(await other.textContent('#transfer-label'), /nothing was written/);
      await shoot(other, '07-import-refused');

      const reloaded = other.waitForEvent('load', { timeout: 60_000 });
      const imported = await importFile(other, join(temp, 'export.json'), ['done', 'failed']);
      assert.equal(imported.state, 'done', imported.text);
      assert.match(imported.text, /10,011 events imported into the new ledger "ledger-2"/);
      await reloaded;
      await settledStore(other);
      assert.match(await banner(other), /10,011 events loaded from IndexedDB.*ledger “ledger-2”/);
      const again = await exportLog(other, join(temp, 'export-again.json'));
      assert.deepEqual(again.events, exported.events);
      await other.waitForFunction(() => document.querySelector('#log-count').textContent === '10,011 events');
      await shoot(other, '08-imported');
      assert.deepEqual(other.problems, []);
    } finally {
      await fresh.close();
    }
  });

  // The package's OPFS store through the demo's Vite build, whose bundler emitted its worker.
  it('runs on OPFS with ?store=opfs: takes commands, keeps them across a reload, and in a second tab', async () => {
    const fresh = await launch('opfs');
    try {
      const url = `${server.url}/?store=opfs`;
      const first = await openDemo(fresh, url);
      assert.match(await banner(first), /0 events loaded from OPFS/);
      assert.equal((await openAccount(first, 'Ada')).state, 'handled');
      await first.reload();
      await settledStore(first);
      assert.match(await banner(first), /1 event loaded from OPFS/);
      const second = await openDemo(fresh, url);
      assert.equal((await openAccount(second, 'Edsger')).state, 'handled');
      for (const p of [first, second]) await p.waitForFunction(() => document.querySelector('#log-count').textContent === '2 events');
      assert.deepEqual([...first.problems, ...second.problems], []);
    } finally {
      await fresh.close();
    }
  });

  it('renders the README screenshot (test-results/demo/readme.png, 1000×700)', async () => {
    await openAccount(page, 'Margaret');
    await move(page, 'deposit', '1200');
    await setMode(page, 'strong');
    await move(page, 'withdraw', '199.99');
    await act(page, () => page.click('#stale-btn'));
    await move(page, 'withdraw', '5000');
    await page.locator('#travel-slider').fill('2');
    await page.waitForFunction(() => document.querySelector('#travel-label').textContent === 'version 2 of 3');
    // Shot at 1400×980 (the three-column layout), scaled to 1000×700 by Chromium itself.
    await page.setViewportSize({ width: 1400, height: 980 });
    await page.$eval('#log-viewport', (v) => { v.scrollTop = v.scrollHeight; });
    await page.waitForTimeout(300);
    const full = await page.screenshot();
    await page.setViewportSize(VIEWPORT);
    const small = await context.newPage();
    await small.setViewportSize({ width: 1000, height: 700 });
    await small.setContent(`<body style="margin:0"><img style="width:1000px;display:block" src="data:image/png;base64,${full.toString('base64')}"></body>`);
    await small.waitForFunction(() => document.querySelector('img').complete);
    writeFileSync(join(shots, 'readme.png'), await small.screenshot());
    await small.close();
    assert.deepEqual(page.problems, []);
  });
});

describe('the web demo under vite dev', () => {
  it('serves a working page: the package and its .wasm load, and a dispatch works', async () => {
    const dev = await vite.createServer({ root: demoDir, logLevel: 'silent', server: { host: '127.0.0.1', port: 0, strictPort: true } });
    await dev.listen();
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    try {
      const devPage = await openDemo(await browser.newContext({ viewport: VIEWPORT }), dev.resolvedUrls.local[0]);
      assert.equal(await storeState(devPage), 'open');
      assert.match(await banner(devPage), /0 events loaded from IndexedDB/);
      const opened = await openAccount(devPage, 'Dev');
      assert.equal(opened.state, 'handled', opened.text);
      await devPage.waitForFunction(() => document.querySelector('#log-count').textContent === '1 event');
      await shoot(devPage, '09-vite-dev');
      assert.deepEqual(devPage.problems, []);
    } finally {
      await browser.close();
      await dev.close();
    }
  });
});

describe('the web demo\'s sources', () => {
  it('type-check under tsc --strict against the package\'s typings', () => {
    execFileSync(join(demoDir, 'node_modules/.bin/tsc'), ['--noEmit', '-p', demoDir], { stdio: 'inherit' });
  });
});
