// Dispatch throughput, side by side in one run (issue: performance): our stores against
// what a user would pick instead — a hand-written pure-JS in-memory store, Emmett's
// in-memory store, and hand-written file stores (fsync per event, and group commit).
// Events of ~360 bytes of JSON with random, incompressible payloads.
import { randomBytes } from 'node:crypto';
import { closeSync, fsync, fsyncSync, mkdtempSync, openSync, rmSync, write, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getInMemoryEventStore } from '@event-driven-io/emmett';
import { createService, EventBuilder, FileEventStore, MemoryEventStore } from 'atomservices';
import { interleaved, machine, saveResults, writeSection } from './lib.mjs';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const WRITERS = 100;
const EACH = Number(process.env.BENCH_EACH ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const scratch = mkdtempSync(join(tmpdir(), 'atomservices-dispatch-'));
const build = EventBuilder({ EventName: 'Deposited', AggregateType: 'Account' });
// Random payloads made before timing starts, so the cases measure stores, not randomBytes.
const pool = Array.from({ length: 4096 }, () => ({ amount: 5, note: randomBytes(110).toString('base64') }));
let next = 0;
const payloads = () => pool[next++ & 4095];
const event = (AggregateID, version) => build({ _version: version, _createdBy: 'bench', AggregateID, payloads: payloads() });

/**
 * Runs `writers` concurrent loops; each appends `each` events to one new aggregate per
 * stream, `streams` streams one after the other. `append(aggregate, version)`.
 */
async function run(writers, each, append, streams = 1, latencies = undefined) {
  await Promise.all(Array.from({ length: writers }, async () => {
    for (let s = 0; s < streams; s++) {
      const id = crypto.randomUUID();
      for (let v = 1; v <= each; v++) {
        const started = performance.now();
        await append(id, v);
        latencies?.push(performance.now() - started);
      }
    }
  }));
  return writers * each * streams;
}

// How a user of a hand-written store would make an event.
const plainEvent = (AggregateID, version) => ({
  _id: crypto.randomUUID(), _createdAt: new Date().toISOString(), _version: version, _createdBy: 'bench',
  EventName: 'Deposited', AggregateType: 'Account', AggregateID, payloads: payloads(),
});

// A hand-written in-memory store: a Map of streams and a version check.
function plainMemoryStore() {
  const streams = new Map();
  return async (id, version, e) => {
    const stream = streams.get(id) ?? [];
    if (stream.length !== version - 1) throw new Error('conflict');
    stream.push(e);
    streams.set(id, stream);
  };
}

// A hand-written file store: JSON lines appended, then fsync (one per event, or one per group).
function fileStore(groupCommit) {
  const fd = openSync(join(mkdtempSync(join(scratch, 'file-')), 'log'), 'a');
  const fsyncAsync = promisify(fsync);
  let waiting = [];
  let syncing = false;
  const flush = async () => {
    syncing = true;
    const batch = waiting;
    waiting = [];
    await fsyncAsync(fd);
    batch.forEach((resolve) => resolve());
    syncing = false;
    if (waiting.length) void flush();
  };
  const append = async (id, version, e) => {
    writeSync(fd, `${JSON.stringify(e)}\n`);
    if (!groupCommit) return fsyncSync(fd);
    await new Promise((resolve) => { waiting.push(resolve); if (!syncing) void flush(); });
  };
  append.close = () => closeSync(fd);
  return append;
}

async function ours(createStore, writers, each, streams, latencies) {
  const service = createService({ EventStore: createStore() });
  await service.getVersion('Account', 'warm-up');
  const count = await run(writers, each, (id, v) => service.dispatch(event(id, v)), streams, latencies);
  await service.close();
  return count;
}

async function emmett(writers, each, streams) {
  const store = getInMemoryEventStore();
  return run(writers, each, (id, v) => store.appendToStream(`Account-${id}`, [{ type: 'Deposited', data: payloads() }],
    { expectedStreamVersion: BigInt(v - 1) }), streams);
}

async function handWritten(create, writers, each, streams, latencies) {
  const append = create();
  const count = await run(writers, each, (id, v) => append(id, v, plainEvent(id, v)), streams, latencies);
  append.close?.();
  return count;
}

const counts = {};
const cases = {
  'atomservices MemoryEventStore, sequential': () => ours(() => new MemoryEventStore(), 1, EACH, STREAMS),
  'plain JS in-memory store, sequential': () => handWritten(plainMemoryStore, 1, EACH, STREAMS),
  'Emmett in-memory, sequential': () => emmett(1, EACH, STREAMS),
  'atomservices MemoryEventStore, 100 concurrent': () => ours(() => new MemoryEventStore(), WRITERS, EACH),
  'plain JS in-memory store, 100 concurrent': () => handWritten(plainMemoryStore, WRITERS, EACH),
  'Emmett in-memory, 100 concurrent': () => emmett(WRITERS, EACH),
  'atomservices FileEventStore, 100 concurrent': () => ours(() => new FileEventStore({ directory: mkdtempSync(join(scratch, 'ours-')) }), WRITERS, EACH),
  'file, fsync per event, 100 concurrent': () => handWritten(() => fileStore(false), WRITERS, EACH / 5),
  'file, hand-written group commit, 100 concurrent': () => handWritten(() => fileStore(true), WRITERS, EACH),
};
const timed = Object.fromEntries(Object.entries(cases).map(([name, run]) => [name, async () => { counts[name] = await run(); }]));
const ms = await interleaved(timed, ROUNDS);

// Latency of one durable dispatch while 100 dispatchers keep the store busy.
const latencyCases = {
  'atomservices FileEventStore': (samples) => ours(() => new FileEventStore({ directory: mkdtempSync(join(scratch, 'lat-')) }), WRITERS, EACH, 1, samples),
  'file, hand-written group commit': (samples) => handWritten(() => fileStore(true), WRITERS, EACH, 1, samples),
};
const latency = {};
for (const [name, measure] of Object.entries(latencyCases)) {
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) await measure(samples);
  samples.sort((a, b) => a - b);
  latency[name] = { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] };
}
rmSync(scratch, { recursive: true, force: true });

