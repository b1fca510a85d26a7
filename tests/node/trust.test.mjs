// What a demanding user found wrong in 0.16.0 (issue "Trust"), each pinned by a test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createService, EventBuilder, FileEventStore, MemoryEventStore, NativeReducer, given, ExpectationError,
} from 'atomservices';
import { accountEvents, memoryService, rejectsWith, settle } from './helpers.mjs';
import { scratchDirectory } from './helpers-files.mjs';
import { JsEventStore } from './js-event-store.mjs';

const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty'];

function eventNamed(EventName, AggregateID = crypto.randomUUID(), _version = 1, payloads = { n: 1 }) {
  return EventBuilder({ EventName, AggregateType: 'Thing' })({ _version, _createdBy: 'tests', AggregateID, payloads });
}

describe('event names that are Object.prototype members', () => {
  for (const name of PROTOTYPE_NAMES) {
    it(`reads, subscribes and projects events named ${name}`, async () => {
      const service = memoryService();
      const id = crypto.randomUUID();
      const odd = eventNamed(name, id, 1);
      const plain = eventNamed('Plain', id, 2);
      await service.dispatch([odd, plain]);
      const read = await service.getEvents('Thing', id);
      assert.deepEqual(read.map((e) => e.EventName), [name, 'Plain']);
      assert.deepEqual(read[0], odd);

      const seen = [];
      const errors = [];
      service.onError((error) => errors.push(error));
      const stop = service.subscribe({ EventName: 'Plain' }, (event) => { seen.push(event.EventName); });
      const all = service.project({ reducer: (n) => n + 1, initialState: 0 });
      const filtered = service.project({ EventName: 'Plain', reducer: (n) => n + 1, initialState: 0 });
      await all.ready();
      await filtered.ready();
      await settle();
      assert.deepEqual(seen, ['Plain']);
      assert.equal(all.get(id), 2);
      assert.equal(filtered.get(id), 1);
      const { state } = await service.rehydrate('Thing', id, (n) => n + 1, 0);
      assert.equal(state, 2);
      assert.deepEqual(errors, []);
      stop();
      await service.close();
    });
  }

  it('applies an upcaster registered under a prototype name, and only that one', async () => {
    const Upcasters = Object.fromEntries([['constructor', (event) => ({ ...event, EventName: 'Renamed' })]]);
    const service = memoryService({ Upcasters });
    const id = crypto.randomUUID();
    await service.dispatch([eventNamed('constructor', id, 1), eventNamed('toString', id, 2)]);
    assert.deepEqual((await service.getEvents('Thing', id)).map((e) => e.EventName), ['Renamed', 'toString']);
    await service.close();
  });
});

describe('handlers run for newly stored events only', () => {
  it('runs a handler once when the same event is dispatched four times', async () => {
    let runs = 0;
    const service = memoryService({ EventHandlers: [{ EventName: 'AccountOpened', handle: () => { runs++; } }] });
    const [opened] = accountEvents(1);
    for (let i = 0; i < 4; i++) await service.dispatch(opened);
    await settle();
    assert.equal(runs, 1);
    await new Promise((resolve) => service.dispatch(opened, resolve));
    assert.equal(runs, 1, 'a strong retry runs no handler either');
    await service.close();
  });

  it('runs handlers only for the new events of a batch that retries some', async () => {
    for (const EventStore of [new MemoryEventStore(), new JsEventStore()]) {
      const handled = [];
      const service = createService({ EventStore, EventHandlers: [{ EventName: '*', handle: (e) => { handled.push(e._version); } }] });
      const events = accountEvents(4);
      await new Promise((resolve) => service.dispatch(events.slice(0, 2), resolve));
      const other = accountEvents(1);
      await new Promise((resolve) => service.dispatch([events[1], ...other, events[2], events[0], events[3]], resolve));
      assert.deepEqual(handled, [1, 2, 1, 3, 4]);
      await service.close();
    }
  });
});

describe('eventual dispatch', () => {
  it('resolves before a handler with long synchronous work has run', async () => {
    const order = [];
    const service = memoryService({
      EventHandlers: [{ EventName: 'AccountOpened', handle: () => {
        order.push('handler started');
        const until = Date.now() + 300;
        while (Date.now() < until) { /* synchronous work */ }
      } }],
    });
    await service.dispatch(accountEvents(1));
    order.push('dispatch resolved');
    await settle();
    assert.deepEqual(order, ['dispatch resolved', 'handler started']);
    await service.close();
  });
});

