// PostgreSQL stores side by side, in one run: PostgresEventStore, Emmett's PostgreSQL event
// store, and a hand-written pg store (pool of 10, one INSERT per dispatch). Dispatch
// throughput with 1 dispatcher, 50 in one process and 4 processes × 50; latency of one
// dispatcher; rehydration of a 10k-event aggregate. Every dispatch is a committed transaction.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { interleaved, machine, median, saveResults, writeSection } from './lib.mjs';
import { atomservices, concurrent, emmett, handWritten } from './postgres/stores.mjs';

const url = process.env.ATOMSERVICES_PG_URL;
if (!url) throw new Error('set ATOMSERVICES_PG_URL (bash scripts/postgres.sh prints one)');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRITERS = 50;
const EACH = Number(process.env.BENCH_EACH ?? 40);
const PROCESSES = 4;
const cores = (await import('node:os')).cpus().length;
const SEQUENTIAL = 300;
const REHYDRATE = 10_000;
const REPEAT = 5;
const tag = `bench_${process.pid}`;

const kinds = {
  atomservices: () => atomservices(url, `${tag}_a`, { baseline: true }),
  emmett: () => emmett(url),
  'hand-written pg': () => handWritten(url, `${tag}_h`),
};
const stores = {};
for (const [kind, open] of Object.entries(kinds)) stores[kind] = await open();

/** CPU time of the whole machine so far, in clock ticks: [busy, all]. */
function machineTicks() {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const all = ticks.reduce((a, b) => a + b, 0);
  return [all - ticks[3] - ticks[4], all];
}

