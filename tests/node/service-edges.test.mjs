// Edges of the service and its stores a user meets: what handlers are given, where a
// subscription from 'end' starts, calls made before close(), and arguments checked at the
// call that takes them (a coded error at once, not a TypeError or a late failure).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createService, EventBuilder, FileEventStore, InstantEventBus, MemoryEventStore } from 'atomservices';
import { accountEvents, settle } from './helpers.mjs';
import { scratchDirectory } from './helpers-files.mjs';

describe('the service and its stores at their edges', () => {
  it('runs an aggregate\'s handlers in the order its events were stored, whatever the mode of each dispatch', async () => {
    for (const store of [() => new MemoryEventStore(), () => new FileEventStore({ directory: scratchDirectory() })]) {
      const seen = [];
      const handle = async (event) => {
        seen.push(`start ${event.AggregateID}@${event._version}`);
        if (event._version === 1) await new Promise((resolve) => setTimeout(resolve, 20));
        seen.push(`end ${event.AggregateID}@${event._version}`);
      };
      const service = createService({ EventStore: store(), EventHandlers: [{ EventName: 'AccountOpened', handle }, { EventName: 'MoneyDeposited', handle }] });
      const [opened, deposited] = accountEvents(2, 'ordered');
      const [other] = accountEvents(1, 'other');
      await service.dispatch(opened);  // eventual: its handler starts in a later turn
      const strong = new Promise((resolve) => { void service.dispatch(deposited, resolve); });
      await service.dispatch(other);
      assert.equal(await strong, undefined);
      await service.close();
      const ordered = seen.filter((entry) => entry.includes('ordered'));
      assert.deepEqual(ordered, ['start ordered@1', 'end ordered@1', 'start ordered@2', 'end ordered@2']);
      assert.ok(seen.indexOf('start other@1') < seen.indexOf('end ordered@1'), `other aggregates do not wait: ${seen}`);
    }
  });

  it('gives handlers the events as stored, copied when dispatched: later changes to the caller\'s objects reach no one', async () => {
    for (const strong of [false, true]) {
      const seen = [];
      const service = createService({
        EventStore: new MemoryEventStore(),
        EventHandlers: [{ EventName: 'AccountOpened', handle: (event) => { seen.push(event); } }],
      });
      const [event] = accountEvents(1);
      const { AggregateID } = event;
      event.payloads = { amount: 10, at: new Date(0), gone: undefined };
      const dispatched = strong ? new Promise((resolve) => { void service.dispatch(event, resolve); }) : service.dispatch(event);
      event.payloads.amount = 999;
      event.AggregateID = 'someone-else';
      await dispatched;
      for (let i = 0; i < 100 && seen.length === 0; i++) await settle();
      const [stored] = await service.getEvents('Account', AggregateID);
      await service.close();
      assert.equal(seen.length, 1);
      assert.notEqual(seen[0], event);
      assert.deepEqual(seen[0], stored, 'the handler got what a read gives');
      assert.deepEqual(seen[0].payloads, { amount: 10, at: '1970-01-01T00:00:00.000Z' });
    }
  });

  it('delivers, to a subscription from the end, an event dispatched right after subscribe() returned', async () => {
    for (const store of [new MemoryEventStore(), new FileEventStore({ directory: scratchDirectory() })]) {
      const service = createService({ EventStore: store });
      await service.dispatch(accountEvents(1));
      const positions = [];
      const unsubscribe = service.subscribe({ from: 'end' }, (_event, position) => { positions.push(position); });
      await service.dispatch(accountEvents(1));
      await service.dispatch(accountEvents(1));
      for (let i = 0; i < 100 && positions.length < 2; i++) await settle();
      assert.deepEqual(positions, [2, 3]);
      unsubscribe();
      await service.close();
    }
  });

  it('serves store calls made before close(), also on a store that was not open yet; refuses those made after', async () => {
    for (const make of [() => new MemoryEventStore(), () => new FileEventStore({ directory: scratchDirectory() })]) {
      const store = make();
      const appended = store.append(accountEvents(2));
      const read = store.readAll();
      const closed = store.close();
      await assert.rejects(store.append(accountEvents(1)), { code: 'STORE_CLOSED' });
      assert.equal((await appended).lastPosition, 2);
      assert.ok(Array.isArray(await read));
      await closed;
    }
    const directory = scratchDirectory();
    const store = new FileEventStore({ directory });
    const appended = store.append(accountEvents(3));
    await store.close();
    await appended;
    const again = new FileEventStore({ directory });
    assert.equal((await again.readAll()).length, 3, 'an append made before close() is on disk');
    await again.close();
  });

});

