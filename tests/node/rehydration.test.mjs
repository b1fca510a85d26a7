// Rehydration: native reducers against a JS oracle on random streams, snapshots that never
// change a result, time travel, progress, upcasters, and the given/when/then helper.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createService, MemoryEventStore, FileEventStore, NativeReducer, given, ExpectationError } from 'atomservices';
import { oracle, randomCase, random } from './reducer-oracle.mjs';
import { accountEvents, memoryService } from './helpers.mjs';
import { scratchDirectory } from './helpers-files.mjs';
import { JsEventStore } from './js-event-store.mjs';

const stores = {
  memory: () => new MemoryEventStore(),
  file: () => new FileEventStore({ directory: scratchDirectory() }),
  'hand-written JS': () => new JsEventStore(),
};

describe('native reducers give the state the equivalent JS reducer gives', () => {
  for (const [name, createStore] of Object.entries(stores)) {
    it(`on 60 random streams, in a ${name} store`, async () => {
      const service = createService({ EventStore: createStore() });
      for (let seed = 1; seed <= 60; seed++) {
        const { definition, events, AggregateID } = randomCase(seed, 1 + (seed * 7) % 90);
        await service.dispatch(events);
        const native = await service.rehydrate('Account', AggregateID, new NativeReducer(definition));
        const js = await service.rehydrate('Account', AggregateID, oracle(definition), definition.initialState);
        assert.deepEqual(native, js, `seed ${seed}`);
        assert.equal(native.version, events.length);
      }
      await service.close();
    });
  }

  it('given/when/then folds natively exactly like the oracle', () => {
    for (let seed = 100; seed < 300; seed++) {
      const { definition, events } = randomCase(seed, 1 + seed % 40);
      const expected = given(events).when(oracle(definition), definition.initialState).state;
      given(events).when(new NativeReducer(definition)).thenExpect(expected);
    }
  });
});

describe('snapshots', () => {
  for (const [name, createStore] of Object.entries(stores)) {
    it(`never change what rehydration returns (random streams, random versions, ${name} store)`, async () => {
      const service = createService({ EventStore: createStore() });
      const r = random(7);
      for (let seed = 1; seed <= 25; seed++) {
        const { definition, events, AggregateID } = randomCase(seed, 20 + r.int(80));
        await service.dispatch(events);
        const withSnapshots = new NativeReducer({ ...definition, snapshotEvery: 1 + r.int(9) });
        const plain = new NativeReducer(definition);
        for (let i = 0; i < 6; i++) {
          const toVersion = 1 + r.int(events.length);
          const expected = await service.rehydrate('Account', AggregateID, plain, { toVersion, snapshots: false });
          assert.deepEqual(await service.rehydrate('Account', AggregateID, withSnapshots, { toVersion }), expected);
          const js = { snapshots: { every: 1 + r.int(9), version: 'oracle-1' } };
          assert.deepEqual(await service.rehydrate('Account', AggregateID, oracle(definition), definition.initialState, { toVersion, ...js }), expected);
        }
      }
      await service.close();
    });
  }

  it('are kept per reducer identity and used after a restart', async () => {
    const directory = scratchDirectory();
    const { definition, events, AggregateID } = randomCase(5, 50);
    let store = new FileEventStore({ directory });
    let service = createService({ EventStore: store });
    await service.dispatch(events);
    const reducer = new NativeReducer({ ...definition, snapshotEvery: 10 });
    const first = await service.rehydrate('Account', AggregateID, reducer);
    assert.equal((await store.getSnapshot(reducer.identity, 'Account', AggregateID)).version, 50);
    await service.close();
    store = new FileEventStore({ directory });
    service = createService({ EventStore: store });
    const snapshot = await store.getSnapshot(reducer.identity, 'Account', AggregateID, 35);
    assert.equal(snapshot.version, 30);
    assert.deepEqual(await service.rehydrate('Account', AggregateID, reducer), first);
    const changed = new NativeReducer({ ...definition, initialState: { ...definition.initialState, balance: 1 }, snapshotEvery: 10 });
    assert.notEqual(changed.identity, reducer.identity);
    assert.equal(await store.getSnapshot(changed.identity, 'Account', AggregateID), undefined, 'a changed reducer reads no stale snapshot');
    await service.close();
  });
});

describe('time travel and progress', () => {
  it('folds up to a version or a time, natively and in JS', async () => {
    const service = memoryService();
    const { definition, events, AggregateID } = randomCase(11, 30);
    await service.dispatch(events);
    const native = new NativeReducer(definition);
    const js = oracle(definition);
    for (const toVersion of [0, 1, 15, 30, 99]) {
      const expected = given(events.slice(0, toVersion)).when(js, definition.initialState);
      const got = await service.rehydrate('Account', AggregateID, native, { toVersion });
      assert.deepEqual(got.state, expected.state);
      assert.equal(got.version, Math.min(toVersion, 30));
    }
    const at = events[9]._createdAt;  // events are a minute apart
    const atState = given(events.slice(0, 10)).when(js, definition.initialState).state;
    assert.deepEqual(await service.rehydrate('Account', AggregateID, native, { at }), { state: atState, version: 10 });
    assert.deepEqual(await service.rehydrate('Account', AggregateID, js, definition.initialState, { at }), { state: atState, version: 10 });
    await assert.rejects(service.rehydrate('Account', AggregateID, native, { at: 'yesterday' }), { code: 'INVALID_ARGUMENT', message: /options.at/ });
    await service.close();
  });

  it('reports progress on long streams', async () => {
    const service = memoryService();
    const events = accountEvents(2500);
    for (let i = 0; i < events.length; i += 1000) await service.dispatch(events.slice(i, i + 1000));
    const progress = [];
    const { version } = await service.rehydrate('Account', events[0].AggregateID, (n) => n + 1, 0, { onProgress: (p) => progress.push(p) });
    assert.equal(version, 2500);
    assert.deepEqual(progress, [{ done: 1000, total: 2500 }, { done: 2000, total: 2500 }, { done: 2500, total: 2500 }]);
    await service.close();
  });
});

