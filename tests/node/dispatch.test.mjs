// Dispatch semantics as DESIGN.md states them, over the built package.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createService, InstantEventBus, MemoryEventStore, AtomServicesError } from 'atomservices';
import { accountEvents, memoryService, settle } from './helpers.mjs';
import { JsEventStore } from './js-event-store.mjs';

function recorder(EventName, log, behaviour = () => {}) {
  return { EventName, name: `${EventName}-recorder`, handle: async (event) => { log.push(`${EventName}:${event._version}`); await behaviour(event); } };
}

describe('eventual consistency: dispatch(event)', () => {
  it('resolves once stored, then runs the handlers in the background', async () => {
    const log = [];
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const service = memoryService({ EventHandlers: [recorder('AccountOpened', log, () => gate)] });
    const [event] = accountEvents(1);
    await service.dispatch(event);
    assert.equal(await service.getVersion('Account', event.AggregateID), 1);
    assert.deepEqual(log, []);  // handlers start after the caller's await resumed
    await settle();
    assert.deepEqual(log, ['AccountOpened:1']);  // started, not finished: the Promise did not wait
    release();
    await service.close();
  });

  it('sends a handler error to onError listeners, never to an unhandled rejection', async () => {
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const service = memoryService({ EventHandlers: [{ EventName: '*', name: 'boom', handle() { throw new Error('kaput'); } }] });
      const errors = [];
      const stop = service.onError((error) => errors.push(error));
      await service.dispatch(accountEvents(1));
      await settle();
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, 'HANDLER_FAILED');
      assert.equal(errors[0].failures[0].handler, 'boom');
      assert.match(errors[0].message, /kaput/);
      stop();
      const printed = [];
      const original = console.error;
      console.error = (...args) => printed.push(args);
      try {
        await service.dispatch(accountEvents(1));
        await settle();
      } finally {
        console.error = original;
      }
      assert.equal(errors.length, 1, 'an unsubscribed listener hears nothing');
      assert.equal(printed.length, 1, 'with no listener left, the error goes to console.error');
      await service.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  it('writes a handler error to console.error when no listener is set', async () => {
    const printed = [];
    const original = console.error;
    console.error = (...args) => printed.push(args);
    try {
      const service = memoryService({ EventHandlers: [{ EventName: 'AccountOpened', handle: async () => { throw new Error('silent no more'); } }] });
      await service.dispatch(accountEvents(1));
      await settle();
      await service.close();
    } finally {
      console.error = original;
    }
    assert.equal(printed.length, 1);
    assert.ok(printed[0].some((part) => part instanceof AtomServicesError && /silent no more/.test(part.message)));
  });

  it('rejects on a store error and runs no handler', async () => {
    const log = [];
    const service = memoryService({ EventHandlers: [recorder('*', log)] });
    const [first] = accountEvents(1);
    await service.dispatch(first);
    await assert.rejects(service.dispatch({ ...first, _id: crypto.randomUUID() }), { code: 'CONCURRENCY_CONFLICT' });
    await settle();
    assert.deepEqual(log, ['*:1']);
    await service.close();
  });
});

describe('strong consistency: dispatch(event, notified)', () => {
  it('calls notified once, after the store and every matching handler finished', async () => {
    const log = [];
    const slow = recorder('MoneyDeposited', log, () => new Promise((r) => setTimeout(r, 20)));
    const service = memoryService({ EventHandlers: [recorder('AccountOpened', log), slow, recorder('Other', log)] });
    const events = accountEvents(2);
    const calls = [];
    await new Promise((resolve) => service.dispatch(events, (err) => { calls.push(err); resolve(); }));
    assert.deepEqual(calls, [undefined]);
    assert.deepEqual(log, ['AccountOpened:1', 'MoneyDeposited:2']);
    await service.close();
  });

  it('runs every handler to completion even when one fails, then reports each failure', async () => {
    const finished = [];
    const service = memoryService({
      EventHandlers: [
        { EventName: '*', name: 'first', handle: () => { throw new Error('one'); } },
        { EventName: '*', name: 'second', handle: async () => { await settle(); finished.push('second'); } },
        { EventName: 'AccountOpened', name: 'third', handle: async () => { throw new TypeError('three'); } },
      ],
    });
    const error = await new Promise((resolve) => service.dispatch(accountEvents(1), resolve));
    assert.ok(error instanceof AtomServicesError);
    assert.equal(error.code, 'HANDLER_FAILED');
    assert.deepEqual(error.failures.map((f) => f.handler).sort(), ['first', 'third']);
    assert.deepEqual(finished, ['second']);
    assert.match(error.message, /'first' on AccountOpened .*one/);
    await service.close();
  });

  it('passes a store error to notified, runs no handler, and the Promise resolves', async () => {
    const log = [];
    const service = memoryService({ EventHandlers: [recorder('*', log)] });
    let seen;
    const result = await service.dispatch({ not: 'an event' }, (err) => { seen = err; });
    assert.equal(result, undefined);
    assert.equal(seen.code, 'INVALID_EVENT');
    assert.deepEqual(log, []);
    await service.close();
  });

  it('reports a notified callback that throws instead of rejecting', async () => {
    const service = memoryService();
    const errors = [];
    service.onError((e) => errors.push(e));
    await service.dispatch(accountEvents(1), () => { throw new Error('callback bug'); });
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /callback bug/);
    await service.close();
  });

  it('matches the seed README sample', async () => {
    const service = createService({ EventStore: new MemoryEventStore(), EventBus: new InstantEventBus(), EventHandlers: [] });
    const [myEvent] = accountEvents(1);
    await new Promise((resolve, reject) => {
      service.dispatch(myEvent, (err) => { if (err) reject(err); else resolve(); });
    });
    assert.equal(await service.getVersion('Account', myEvent.AggregateID), 1);
    await service.close();
  });
});