describe('arguments checked at once', () => {
  it('refuses a time cut that is not a string, whatever the reducer', async () => {
    const service = createService({ EventStore: new MemoryEventStore() });
    const [event] = accountEvents(1);
    await service.dispatch(event);
    for (const at of [new Date(), 5, { toJSON: () => '2026-01-01T00:00:00.000Z' }]) {
      await assert.rejects(service.rehydrate('Account', event.AggregateID, (s) => s + 1, 0, { at }),
        { code: 'INVALID_ARGUMENT', message: /options\.at must be an ISO 8601 time as a string/ });
    }
    const { state } = await service.rehydrate('Account', event.AggregateID, (s) => s + 1, 0, { at: new Date().toISOString() });
    assert.equal(state, 1);
    await service.close();
  });

  it('refuses at subscribe() a subscription name the store would refuse for its checkpoint', async () => {
    const service = createService({ EventStore: new MemoryEventStore() });
    for (const name of ['x'.repeat(300), 'a\u0000b']) {
      assert.throws(() => service.subscribe({ name }, () => {}), { code: 'INVALID_ARGUMENT', message: /options\.name/ });
    }
    await service.close();
  });

  it('refuses bad verify() options and bad bus input with INVALID_ARGUMENT, not a TypeError', async () => {
    const store = new FileEventStore({ directory: scratchDirectory() });
    await store.append(accountEvents(1));
    for (const options of [null, 'x', { onProgress: 5 }, { foo: 1 }]) {
      await assert.rejects(store.verify(options), { code: 'INVALID_ARGUMENT' }, JSON.stringify(options));
    }
    assert.deepEqual(await store.verify({ onProgress: () => {} }), { segments: 0, events: 0 });
    await store.close();
    const bus = new InstantEventBus();
    bus.subscribe({ EventName: 'AccountOpened', handle: () => {} });
    for (const events of [undefined, null, accountEvents(1)[0], [null], [accountEvents(1)[0], 7]]) {
      await assert.rejects(bus.publish(events), { code: 'INVALID_ARGUMENT' });
    }
    await bus.publish(accountEvents(2));
  });

  it('says so when an upcaster returns something that is not an event', async () => {
    const store = new MemoryEventStore();
    const [event] = accountEvents(1);
    await store.append([event]);
    for (const result of [null, 5, [], {}]) {
      const service = createService({ EventStore: store, Upcasters: { AccountOpened: () => result } });
      await assert.rejects(service.getEvents('Account', event.AggregateID),
        { code: 'INVALID_ARGUMENT', message: /the upcaster of AccountOpened must return an event/ });
      await assert.rejects(service.rehydrate('Account', event.AggregateID, (s) => s, 0), { code: 'INVALID_ARGUMENT' });
    }
  });

  it('refuses an upcaster that changes what identifies an event, and keeps one that changes its shape', async () => {
    const store = new MemoryEventStore();
    const [event] = accountEvents(1);
    await store.append([event]);
    const changes = { _version: 99, AggregateID: 'someone-else', _id: crypto.randomUUID(), extra: 1 };
    for (const [key, value] of Object.entries(changes)) {
      const service = createService({ EventStore: store, Upcasters: { AccountOpened: (e) => ({ ...e, [key]: value }) } });
      await assert.rejects(service.getEvents('Account', event.AggregateID), { code: 'INVALID_ARGUMENT', message: new RegExp(`whose ${key} `) });
    }
    const service = createService({ EventStore: store, Upcasters: { AccountOpened: (e) => ({ ...e, EventName: 'AccountOpenedV2', payloads: { holder: e.payloads.owner } }) } });
    const [upcast] = await service.getEvents('Account', event.AggregateID);
    assert.deepEqual([upcast.EventName, upcast.payloads, upcast._version], ['AccountOpenedV2', { holder: 'ada' }, 1]);
  });

  it('fails at once, with STORE_FAILURE, to make a directory where none can be (Node\'s recursive mkdir loops on /proc)', async () => {
    for (const directory of ['/proc/atomservices-test', '/proc/self/none/deeper']) {
      const store = new FileEventStore({ directory });
      await assert.rejects(store.getLastPosition(), { code: 'STORE_FAILURE', message: /could not create or use the directory/ });
    }
  });

  it('refuses what a store, a builder or a projection would only fail on later', async () => {
    const directory = scratchDirectory();
    assert.throws(() => new FileEventStore({ directory, cachebytes: 1 }), { code: 'INVALID_ARGUMENT', message: /options\.cachebytes is not a FileEventStore option; use directory or cacheBytes/ });
    assert.throws(() => new FileEventStore({ directory: `${directory}\0x` }), { code: 'INVALID_ARGUMENT', message: /options\.directory must not contain a NUL/ });
    assert.throws(() => EventBuilder({ EventName: 'Opened\ud800', AggregateType: 'Account' }), { code: 'INVALID_ARGUMENT', message: /EventName must be valid Unicode text/ });
    assert.equal(typeof EventBuilder({ EventName: 'Opened\ud83d\ude00', AggregateType: 'Account' }), 'function', 'a pair is fine');
    const service = createService({ EventStore: new MemoryEventStore() });
    assert.throws(() => service.project({ reducer: (s) => s, initialState: () => 1 }), { code: 'INVALID_ARGUMENT', message: /definition\.initialState/ });
    await assert.rejects(service.dispatch({ ...accountEvents(1)[0], AggregateID: null }), (error) => {
      assert.equal(error.code, 'INVALID_EVENT');
      assert.match(error.message, /got null$/);
      return true;
    });
    // Where a value JSON cannot hold is, given as for the core's own errors: the event's index and its field.
    await assert.rejects(service.dispatch([accountEvents(1)[0], { ...accountEvents(1)[0], payloads: { x: NaN } }]),
      { code: 'INVALID_EVENT', index: 1, field: 'payloads.x' });
    await assert.rejects(service.dispatch([accountEvents(1)[0], { ...accountEvents(1)[0], _version: 0 }]), { code: 'INVALID_EVENT', index: 1, field: '_version' });
    await service.close();
  });
});