describe('upcasters', () => {
  const v1 = (id, version, amount) => ({ ...accountEvents(1, id)[0], _version: version, EventName: 'DepositedV1', payloads: { cents: amount * 100 } });
  const Upcasters = {
    DepositedV1: (event) => ({ ...event, EventName: 'Deposited', payloads: { amount: event.payloads.cents / 100 } }),
  };

  it('turn old shapes into current ones on every read path, without rewriting the store', async () => {
    const store = new MemoryEventStore();
    const service = createService({ EventStore: store, Upcasters });
    const id = crypto.randomUUID();
    await service.dispatch([v1(id, 1, 5), v1(id, 2, 7)]);
    const events = await service.getEvents('Account', id);
    assert.deepEqual(events.map((e) => [e.EventName, e.payloads.amount]), [['Deposited', 5], ['Deposited', 7]]);
    assert.equal((await store.readStream('Account', id))[0].EventName, 'DepositedV1', 'the store keeps what was written');
    const native = new NativeReducer({ initialState: { total: 0 }, on: { Deposited: [{ op: 'add', path: 'total', from: 'payloads.amount' }] } });
    assert.deepEqual((await service.rehydrate('Account', id, native)).state, { total: 12 });
    assert.deepEqual((await service.rehydrate('Account', id, (s, e) => s + e.payloads.amount, 0)).state, 12);
    const seen = [];
    const stop = service.subscribe({ EventName: 'Deposited' }, (e) => { seen.push(e.payloads.amount); });
    const projection = service.project({ EventName: 'Deposited', reducer: (s, e) => s + e.payloads.amount, initialState: 0 });
    await projection.ready();
    assert.equal(projection.get(id), 12);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [5, 7]);
    stop();
    await service.close();
  });

  it('are checked when the service is created', () => {
    assert.throws(() => createService({ EventStore: new MemoryEventStore(), Upcasters: { A: 'x' } }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => createService({ EventStore: new MemoryEventStore(), Upcasters: [] }), { code: 'INVALID_ARGUMENT' });
  });
});

describe('given / when / then', () => {
  it('checks reducers and projections, and says what differs', () => {
    const events = accountEvents(3);
    const reducer = (s, e) => ({ deposits: s.deposits + (e.EventName === 'MoneyDeposited' ? e.payloads.amount : 0) });
    given(events).when(reducer, { deposits: 0 }).thenExpect({ deposits: 5 });
    assert.throws(() => given(events).when(reducer, { deposits: 0 }).thenExpect({ deposits: 6 }),
      (e) => e instanceof ExpectationError && /expected: \{"deposits":6\}/.test(e.message));
    given(events).whenProjected({ EventName: 'MoneyDeposited', reducer: (n) => n + 1, initialState: 0 })
      .thenExpect({ [events[0].AggregateID]: 2 });
  });
});

describe('native reducer definitions are checked when created', () => {
  const cases = [
    [null, 'definition'], [{ on: {} }, 'on'], [{ on: { A: {} } }, 'on.A'], [{ on: { A: [{ path: 'x' }] } }, 'on.A[0].op'],
    [{ on: { A: [{ op: 'set' }] } }, 'on.A[0].path'], [{ on: { A: [{ op: 'set', path: 'x' }] } }, 'needs from'],
    [{ on: { A: [{ op: 'add', path: 'x', value: 'one' }] } }, 'on.A[0].value'], [{ on: { A: [{ op: 'set', path: 'x', from: 'a', value: 1 }] } }, 'either from or value'],
    [{ on: { A: [{ op: 'set', path: '.x', value: 1 }] } }, 'on.A[0].path'], [{ on: { A: [{ op: 'unset', path: 'x', value: 1 }] } }, 'unset takes only a path'],
    [{ on: { A: [{ op: 'set', path: 'x', value: 1, extra: 1 }] } }, 'on.A[0].extra'], [{ initialState: [], on: { A: [] } }, 'initialState'],
    [{ on: { A: [] }, snapshotEvery: 0 }, 'snapshotEvery'], [{ on: { A: [] }, snapshots: 1 }, 'snapshots'],
  ];
  for (const [definition, where] of cases) {
    it(`refuses ${JSON.stringify(definition)}`, () => {
      assert.throws(() => new NativeReducer(definition), (e) => e.code === 'INVALID_ARGUMENT' && e.message.includes(where), where);
    });
  }
});

describe('native reducer sums stay numbers JSON can hold', () => {
  it('a sum past the largest double is refused, and the state before it can still be had', async () => {
    const service = memoryService();
    const events = accountEvents(3, 'huge');
    events[1].payloads.amount = 1.5e308;
    events[2].payloads.amount = 1.5e308;
    await service.dispatch(events);
    const reducer = new NativeReducer({ initialState: { balance: 0 }, on: { MoneyDeposited: [{ op: 'add', path: 'balance', from: 'payloads.amount' }] } });
    await assert.rejects(service.rehydrate('Account', 'huge', reducer),
      (e) => e.code === 'INVALID_ARGUMENT' && e.message.includes('balance') && e.field === 'balance');
    const before = await service.rehydrate('Account', 'huge', reducer, { toVersion: 2 });
    assert.equal(before.state.balance, 1.5e308);
    await service.close();
  });
});