/** Runs `writers` dispatchers in each of `PROCESSES` processes, started together; returns the events stored. */
async function processes(kind, name) {
  const children = Array.from({ length: PROCESSES }, () => spawn(process.execPath,
    [new URL('./postgres/child.mjs', import.meta.url).pathname, kind, url, name, String(WRITERS), String(EACH)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
  await Promise.all(lines.map((l) => l.next()));  // every child ready
  const started = performance.now();
  const ticks = machineTicks();
  for (const child of children) child.stdin.write('go\n');
  const reports = await Promise.all(lines.map(async (l) => JSON.parse((await l.next()).value)));
  const ms = performance.now() - started;
  const [busy, all] = machineTicks().map((t, i) => t - ticks[i]);
  for (const child of children) child.stdin.end();
  const events = reports.reduce((n, r) => n + r.events, 0);
  // How much of the machine was busy (every process on it), and the writers' own CPU per event.
  return { events, ms, busyShare: busy / all, clientMicrosPerEvent: reports.reduce((n, r) => n + r.cpuMicros, 0) / events };
}

// The aggregate each store rehydrates, written before timing.
const big = {};
for (const [kind, store] of Object.entries(stores)) {
  big[kind] = randomUUID();
  for (let v = 1; v <= REHYDRATE; v += 1000) await store.batch(big[kind], v, 1000);
}

const counts = {};
const oneProcessCpu = {};
const cases = {};
const processTimes = {};
const processCpu = {};
for (const [kind, store] of Object.entries(stores)) {
  cases[`${kind}: 1 dispatcher`] = async () => {
    const dispatch = store.dispatcher(randomUUID());
    for (let i = 0; i < SEQUENTIAL; i++) await dispatch();
    counts[`${kind}: 1 dispatcher`] = SEQUENTIAL;
  };
  cases[`${kind}: 50 dispatchers`] = async () => {
    const cpu = process.cpuUsage();
    counts[`${kind}: 50 dispatchers`] = await concurrent(store, WRITERS, EACH);
    const { user, system } = process.cpuUsage(cpu);
    (oneProcessCpu[kind] ??= []).push((user + system) / (WRITERS * EACH));
  };
  // Each rehydration case folds the aggregate REPEAT times: one fold is too short to time alone here.
  const rehydration = (name, fold) => {
    cases[`${kind}: ${name}`] = async () => {
      for (let i = 0; i < REPEAT; i++) {
        const total = await fold(big[kind]);
        if (total !== REHYDRATE * 5) throw new Error(`${kind} ${name}: ${total}`);
      }
      counts[`${kind}: ${name}`] = REHYDRATE * REPEAT;
    };
  };
  rehydration('rehydrate 10k events (JS reducer)', store.rehydrate);
  if (store.rehydrate016) rehydration(`rehydrate 10k events (${store.baseline}, JS reducer)`, store.rehydrate016);
  if (store.rehydrateNative) rehydration('rehydrate 10k events (native reducer)', store.rehydrateNative);
}
const ms = await interleaved(cases, ROUNDS);
const eventsPerSecond = Object.fromEntries(Object.keys(ms).map((name) => [name, counts[name] / ms[name] * 1000]));

// Processes start slowly, so that case is timed from "go" to the last report, outside interleaved().
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of Object.keys(stores)) {
    const { events, ms: took, busyShare, clientMicrosPerEvent } = await processes(kind, kind === 'atomservices' ? `${tag}_a` : `${tag}_h`);
    (processTimes[kind] ??= []).push(events / took * 1000);
    (processCpu[kind] ??= []).push({ busyShare, clientMicrosPerEvent });
  }
}
for (const [kind, rates] of Object.entries(processTimes)) eventsPerSecond[`${kind}: 4 processes × 50 dispatchers`] = median(rates);

// Latency of one dispatcher, each dispatch timed, the stores taking turns (so a slow moment
// of this shared machine falls on all of them alike).
const latency = {};
const samples = Object.fromEntries(Object.keys(stores).map((kind) => [kind, []]));
const dispatchers = Object.fromEntries(Object.entries(stores).map(([kind, store]) => [kind, store.dispatcher(randomUUID())]));
for (let i = 0; i < SEQUENTIAL * ROUNDS; i++) {
  for (const [kind, dispatch] of Object.entries(dispatchers)) {
    const started = performance.now();
    await dispatch();
    samples[kind].push(performance.now() - started);
  }
}
for (const [kind, times] of Object.entries(samples)) {
  times.sort((a, b) => a - b);
  latency[kind] = { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}

await stores['hand-written pg'].drop();
for (const store of Object.values(stores)) await store.close();
const pool = new pg.Pool({ connectionString: url });
await pool.query(`DROP SCHEMA IF EXISTS ${tag}_a CASCADE`);
await pool.end();

const rate = (name) => eventsPerSecond[name];
const cpuOf = (kind) => ({
  busyShare: median(processCpu[kind].map((c) => c.busyShare)),
  clientMicrosPerEvent: median(processCpu[kind].map((c) => c.clientMicrosPerEvent)),
  oneProcessMicrosPerEvent: median(oneProcessCpu[kind]),
});
const cpu = Object.fromEntries(Object.keys(stores).map((kind) => [kind, cpuOf(kind)]));
const targets = [
  { name: '50 dispatchers vs hand-written pg', measured: rate('atomservices: 50 dispatchers') / rate('hand-written pg: 50 dispatchers'), wanted: 5 },
  { name: '50 dispatchers vs Emmett', measured: rate('atomservices: 50 dispatchers') / rate('emmett: 50 dispatchers'), wanted: 3 },
  { name: '4 processes × 50 vs one process × 50', measured: rate('atomservices: 4 processes × 50 dispatchers') / rate('atomservices: 50 dispatchers'), wanted: 1 },
  { name: 'one dispatcher: hand-written p50 latency over ours', measured: latency['hand-written pg'].p50 / latency.atomservices.p50, wanted: 1 / 1.2 },
  ...['JS', 'native'].map((reducer) => ({ name: `rehydrate 10k events (${reducer} reducer) vs ${stores.atomservices.baseline}`,
    measured: rate(`atomservices: rehydrate 10k events (${reducer} reducer)`) / rate(`atomservices: rehydrate 10k events (${stores.atomservices.baseline}, JS reducer)`), wanted: 3 })),
];
const names = Object.keys(eventsPerSecond).sort();
const markdown = `## PostgreSQL stores side by side

${machine()}, PostgreSQL 15 on the same machine (loopback); medians of ${ROUNDS} interleaved rounds.
Every dispatch is a committed transaction; events of ~380 bytes; 50 dispatchers each append
${EACH} events to their own aggregate; 4 processes run 50 dispatchers each at once.

| case | events/s |
| --- | ---: |
${names.map((name) => `| ${name} | ${Math.round(eventsPerSecond[name]).toLocaleString('en')} |`).join('\n')}

| one dispatcher | p50 ms | p99 ms |
| --- | ---: | ---: |
${Object.entries(latency).map(([kind, { p50, p99 }]) => `| ${kind} | ${p50.toFixed(2)} | ${p99.toFixed(2)} |`).join('\n')}

| target | measured | wanted |
| --- | ---: | ---: |
${targets.map((t) => `| ${t.name} | ${t.measured.toFixed(2)}× | ≥ ${t.wanted.toFixed(2)}× |`).join('\n')}

What limits 4 processes × 50 on this machine: its ${cores} cores run the ${PROCESSES} writing processes and the
server together, and were ${(cpu.atomservices.busyShare * 100).toFixed(0)}% busy during that case (every process on the machine, so
also whatever else ran then). Each atomservices process spent ${cpu.atomservices.clientMicrosPerEvent.toFixed(0)} µs of CPU per event
(${cpu.atomservices.oneProcessMicrosPerEvent.toFixed(0)} µs in the one-process case): more processes add CPU demand on
the same two cores, not capacity.`;
console.log(markdown);
writeSection('postgres', markdown);
saveResults('postgres', { eventsPerSecond, latency, targets, cpu });