describe('close() drains', () => {
  it('accepts what handlers dispatch while it waits, then closes', async () => {
    const directory = scratchDirectory();
    const id = crypto.randomUUID();
    const [first, second, third] = accountEvents(3, id);
    const reactions = [];
    const service = createService({
      EventStore: new FileEventStore({ directory }),
      EventHandlers: [
        { EventName: '*', handle: async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const next = { 1: second, 2: third }[event._version];
          if (next) await service.dispatch(next);
          reactions.push(event._version);
        } },
      ],
    });
    await service.dispatch(first);
    await service.close();
    assert.deepEqual(reactions, [1, 2, 3]);
    await rejectsWith(service.dispatch(accountEvents(1)), 'STORE_CLOSED', assert);
    const reopened = createService({ EventStore: new FileEventStore({ directory }) });
    assert.equal(await reopened.getVersion('Account', id), 3);
    await reopened.close();
  });
});

describe('a failing projection', () => {
  it('makes its failure observable, and rebuild starts it over', async () => {
    const service = memoryService();
    service.onError(() => {});
    const id = crypto.randomUUID();
    await service.dispatch(accountEvents(3, id));
    let broken = true;
    const projection = service.project({
      reducer: (n, event) => {
        if (broken && event._version === 2) throw new Error('reducer bug');
        return n + 1;
      },
      initialState: 0,
    });
    const error = await rejectsWith(projection.ready(), 'HANDLER_FAILED', assert);
    assert.match(error.message, /reducer bug/);
    assert.equal(error.cause?.message, 'reducer bug');
    assert.equal(error.AggregateID, id);
    assert.equal(projection.error, error);
    assert.equal(projection.get(id), 1, 'the state before the failed event');
    await rejectsWith(projection.ready(), 'HANDLER_FAILED', assert);
    broken = false;
    await projection.rebuild();
    assert.equal(projection.error, undefined);
    assert.equal(projection.get(id), 3);
    await projection.ready();
    await service.close();
  });

  it('rejects ready() when it fails after having caught up', async () => {
    const service = memoryService();
    service.onError(() => {});
    const projection = service.project({ EventName: 'AccountOpened', reducer: () => { throw new Error('late bug'); }, initialState: 0 });
    await projection.ready();
    await service.dispatch(accountEvents(1));
    await settle();
    await rejectsWith(projection.ready(), 'HANDLER_FAILED', assert);
    assert.match(projection.error.message, /late bug/);
    await service.close();
  });
});