const rate = (name) => counts[name] / ms[name] * 1000;
const ratio = (a, b) => rate(a) / rate(b);
const targets = [
  ['MemoryEventStore sequential vs Emmett', ratio('atomservices MemoryEventStore, sequential', 'Emmett in-memory, sequential'), 5],
  ['MemoryEventStore 100 concurrent vs plain JS store', ratio('atomservices MemoryEventStore, 100 concurrent', 'plain JS in-memory store, 100 concurrent'), 0.25],
  ['FileEventStore 100 concurrent vs hand-written group commit', ratio('atomservices FileEventStore, 100 concurrent', 'file, hand-written group commit, 100 concurrent'), 1],
  ['FileEventStore 100 concurrent vs fsync per event', ratio('atomservices FileEventStore, 100 concurrent', 'file, fsync per event, 100 concurrent'), 20],
];
const markdown = `## Dispatch throughput (Node)

${machine()}; medians of ${ROUNDS} interleaved rounds; events of ~360 bytes with random payloads.
Sequential: one dispatcher, ${STREAMS} aggregates of ${EACH} events one after the other. Concurrent: ${WRITERS} dispatchers, each
appending ${EACH} events to its own aggregate, awaiting each. Our stores get events from \`EventBuilder\`; the hand-written
stores make theirs with \`crypto.randomUUID()\` and \`toISOString()\`.

| case | events/s |
| --- | ---: |
${Object.keys(cases).map((name) => `| ${name} | ${Math.round(rate(name)).toLocaleString('en')} |`).join('\n')}

| target | measured | wanted | |
| --- | ---: | ---: | --- |
${targets.map(([name, got, want]) => `| ${name} | ${got.toFixed(2)}× | ≥ ${want}× | ${got >= want ? 'met' : 'not met'} |`).join('\n')}

Latency of one durable dispatch, ${WRITERS} dispatchers at once (${ROUNDS} rounds pooled):

| store | p50 ms | p99 ms |
| --- | ---: | ---: |
${Object.entries(latency).map(([name, { p50, p99 }]) => `| ${name} | ${p50.toFixed(2)} | ${p99.toFixed(2)} |`).join('\n')}`;
console.log(markdown);
writeSection('dispatch', markdown);
saveResults('dispatch', {
  cases: Object.fromEntries(Object.keys(cases).map((name) => [name, rate(name)])),
  targets: targets.map(([name, measured, wanted]) => ({ name, measured, wanted })),
  latency,
});
