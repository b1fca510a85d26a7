// One cold measurement in a fresh process (see cold.mjs): prints figures as JSON.
// argv: mode (atomservices-js | atomservices-native | jsonl), store directory, events file.
import { readFileSync } from 'node:fs';
import { createService, FileEventStore, NativeReducer } from 'atomservices';

const [mode, directory, linesFile] = process.argv.slice(2);
const reducer = (state, event) => ({ balance: state.balance + event.payloads.amount, count: state.count + 1 });
const initialState = { balance: 0, count: 0 };
const native = new NativeReducer({ initialState, on: { Deposited: [
  { op: 'add', path: 'balance', from: 'payloads.amount' }, { op: 'increment', path: 'count' }] } });

globalThis.gc?.();
const before = process.memoryUsage().rss;
const started = performance.now();
let opened;
let state;
let keep;
if (mode === 'jsonl') {
  // A hand-written store's start: read its JSON lines back and fold them.
  keep = readFileSync(linesFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  opened = performance.now();
  state = keep.reduce(reducer, initialState);
} else {
  const service = createService({ EventStore: new FileEventStore({ directory }) });
  await service.getVersion('Account', 'bench-account');
  opened = performance.now();
  const result = mode === 'atomservices-native'
    ? await service.rehydrate('Account', 'bench-account', native, { snapshots: false })
    : await service.rehydrate('Account', 'bench-account', reducer, initialState);
  state = result.state;
  keep = service;
}
const done = performance.now();
globalThis.gc?.();
const memory = process.memoryUsage().rss - before;
console.log(JSON.stringify({ openMs: opened - started, totalMs: done - started, memory, state, held: Boolean(keep) }));
process.exit(0);
