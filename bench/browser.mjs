// The browser stores in headless Chromium, side by side in one run: durable dispatch with
// 100 concurrent dispatchers, IndexedDBEventStore and OPFSEventStore against what a user
// would write instead (plain IndexedDB, Dexie), latency under that load, one dispatcher in
// a tab that holds the store against one in a tab that does not, and a cold open +
// rehydrate of a 100k-event aggregate. Cases run interleaved, medians of rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launchPersistent } from '../tests/browser/harness.mjs';
import { machine, median, saveResults, writeSection } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const COLD_EVENTS = Number(process.env.BENCH_COLD_EVENTS ?? 100_000);
// Event counts differ per case (events/s is reported) so that each run lasts about a second.
// A group of 1,000 appends needs 1,000 dispatchers awaiting one each: with 100, no more
// than 100 are ever pending, so the by-1,000 baselines get 1,000 dispatchers.
const DISPATCH = {
  'a. atomservices IndexedDBEventStore': { run: 'atomservices', writers: 100, each: 100 },
  // Like for like: the durability the hand-written stores and Dexie (Chromium's default) use.
  'a2. atomservices IndexedDBEventStore, durability "relaxed"': { run: 'atomservices', writers: 100, each: 100, durability: 'relaxed' },
  'b. IndexedDB, one transaction per event': { run: 'txPerEvent', writers: 100, each: 20 },
  'c. IndexedDB, one transaction per 100 events': { run: 'txPerGroup', writers: 100, each: 100, size: 100 },
  'd. Dexie bulkAdd by 1,000 events': { run: 'dexieBulkAdd', writers: 1000, each: 10, size: 1000 },
  'e. IndexedDB, one value per 1,000 events': { run: 'valuePerGroup', writers: 1000, each: 20, size: 1000 },
  // Not a target: the same ceiling at the concurrency of case a, where groups hold at most 100 events.
  'f. IndexedDB, one value per 100 events': { run: 'valuePerGroup', writers: 100, each: 100, size: 100 },
  'g. atomservices OPFSEventStore': { run: 'atomservices', writers: 100, each: 100, kind: 'OPFSEventStore' },
};
const STORE_CASES = { IndexedDBEventStore: 'a. atomservices IndexedDBEventStore', OPFSEventStore: 'g. atomservices OPFSEventStore' };
const LATENCY_DISPATCHES = Number(process.env.BENCH_LATENCY_DISPATCHES ?? 200);
const COLD = {
  'atomservices, JS reducer': ['coldAtomservices', false],
  'atomservices, NativeReducer': ['coldAtomservices', true],
  'atomservices OPFSEventStore, JS reducer': ['coldAtomservices', false, 'OPFSEventStore'],
  'atomservices OPFSEventStore, NativeReducer': ['coldAtomservices', true, 'OPFSEventStore'],
  'IndexedDB, one record per event, getAll + fold': ['coldRecords'],
  'IndexedDB, one value per 1,000 events, getAll + fold': ['coldChunks'],
};

const began = performance.now();
const profile = mkdtempSync(join(tmpdir(), 'atomservices-bench-browser-'));
const server = await serve();
const context = await launchPersistent(profile); // on disk, as a user's profile: an in-memory one would not be durable

/** A fresh page (a new JS realm: nothing of an earlier case is in memory); IndexedDB persists in the profile. */
async function openPage() {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${server.url}/bench/browser/page.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  return page;
}
const call = (page, name, ...args) => page.evaluate(({ name, args }) => window.bench[name](...args), { name, args });
/** The cases of round `round`, starting one further each round: no case always follows the same one. */
const rotated = (cases, round) => { const list = Object.entries(cases); return [...list.slice(round % list.length), ...list.slice(0, round % list.length)]; };
// A pause between cases, so that IndexedDB's background work (compaction) of one case
// mostly lands outside the next one's timing.
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