describe('the service', () => {
  it('rehydrates an aggregate with a reducer', async () => {
    const service = memoryService();
    const events = accountEvents(10);
    await service.dispatch(events);
    const reducer = (state, event) => event.EventName === 'MoneyDeposited' ? { ...state, balance: state.balance + event.payloads.amount } : { ...state, owner: event.payloads.owner };
    const { state, version } = await service.rehydrate('Account', events[0].AggregateID, reducer, { balance: 0 });
    assert.deepEqual(state, { balance: 54, owner: 'ada' });
    assert.equal(version, 10);
    const empty = await service.rehydrate('Account', 'nobody', reducer, { balance: 0 });
    assert.deepEqual(empty, { state: { balance: 0 }, version: 0 });
    await service.close();
  });

  it('works over a store written in JS, which only ever sees valid events', async () => {
    const store = new JsEventStore();
    const service = createService({ EventStore: store });
    const events = accountEvents(3);
    await service.dispatch(events);
    await assert.rejects(service.dispatch({ ...events[0], _version: 0 }), { code: 'INVALID_EVENT' });
    await assert.rejects(service.dispatch({ ...events[2], _id: crypto.randomUUID(), _version: 3 }), { code: 'CONCURRENCY_CONFLICT' });
    assert.equal((await store.readAll()).length, 3);
    const read = await service.getEvents('Account', events[0].AggregateID, { fromVersion: 2 });
    assert.deepEqual(read.map((e) => e._version), [2, 3]);
    await assert.rejects(service.getEvents('Account', 42), { code: 'INVALID_ARGUMENT' });
    await service.close();
  });

  it('wraps a failure of a JS-written store as STORE_FAILURE with its cause', async () => {
    const store = new JsEventStore();
    store.append = async () => { throw new Error('disk on fire'); };
    const service = createService({ EventStore: store });
    const error = await service.dispatch(accountEvents(1)).catch((e) => e);
    assert.equal(error.code, 'STORE_FAILURE');
    assert.equal(error.cause.message, 'disk on fire');
    await service.close();
  });

  it('waits for dispatches in flight on close, then refuses new calls', async () => {
    const log = [];
    const service = memoryService({ EventHandlers: [recorder('*', log, () => new Promise((r) => setTimeout(r, 30)))] });
    const dispatched = service.dispatch(accountEvents(1));
    await service.close();
    await dispatched;
    assert.deepEqual(log, ['*:1']);
    await assert.rejects(service.dispatch(accountEvents(1)), { code: 'STORE_CLOSED' });
    await assert.rejects(service.getVersion('Account', 'x'), { code: 'STORE_CLOSED' });
    let seen;
    await service.dispatch(accountEvents(1), (err) => { seen = err; });
    assert.equal(seen.code, 'STORE_CLOSED');
  });

  it('delivers to handlers by EventName, AggregateType and "*"', async () => {
    const log = [];
    const service = memoryService({
      EventHandlers: [
        { EventName: '*', AggregateType: 'Account', handle: (e) => { log.push(`account:${e.EventName}`); } },
        { EventName: '*', AggregateType: 'User', handle: (e) => { log.push(`user:${e.EventName}`); } },
        { EventName: 'MoneyDeposited', handle: (e) => { log.push(`deposit:${e._version}`); } },
      ],
    });
    await service.dispatch(accountEvents(2), () => {});
    assert.deepEqual(log, ['account:AccountOpened', 'account:MoneyDeposited', 'deposit:2']);
    await service.close();
  });

  it('InstantEventBus.subscribe returns an unsubscribe function', async () => {
    const bus = new InstantEventBus();
    const log = [];
    const stop = bus.subscribe({ EventName: '*', handle: (e) => { log.push(e._version); } });
    await bus.publish(accountEvents(1));
    stop();
    await bus.publish(accountEvents(1));
    assert.deepEqual(log, [1]);
  });
});
