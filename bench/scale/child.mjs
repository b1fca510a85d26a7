// One step of the scale benchmark in a process of its own: `fill` writes a store, `measure`
// opens it cold and times the reads and writes; prints its figures as JSON.
import { randomBytes } from 'node:crypto';
import { EventBuilder } from 'atomservices';
import { stores } from './stores.mjs';

const [step, kind, directory, count] = process.argv.slice(2);
// Made by the step: `measure` times it as part of the open (better-sqlite3 opens its
// database when made; a FileEventStore on its first call).
let store;
const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });
const BATCH = 1000;
const AGGREGATES = 100_000;
const PROBE_EVERY = Math.max(1, Math.floor(Number(count) / 1000));  // "probe" gets 1,000 events spread over the log
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function fill(total) {
  const versions = new Uint32Array(AGGREGATES);
  const reading = randomBytes(240).toString('base64');  // ~500 bytes stored per event
  const ids = [];
  let probe = 0;
  for (let written = 0; written < total; written += BATCH) {
    const batch = [];
    for (let i = 0; i < BATCH; i++) {
      const n = written + i;
      const AggregateID = n % PROBE_EVERY === 0 && probe < 1000 ? 'probe' : `sensor-${n % AGGREGATES}`;
      const _version = AggregateID === 'probe' ? ++probe : ++versions[n % AGGREGATES];
      batch.push(build({ _version, _createdBy: 'bench', AggregateID, payloads: { reading, n } }));
    }
    await store.append(batch);
    if (ids.length < 1000 && written % Math.max(BATCH, Math.floor(total / 1000)) === 0) ids.push(batch[written % BATCH]._id);
  }
  return { ids };
}

async function dispatchers(writers = 100, each = 20) {
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    const AggregateID = `writer-${process.pid}-${w}-${Date.now()}`;
    for (let v = 1; v <= each; v++) await store.append([build({ _version: v, _createdBy: 'bench', AggregateID, payloads: { v } })]);
  }));
  return writers * each / (performance.now() - started) * 1000;
}

async function measure(ids) {
  const rss = process.memoryUsage().rss;
  let started = performance.now();
  store = stores[kind](directory);
  const last = await store.last();
  const open = { ms: performance.now() - started, rssMiB: process.memoryUsage().rss / 2 ** 20, last };
  started = performance.now();
  const probe = await store.stream('Sensor', 'probe');
  const total = probe.reduce((sum, event) => sum + event.payloads.n, 0);
  const rehydrate = { ms: performance.now() - started, events: probe.length, total };
  const lookups = [];
  for (const id of ids.slice(0, 200)) {
    started = performance.now();
    if ((await store.event(id))?._id !== id) throw new Error(`${kind} lost ${id}`);
    lookups.push(performance.now() - started);
  }
  const pages = [];
  for (let i = 0; i < 50; i++) {
    started = performance.now();
    const page = await store.from(1 + Math.floor(Math.random() * (last - 1000)), 1000);
    if (page.length !== 1000) throw new Error(`${kind} read ${page.length} events`);
    pages.push(performance.now() - started);
  }
  const rate = await dispatchers();
  return { open, rssGrowthMiB: (process.memoryUsage().rss - rss) / 2 ** 20, rehydrate, getEventMs: median(lookups), readAllMs: median(pages), dispatchRate: rate, stats: await store.stats() };
}

const input = step === 'measure' ? JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => { text += chunk; }).on('end', () => resolve(text));
})) : undefined;
if (step !== 'measure') store = stores[kind](directory);
const result = step === 'fill' ? await fill(Number(count)) : step === 'empty' ? { dispatchRate: await dispatchers() } : await measure(input.ids);
await store.close();
console.log(JSON.stringify(result));