describe('JS-reducer snapshots', () => {
  const snapshots = { every: 2, version: 'v1' };

  it('give the same result as no snapshots for JSON states', async () => {
    const service = memoryService();
    const id = crypto.randomUUID();
    await service.dispatch(accountEvents(7, id));
    const reducer = (state, event) => ({ ...state, last: event._version, list: [...state.list, { v: event._version }] });
    const plain = await service.rehydrate('Account', id, reducer, { list: [] });
    const first = await service.rehydrate('Account', id, reducer, { list: [] }, { snapshots });
    const fromSnapshot = await service.rehydrate('Account', id, reducer, { list: [] }, { snapshots });
    assert.deepEqual(first, plain);
    assert.deepEqual(fromSnapshot, plain);
    await service.close();
  });

  for (const [what, reducer, found] of [
    ['a Date', (state, event) => ({ ...state, at: new Date(event._createdAt) }), /state\.at: expected Date\(/],
    ['a key holding undefined', (state) => ({ ...state, gone: undefined }), /state\.gone: expected undefined, but the key is missing/],
    ['a Set', (state, event) => ({ tags: new Set([...(state.tags ?? []), event._version]) }), /state\.tags is a Set/],
    ['-0', () => ({ n: -0 }), /state\.n: expected -0, got 0/],
  ]) {
    it(`refuse a state holding ${what}, on every rehydration that uses them, with a coded error`, async () => {
      const service = memoryService();
      const id = crypto.randomUUID();
      await service.dispatch(accountEvents(3, id));
      for (let i = 0; i < 2; i++) {
        const error = await rejectsWith(service.rehydrate('Account', id, reducer, {}, { snapshots }), 'INVALID_ARGUMENT', assert);
        assert.match(error.message, found);
        assert.match(error.message, /^options\.snapshots needs states that JSON gives back unchanged/);
        assert.equal(error.field, 'options.snapshots');
      }
      // Before the first snapshot point too, so a result never depends on where the stream ends.
      const short = crypto.randomUUID();
      await service.dispatch(accountEvents(1, short));
      await rejectsWith(service.rehydrate('Account', short, reducer, {}, { snapshots }), 'INVALID_ARGUMENT', assert);
      await service.rehydrate('Account', id, reducer, {});  // without snapshots, anything goes
      await service.close();
    });
  }
});

describe('native remove', () => {
  it('removes an object whatever the order of its keys', async () => {
    const reducer = new NativeReducer({
      initialState: { items: [] },
      on: { Added: [{ op: 'push', path: 'items', from: 'payloads.item' }], Removed: [{ op: 'remove', path: 'items', from: 'payloads.item' }] },
    });
    const id = crypto.randomUUID();
    const events = [eventNamed('Added', id, 1, { item: { a: 1, b: 2 } }), eventNamed('Added', id, 2, { item: { a: 1, b: 3 } }),
      eventNamed('Removed', id, 3, { item: { b: 2, a: 1 } })];
    given(events).when(reducer).thenExpect({ items: [{ a: 1, b: 3 }] });
    const service = memoryService();
    await service.dispatch(events);
    assert.deepEqual((await service.rehydrate('Thing', id, reducer)).state, { items: [{ a: 1, b: 3 }] });
    await service.close();
  });
});

describe('values JSON would not give back', () => {
  class Money { constructor(amount) { this.amount = amount; } }
  const cases = [
    ['a RegExp', /x/, /payloads\.value is a RegExp/],
    ['an Error', new Error('e'), /payloads\.value is an Error/],
    ['a WeakMap', new WeakMap(), /payloads\.value is a WeakMap/],
    ['a Promise', Promise.resolve(), /payloads\.value is a Promise/],
    ['a Buffer', Buffer.from('hi'), /payloads\.value is binary data/],
    ['a class instance', new Money(5), /payloads\.value is a Money/],
    ['an invalid Date', new Date(Number.NaN), /payloads\.value is an invalid Date/],
    ['a toJSON giving a Map', { toJSON: () => new Map([[1, 2]]) }, /payloads\.value is a Map, which JSON would store as \{\}.*\(returned by toJSON\)/],
    ['a toJSON giving a RegExp', { toJSON: () => [/x/] }, /payloads\.value\[0\] is a RegExp/],
    ['a nested function', { deep: [1, () => 1] }, /payloads\.value\.deep\[1\] is a function/],
    ['a symbol', Symbol('s'), /payloads\.value is a symbol/],
    ['a BigInt', 1n, /payloads\.value is a BigInt/],
    ['Infinity', Infinity, /payloads\.value is Infinity/],
  ];
  for (const [what, value, message] of cases) {
    it(`refuses ${what} with its path, and stores nothing`, async () => {
      const service = memoryService();
      const [event] = accountEvents(1);
      const error = await rejectsWith(service.dispatch({ ...event, payloads: { value } }), 'INVALID_EVENT', assert);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /: $/);
      // As the core gives its own errors: the event's index, and the field within it.
      assert.equal(`events[${error.index}].${error.field}`, error.message.slice(0, error.message.indexOf(' ')));
      assert.equal(await service.getVersion('Account', event.AggregateID), 0);
      await service.close();
    });
  }

  it('stores Dates as ISO strings, -0 as 0, plain toJSON results and null-prototype objects', async () => {
    const service = memoryService();
    const [event] = accountEvents(1);
    const bare = Object.assign(Object.create(null), { k: 1 });
    const at = new Date('2026-01-02T03:04:05.678Z');
    await service.dispatch({ ...event, payloads: { at, zero: -0, custom: { toJSON: () => ({ x: 1 }) }, bare } });
    const [stored] = await service.getEvents('Account', event.AggregateID);
    assert.deepEqual(stored.payloads, { at: '2026-01-02T03:04:05.678Z', zero: 0, custom: { x: 1 }, bare: { k: 1 } });
    assert.ok(Object.is(stored.payloads.zero, 0));
    await service.close();
  });
});