try {
  const page = await openPage();
  // A persistent context has no Browser object to ask, and the user agent hides the minor version.
  const chromium = (await (await context.newCDPSession(page)).send('Browser.getVersion')).product.replace(/^\D*/, '');
  const eventBytes = await call(page, 'eventBytes');

  const rates = Object.fromEntries(Object.keys(DISPATCH).map((name) => [name, []]));
  const latencies = { [STORE_CASES.IndexedDBEventStore]: [], [STORE_CASES.OPFSEventStore]: [] };
  const flushesPerEvent = { [STORE_CASES.IndexedDBEventStore]: [], [STORE_CASES.OPFSEventStore]: [] };
  const dispatchWasm = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { run, writers, each, size, durability, kind }] of rotated(DISPATCH, round)) {
      await settle();
      const result = await call(page, run, `bench-${run}-${durability ?? ''}-${kind ?? ''}-${round}`, writers, each, size, durability, kind);
      rates[name].push(result.events / result.ms * 1000);
      if (result.latencies && !durability) {
        latencies[name].push(...result.latencies);
        flushesPerEvent[name].push(result.flushes / result.events);
        dispatchWasm[name] = Math.max(dispatchWasm[name] ?? 0, result.wasmBytes);
      }
    }
  }
  const rate = Object.fromEntries(Object.entries(rates).map(([name, samples]) => [name, median(samples)]));
  const percentile = (samples, p) => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(samples.length * p))];

  // One dispatcher at a time, in the tab that holds the store and in another tab, in turns.
  const oneDispatcher = {};
  for (const kind of Object.keys(STORE_CASES)) {
    const [holding, other] = [await openPage(), await openPage()];
    const name = `bench-latency-${kind}`;
    await call(holding, 'hold', kind, name);
    const samples = { holding: [], other: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [tab, page] of round % 2 ? [['other', other], ['holding', holding]] : [['holding', holding], ['other', other]]) {
        samples[tab].push(...await call(page, 'oneDispatcher', kind, name, LATENCY_DISPATCHES));
      }
    }
    await call(holding, 'release');
    await holding.close();
    await other.close();
    oneDispatcher[kind] = { holding: percentile(samples.holding, 0.5), other: percentile(samples.other, 0.5), samples: samples.holding.length };
  }

  const seedStarted = performance.now();
  await call(page, 'seedCold', COLD_EVENTS);
  const seedMs = performance.now() - seedStarted;
  await page.close();

  const coldSamples = Object.fromEntries(Object.keys(COLD).map((name) => [name, []]));
  const coldWasm = {};
  const openSamples = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [run, ...args]] of rotated(COLD, round)) {
      await settle();
      const fresh = await openPage();
      const result = await call(fresh, run, ...args);
      await fresh.close();
      if (result.balance !== 5 * COLD_EVENTS || result.version !== COLD_EVENTS) {
        throw new Error(`${name}: folded ${result.version} events to ${result.balance}, expected ${COLD_EVENTS} events to ${5 * COLD_EVENTS}`);
      }
      coldSamples[name].push(result.ms);
      if (result.openMs !== undefined) (openSamples[name] ??= []).push(result.openMs);
      if (result.wasmBytes) coldWasm[name] = result.wasmBytes;
    }
  }
  const cold = Object.fromEntries(Object.entries(coldSamples).map(([name, ms]) => [name, median(ms)]));

  const perEvent = rate['b. IndexedDB, one transaction per event'];
  const dexie = rate['d. Dexie bulkAdd by 1,000 events'];
  const records = cold['IndexedDB, one record per event, getAll + fold'];
  const targets = [
    ['IndexedDBEventStore 100 concurrent vs one transaction per event', rate['a. atomservices IndexedDBEventStore'] / perEvent, 40],
    ['IndexedDBEventStore 100 concurrent vs Dexie bulkAdd by 1,000', rate['a. atomservices IndexedDBEventStore'] / dexie, 5],
    ['IndexedDBEventStore "relaxed" 100 concurrent vs one transaction per event (like for like)', rate['a2. atomservices IndexedDBEventStore, durability "relaxed"'] / perEvent, 40],
    ['IndexedDBEventStore "relaxed" 100 concurrent vs Dexie bulkAdd by 1,000 (like for like)', rate['a2. atomservices IndexedDBEventStore, durability "relaxed"'] / dexie, 5],
    ['OPFSEventStore 100 concurrent vs IndexedDBEventStore 100 concurrent', rate['g. atomservices OPFSEventStore'] / rate['a. atomservices IndexedDBEventStore'], 3],
    [`cold open + rehydrate ${COLD_EVENTS / 1000}k, OPFSEventStore (JS reducer) vs one record per event getAll`, records / cold['atomservices OPFSEventStore, JS reducer'], 10],
    [`cold open + rehydrate ${COLD_EVENTS / 1000}k, OPFSEventStore (NativeReducer) vs one record per event getAll`, records / cold['atomservices OPFSEventStore, NativeReducer'], 10],
    [`cold open + rehydrate ${COLD_EVENTS / 1000}k, IndexedDBEventStore (JS reducer) vs one record per event getAll`, records / cold['atomservices, JS reducer'], 2.5],
    [`cold open + rehydrate ${COLD_EVENTS / 1000}k, IndexedDBEventStore (NativeReducer) vs one record per event getAll`, records / cold['atomservices, NativeReducer'], 2.5],
    // As a ratio wanted high, like the others: another tab's p50 at most 2× the holding tab's.
    ...Object.entries(oneDispatcher).map(([kind, { holding, other }]) => [`${kind}: one dispatcher, holding tab's p50 latency over another tab's`, holding / other, 0.5]),
  ];
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const seconds = ((performance.now() - began) / 1000).toFixed(0);
  const markdown = `## IndexedDB and OPFS in Chromium

Chromium ${chromium} (headless), ${machine()}; medians of ${ROUNDS} interleaved rounds; events of ~${eventBytes} bytes of JSON with random payloads.
Every case is durable: a dispatch resolves once its IndexedDB transaction completed, or (OPFSEventStore) once its OPFS file was flushed.
The hand-written stores and Dexie use relaxed durability (Chromium's default); IndexedDBEventStore commits with strict durability
unless told otherwise (a2).

### Durable dispatch, concurrent dispatchers (each awaits its append before the next)

| case | dispatchers | events per round | events/s |
| --- | ---: | ---: | ---: |
${Object.entries(DISPATCH).map(([name, { writers, each }]) => `| ${name} | ${writers} | ${(writers * each).toLocaleString('en')} | ${Math.round(rate[name]).toLocaleString('en')} |`).join('\n')}

d and e group 1,000 appends, which needs 1,000 dispatchers: with 100 awaiting dispatchers no more than 100 appends are ever pending.

Under 100 concurrent dispatchers, one dispatch takes:

| store | p50 ms | p99 ms | dispatches | flushes per event |
| --- | ---: | ---: | ---: | ---: |
${Object.entries(latencies).map(([name, samples]) => `| ${name.slice(3)} | ${percentile(samples, 0.5).toFixed(1)} | ${percentile(samples, 0.99).toFixed(1)} | ${samples.length.toLocaleString('en')} | ${median(flushesPerEvent[name]).toFixed(3)} |`).join('\n')}

### One dispatcher, in the tab that holds the store and in another tab

${LATENCY_DISPATCHES} dispatches one after another per round, in the two tabs in turns. OPFSEventStore's engine runs in the holding
tab's worker, so both tabs send their calls over the store's BroadcastChannel; IndexedDBEventStore's holding tab runs them itself.

| store | p50 in the holding tab, ms | p50 in another tab, ms | dispatches per tab |
| --- | ---: | ---: | ---: |
${Object.entries(oneDispatcher).map(([kind, { holding, other, samples }]) => `| ${kind} | ${holding.toFixed(2)} | ${other.toFixed(2)} | ${samples.toLocaleString('en')} |`).join('\n')}

### Cold open + rehydrate of one ${COLD_EVENTS.toLocaleString('en')}-event aggregate

Each run in a fresh page (nothing in JS memory; the browser process and the OS keep their caches, as on a reload);
the package's import (WebAssembly instantiation) happens at page load and is not counted. All cases fold to the same state.
Opening the store (up to its first getVersion) takes ${Object.entries(openSamples).map(([name, ms]) => `${median(ms).toFixed(0)} ms (${name.replace('atomservices, ', 'IndexedDBEventStore, ').replace('atomservices ', '')} run)`).join(', ')} of its total.

| case | ms | events/s |
| --- | ---: | ---: |
${Object.entries(cold).map(([name, ms]) => `| ${name} | ${ms.toFixed(0)} | ${Math.round(COLD_EVENTS / ms * 1000).toLocaleString('en')} |`).join('\n')}

### Targets

| target | measured | wanted | |
| --- | ---: | ---: | --- |
${targets.map(([name, got, want]) => `| ${name} | ${got.toFixed(2)}× | ≥ ${want}× | ${got >= want ? 'met' : 'not met'} |`).join('\n')}

WebAssembly memory of the core that ran the store (the page's; OPFSEventStore's worker's): ${Object.entries(dispatchWasm).map(([name, bytes]) => `${mib(bytes)} after the dispatch rounds (${name.slice(3)})`).join(', ')};
${Object.entries(coldWasm).map(([name, bytes]) => `${mib(bytes)} after a cold rehydrate (${name.replace('atomservices, ', '')})`).join(', ')}.
Writing the ${COLD_EVENTS.toLocaleString('en')} events four ways (setup, untimed) took ${(seedMs / 1000).toFixed(1)} s; the whole run ${seconds} s.`;
  console.log(markdown);
  writeSection('browser', markdown);

  // Beside the other benches' figures (bench/results/), where bench/chart.mjs reads the targets.
  saveResults('browser', {
    chromium, rounds: ROUNDS,
    units: Object.fromEntries([...Object.keys(rate).map((name) => [name, 'events/s']), ...Object.keys(cold).map((name) => [`cold: ${name}`, 'ms'])]),
    cases: { ...rate, ...Object.fromEntries(Object.entries(cold).map(([name, ms]) => [`cold: ${name}`, ms])) },
    latency: Object.fromEntries(Object.entries(latencies).map(([name, samples]) => [name, { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), samples: samples.length }])),
    oneDispatcher,
    targets: targets.map(([name, measured, wanted]) => ({ name, measured, wanted })),
  });
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
