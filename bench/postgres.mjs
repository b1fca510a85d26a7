// PostgresEventStore beside FileEventStore, in one run: dispatch throughput with one and
// with 50 concurrent dispatchers, and rehydration of a 10k-event aggregate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createService, EventBuilder, FileEventStore, NativeReducer } from 'atomservices';
import { PostgresEventStore } from 'atomservices/postgres';
import { interleaved, machine, saveResults, writeSection } from './lib.mjs';

const url = process.env.ATOMSERVICES_PG_URL;
if (!url) throw new Error('set ATOMSERVICES_PG_URL (bash scripts/postgres.sh prints one)');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const scratch = mkdtempSync(join(tmpdir(), 'atomservices-bench-'));
const build = EventBuilder({ EventName: 'Deposited', AggregateType: 'Account' });
const payloads = () => ({ amount: 5, note: Math.random().toString(36).repeat(6) });

let schemas = 0;
const stores = {
  file: () => new FileEventStore({ directory: mkdtempSync(join(scratch, 'store-')) }),
  postgres: () => new PostgresEventStore({ connectionString: url, schema: `bench_${process.pid}_${++schemas}`, createSchema: true }),
};

async function sequential(kind, count = 400) {
  const service = createService({ EventStore: stores[kind]() });
  const AggregateID = crypto.randomUUID();
  for (let v = 1; v <= count; v++) await service.dispatch(build({ _version: v, _createdBy: 'bench', AggregateID, payloads: payloads() }));
  await service.close();
  return count;
}

async function concurrent(kind, writers = 50, each = 40) {
  const service = createService({ EventStore: stores[kind]() });
  await Promise.all(Array.from({ length: writers }, async () => {
    const AggregateID = crypto.randomUUID();
    for (let v = 1; v <= each; v++) await service.dispatch(build({ _version: v, _createdBy: 'bench', AggregateID, payloads: payloads() }));
  }));
  await service.close();
  return writers * each;
}

const reducer = new NativeReducer({ initialState: { total: 0 }, on: { Deposited: [{ op: 'add', path: 'total', from: 'payloads.amount' }] } });
const rehydrators = {};
for (const kind of Object.keys(stores)) {
  const service = createService({ EventStore: stores[kind]() });
  const AggregateID = 'ten-thousand';
  for (let v = 1; v <= 10000; v += 1000) {
    await service.dispatch(Array.from({ length: 1000 }, (_, i) => build({ _version: v + i, _createdBy: 'bench', AggregateID, payloads: payloads() })));
  }
  rehydrators[kind] = { service, AggregateID };
}

const counts = {};
const timed = (name, run) => async () => { counts[name] = await run(); };
const cases = {};
for (const kind of Object.keys(stores)) {
  cases[`${kind}: 1 dispatcher`] = timed(`${kind}: 1 dispatcher`, () => sequential(kind));
  cases[`${kind}: 50 concurrent dispatchers`] = timed(`${kind}: 50 concurrent dispatchers`, () => concurrent(kind));
  cases[`${kind}: rehydrate 10k events (JS reducer)`] = timed(`${kind}: rehydrate 10k events (JS reducer)`, async () => {
    const { service, AggregateID } = rehydrators[kind];
    return (await service.rehydrate('Account', AggregateID, (s, e) => s + e.payloads.amount, 0)).version;
  });
  cases[`${kind}: rehydrate 10k events (native reducer)`] = timed(`${kind}: rehydrate 10k events (native reducer)`, async () => {
    const { service, AggregateID } = rehydrators[kind];
    return (await service.rehydrate('Account', AggregateID, reducer, { snapshots: false })).version;
  });
}
const ms = await interleaved(cases, ROUNDS);
for (const { service } of Object.values(rehydrators)) await service.close();
const pool = new pg.Pool({ connectionString: url });
for (let i = 1; i <= schemas; i++) await pool.query(`DROP SCHEMA IF EXISTS bench_${process.pid}_${i} CASCADE`);
await pool.end();
rmSync(scratch, { recursive: true, force: true });

const rows = Object.entries(ms).map(([name, t]) => `| ${name} | ${t.toFixed(0)} | ${Math.round(counts[name] / t * 1000).toLocaleString('en')} |`);
const markdown = `## PostgreSQL beside the file store

${machine()}, PostgreSQL 15 on the same machine (loopback); medians of ${ROUNDS} interleaved rounds. Every dispatch is durable
(fsync for files; a committed transaction for PostgreSQL).

| case | ms | events/s |
| --- | ---: | ---: |
${rows.join('\n')}`;
console.log(markdown);
writeSection('postgres', markdown);
const perSecond = (name) => counts[name] / ms[name] * 1000;
saveResults('postgres', {
  eventsPerSecond: Object.fromEntries(Object.keys(ms).map((name) => [name, perSecond(name)])),
});