describe('thenExpect is a real deep equality', () => {
  const events = accountEvents(2);
  const fold = (state) => given(events).when(() => state, undefined);

  const unequal = [
    ['two Dates', new Date(1000), new Date(2000), /state: expected Date\(1970-01-01T00:00:02\.000Z\), got Date\(1970-01-01T00:00:01\.000Z\)/],
    ['two Maps', new Map([['a', 1]]), new Map([['a', 2]]), /state\.get\("a"\): expected 2, got 1/],
    ['Maps with other keys', new Map([['a', 1]]), new Map([['b', 1]]), /state: expected an entry for "b"/],
    ['two Sets', new Set([1]), new Set([2]), /state: expected it to hold 2/],
    ['-0 and 0', { n: 0 }, { n: -0 }, /state\.n: expected -0, got 0/],
    ['undefined and missing', {}, { k: undefined }, /state\.k: expected undefined, but the key is missing/],
    ['missing and undefined', { k: undefined }, {}, /state\.k: expected no such key, got undefined/],
    ['a Date and its string', { at: '1970-01-01T00:00:01.000Z' }, { at: new Date(1000) }, /state\.at: expected Date\(.*\), got "1970/],
    ['an array and an object', [1], { 0: 1 }, /state: expected/],
  ];
  for (const [what, actual, expected, message] of unequal) {
    it(`tells apart ${what}, showing the difference`, () => {
      assert.throws(() => fold(actual).thenExpect(expected), (error) => {
        assert.ok(error instanceof ExpectationError);
        assert.match(error.message, message);
        const [, shownExpected, shownActual] = error.message.split('\n');
        assert.notEqual(shownExpected.replace('expected:', '').trim(), shownActual.replace('actual:', '').trim());
        return true;
      });
    });
  }

  it('passes equal Dates, Maps, Sets and nested data', () => {
    fold({ at: new Date(5), m: new Map([['a', { x: [1] }]]), s: new Set([1, 'b']), list: [{ a: 1 }] })
      .thenExpect({ at: new Date(5), m: new Map([['a', { x: [1] }]]), s: new Set(['b', 1]), list: [{ a: 1 }] });
  });

  it('compares projections with the same rules', () => {
    const id = events[0].AggregateID;
    const projected = given(events).whenProjected({ reducer: (_s, e) => new Date(e._version), initialState: null });
    projected.thenExpect({ [id]: new Date(2) });
    assert.throws(() => projected.thenExpect({ [id]: new Date(3) }), /states\["[^"]+"\]: expected Date/);
  });
});

describe('errors say whose they are and where they were called', () => {
  it("reports a JS reducer's error as the reducer's, not the store's", async () => {
    const service = memoryService();
    const id = crypto.randomUUID();
    await service.dispatch(accountEvents(2, id));
    const bug = new Error('reducer bug');
    await assert.rejects(service.rehydrate('Account', id, () => { throw bug; }, 0), (error) => error === bug);
    const Upcasters = { MoneyDeposited: () => { throw bug; } };
    const upcasting = createService({ EventStore: new MemoryEventStore(), Upcasters });
    await upcasting.dispatch(accountEvents(2, id));
    await assert.rejects(upcasting.rehydrate('Account', id, (n) => n, 0), (error) => error === bug);
    await service.close();
    await upcasting.close();
  });

  it('gives errors of a failed lazy open the stack of the call that awaited it', async () => {
    const file = join(scratchDirectory(), 'a-file');
    writeFileSync(file, 'not a directory');
    const service = createService({ EventStore: new FileEventStore({ directory: file }) });
    async function theCallersFrame() {
      await service.dispatch(accountEvents(1));
    }
    const error = await theCallersFrame().then(() => assert.fail('the open should fail'), (e) => e);
    assert.equal(error.name, 'AtomServicesError');
    assert.match(error.stack, /theCallersFrame/);
    async function readingFrame() {
      await service.getEvents('Account', 'a');
    }
    const second = await readingFrame().catch((e) => e);
    assert.match(second.stack, /readingFrame/);
  });
});

describe('process life', () => {
  for (const store of ['MemoryEventStore', 'FileEventStore']) {
    it(`a forgotten subscription and projection on a ${store} let Node exit`, () => {
      const directory = scratchDirectory();
      const script = `
        import { createService, ${store}, EventBuilder } from 'atomservices';
        const service = createService({ EventStore: new ${store}(${store === 'FileEventStore' ? JSON.stringify({ directory }) : ''}) });
        const build = EventBuilder({ EventName: 'Opened', AggregateType: 'Account' });
        await service.dispatch(build({ _version: 1, _createdBy: 't', payloads: {} }));
        service.subscribe({}, () => {});
        await service.project({ reducer: (n) => n + 1, initialState: 0 }).ready();
        console.log('left running');
      `;
      // A hang is what this test catches: the timeout only ends a failed run.
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 20000, encoding: 'utf8' });
      assert.equal(child.stdout.trim(), 'left running', child.stderr);
      assert.equal(child.signal, null, 'the process had to be killed');
      assert.equal(child.status, 0, child.stderr);
    });
  }
});
