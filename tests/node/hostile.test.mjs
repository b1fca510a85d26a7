// Hostile input at every public entry besides dispatch (bad-input.test.mjs covers that):
// each is answered with a coded AtomServicesError, quickly, without exhausting memory or
// the stack, and changes nothing.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { AtomServicesError, EventBuilder, FileEventStore, MemoryEventStore, NativeReducer, createService, given } from 'atomservices';
import { accountEvents } from './helpers.mjs';

const huge = 'x'.repeat(100 * 1024 * 1024);
const deep = (depth) => { let v = {}; for (let i = 0; i < depth; i++) v = { d: v }; return v; };
const cyclic = () => { const o = { a: 1 }; o.self = o; return o; };
const op = (extra) => ({ initialState: {}, on: { A: [{ op: 'set', path: 'x', value: 1, ...extra }] } });

function kinds(service, store) {
  return {
    'getEvents: 100 MB AggregateID': () => service.getEvents('Account', huge),
    'getEvents: 10k-deep options': () => service.getEvents('Account', 'a', deep(10000)),
    'getEvents: options with a BigInt': () => service.getEvents('Account', 'a', { limit: 10n }),
    'getEvents: negative fromVersion': () => service.getEvents('Account', 'a', { fromVersion: -5 }),
    'getEvents: limit Infinity': () => service.getEvents('Account', 'a', { limit: Infinity }),
    'getEvents: AggregateType a symbol': () => service.getEvents(Symbol('t'), 'a'),
    'getVersion: control characters': () => service.getVersion('Acc\u0007ount', 'a'),
    'readAll: fromPosition a string': () => store.readAll({ fromPosition: '1' }),
    'readAll: options a cycle': () => store.readAll(cyclic()),
    'readAll: unknown option': () => store.readAll({ form: 1 }),
    'getEvent: an object id': () => store.getEvent({}),
    'append: not an array': () => store.append({ length: 1 }),
    'append: 1M-element batch': () => store.append(new Array(1_000_000).fill(accountEvents(1)[0])),
    'rehydrate: a number as reducer': () => service.rehydrate('Account', 'a', 42, {}),
    'rehydrate: toVersion NaN': () => service.rehydrate('Account', 'a', (s) => s, {}, { toVersion: NaN }),
    'rehydrate: at not a time': () => service.rehydrate('Account', 'a', (s) => s, {}, { at: '2026-13-45T99:99:99.999Z' }),
    'rehydrate: snapshots without version': () => service.rehydrate('Account', 'a', (s) => s, {}, { snapshots: { every: 10 } }),
    'rehydrate: onProgress not a function': () => service.rehydrate('Account', 'a', (s) => s, {}, { onProgress: 'yes' }),
    'rehydrate: unknown option': () => service.rehydrate('Account', 'a', (s) => s, {}, { toversion: 1 }),
    'NativeReducer: 10k-deep initial state': async () => new NativeReducer({ initialState: deep(10000), on: { A: [] } }),
    'NativeReducer: a cycle in the definition': async () => new NativeReducer({ initialState: cyclic(), on: { A: [] } }),
    'NativeReducer: 100 MB path': async () => new NativeReducer(op({ path: huge })),
    'NativeReducer: a function as value': async () => new NativeReducer(op({ value: () => 1 })),
    'NativeReducer: 1M operations of an unknown kind': async () => new NativeReducer({ initialState: {}, on: { A: new Array(1_000_000).fill({ op: 'nope', path: 'x' }) } }),
    'NativeReducer: path through an empty name': async () => new NativeReducer(op({ path: 'a.' })),
    'NativeReducer: from and value both': async () => new NativeReducer(op({ from: 'payloads.a' })),
    'subscribe: from a negative position': async () => service.subscribe({ from: -1 }, () => {}),
    'subscribe: 10k-deep options': async () => service.subscribe(deep(10000), () => {}),
    'subscribe: EventName list with a number': async () => service.subscribe({ EventName: ['A', 1] }, () => {}),
    'project: key not a function': async () => service.project({ reducer: (s) => s, initialState: 0, key: 'AggregateID' }),
    'createService: Upcasters a string': async () => createService({ EventStore: new MemoryEventStore(), Upcasters: 'x' }),
    'createService: 10k-deep options': async () => createService(deep(10000)),
    'FileEventStore: 100 MB directory name': async () => new FileEventStore({ directory: '' }),
    'FileEventStore: no options': async () => new FileEventStore(),
    'EventBuilder: 100 MB EventName': async () => EventBuilder({ EventName: huge, AggregateType: 'A' }),
    'EventBuilder: input an array': async () => EventBuilder({ EventName: 'A', AggregateType: 'B' })([1]),
    'given: not a list': async () => given('events'),
    'putSnapshot: a cycle as state': () => store.putSnapshot('k', 'Account', 'a', 1, cyclic()),
    'putSnapshot: version 0': () => store.putSnapshot('k', 'Account', 'a', 0, {}),
    'putCheckpoint: a negative position': () => store.putCheckpoint('c', -1),
  };
}

it('answers at least 30 kinds of hostile input with coded errors, quickly, changing nothing', async (t) => {
  const store = new MemoryEventStore();
  const service = createService({ EventStore: store });
  const [event] = accountEvents(1);
  await service.dispatch(event);
  const entries = Object.entries(kinds(service, store));
  assert.ok(entries.length >= 30);
  for (const [name, call] of entries) {
    const started = performance.now();
    const error = await Promise.resolve().then(call).then(() => undefined, (e) => e);
    assert.ok(error instanceof AtomServicesError, `${name}: expected an AtomServicesError, got ${error}`);
    assert.ok(['INVALID_ARGUMENT', 'INVALID_EVENT', 'INVALID_BATCH', 'EVENT_TOO_LARGE'].includes(error.code), `${name}: ${error.code}`);
    assert.ok(performance.now() - started < 3000, `${name} took ${performance.now() - started} ms`);
  }
  assert.deepEqual((await store.readAll()).map((x) => x.event), [event], 'nothing changed');
  assert.equal(await store.getSnapshot('k', 'Account', 'a'), undefined);
  assert.equal(await store.getCheckpoint('c'), undefined);
  await service.dispatch(accountEvents(1));  // and the service still works
  t.diagnostic(`${entries.length} kinds of hostile input here, plus the dispatch cases of bad-input.test.mjs`);
  await service.close();
});
