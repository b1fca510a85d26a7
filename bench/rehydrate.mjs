// Rehydrating one aggregate of 100k events (random payloads), side by side:
// (a) a JS reducer through service.rehydrate, (b) a native reducer, (c) a native reducer
// with snapshots every 1,000 events, (d) JSON.parse of the same events + the same JS fold,
// (e) the same fold over an in-memory JS array.
import { randomBytes } from 'node:crypto';
import { createService, MemoryEventStore, EventBuilder, NativeReducer } from 'atomservices';
import { interleaved, machine, saveResults, writeSection } from './lib.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const build = EventBuilder({ EventName: 'Deposited', AggregateType: 'Account' });
const AggregateID = 'bench-account';
const events = Array.from({ length: EVENTS }, (_, i) => build({
  _version: i + 1, _createdBy: 'bench', AggregateID,
  payloads: { amount: (i % 97) + 0.25, ref: randomBytes(150).toString('base64') },
}));

const jsReducer = (state, event) => ({ balance: state.balance + event.payloads.amount, count: state.count + 1, last: event.payloads.ref });
const initialState = { balance: 0, count: 0, last: null };
const on = { Deposited: [
  { op: 'add', path: 'balance', from: 'payloads.amount' },
  { op: 'increment', path: 'count' },
  { op: 'set', path: 'last', from: 'payloads.ref' },
] };
// Same meaning, same identity: (b) passes snapshots: false so that it folds every event.
const native = new NativeReducer({ initialState, on });
const nativeWithSnapshots = new NativeReducer({ initialState, on, snapshotEvery: 1000 });

// Snapshots are made while the stream is 500 events short of its end: the first (c) run
// starts 1,000 events back and saves a snapshot at the end, which later runs start from.
const service = createService({ EventStore: new MemoryEventStore() });
const tail = EVENTS - 500;
for (let i = 0; i < tail; i += 1000) await service.dispatch(events.slice(i, Math.min(i + 1000, tail)));
await service.rehydrate('Account', AggregateID, nativeWithSnapshots);
await service.dispatch(events.slice(tail));
const stored = (await service.getEvents('Account', AggregateID)).map((e) => JSON.stringify(e));

const check = [];
const fold = (list) => list.reduce(jsReducer, initialState);
const ms = await interleaved({
  'a. JS reducer (service.rehydrate)': async () => check.push((await service.rehydrate('Account', AggregateID, jsReducer, initialState)).state),
  'b. native reducer': async () => check.push((await service.rehydrate('Account', AggregateID, native, { snapshots: false })).state),
  'c. native reducer, snapshots every 1,000': async () => check.push((await service.rehydrate('Account', AggregateID, nativeWithSnapshots)).state),
  'd. JSON.parse + JS fold': async () => check.push(fold(stored.map((text) => JSON.parse(text)))),
  'e. JS fold over an in-memory array': async () => check.push(fold(events)),
}, ROUNDS);
await service.close();

const reference = JSON.stringify(check[check.length - 1]);
if (!check.every((state) => JSON.stringify(state) === reference)) throw new Error('the cases disagree on the state');

const rows = Object.entries(ms).map(([name, t]) => `| ${name} | ${t.toFixed(1)} | ${Math.round(EVENTS / t * 1000).toLocaleString('en')} |`);
const ratioB = ms['d. JSON.parse + JS fold'] / ms['b. native reducer'];
const ratioC = ms['b. native reducer'] / ms['c. native reducer, snapshots every 1,000'];
const markdown = `## Rehydration of one ${EVENTS.toLocaleString('en')}-event aggregate

${machine()}; medians of ${ROUNDS} interleaved rounds; all cases produce the same state.

| case | ms | events/s |
| --- | ---: | ---: |
${rows.join('\n')}

- native reducer vs JSON.parse + JS fold: **${ratioB.toFixed(2)}×** (target ≥ 1.0×)
- native with snapshots vs native: **${ratioC.toFixed(1)}×** (target ≥ 20×)`;
console.log(markdown);
writeSection('rehydrate', markdown);
saveResults('rehydrate', {
  cases: ms,
  targets: [
    { name: 'native rehydration vs JSON.parse + JS fold', measured: ratioB, wanted: 1 },
    { name: 'native with snapshots vs native', measured: ratioC, wanted: 20 },
  ],
});
