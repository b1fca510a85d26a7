// Bad input: each case gets an AtomServicesError with a stable code and a message naming the
// field; nothing is stored; the service keeps working.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createService, EventBuilder, MemoryEventStore, InstantEventBus, AtomServicesError } from 'atomservices';
import { accountEvents, buildOpened, memoryService } from './helpers.mjs';

const valid = () => accountEvents(1)[0];
const cycle = () => { const payloads = { a: {} }; payloads.a.back = payloads; return { ...valid(), payloads }; };
const nested = (depth) => { let value = {}; for (let i = 0; i < depth; i++) value = { d: value }; return value; };

// [description, what to dispatch, expected code, text the message must contain]
const cases = [
  ['not an object', 'event', 'INVALID_EVENT', 'events[0] must be an event object, got string'],
  ['null', null, 'INVALID_EVENT', 'events[0] must be an event object, got null'],
  ['undefined', undefined, 'INVALID_EVENT', 'events[0] must be an event object, got undefined'],
  ['an empty batch', [], 'INVALID_BATCH', 'the batch is empty'],
  ['a batch element that is not an event', () => [valid(), 42], 'INVALID_EVENT', 'events[1] must be an event object, got number'],
  ...['EventName', 'AggregateType', 'AggregateID', '_createdBy', '_id', '_createdAt'].flatMap((field) => [
    [`missing ${field}`, () => { const e = valid(); delete e[field]; return e; }, 'INVALID_EVENT', `events[0].${field} is missing`],
    [`non-string ${field}`, () => ({ ...valid(), [field]: 7 }), 'INVALID_EVENT', `events[0].${field} must be a string, got number 7`],
  ]),
  ...['EventName', 'AggregateType', 'AggregateID', '_createdBy'].flatMap((field) => [
    [`empty ${field}`, () => ({ ...valid(), [field]: '' }), 'INVALID_EVENT', `events[0].${field} must not be empty`],
    [`over-long ${field}`, () => ({ ...valid(), [field]: 'x'.repeat(257) }), 'INVALID_EVENT', `events[0].${field} must be at most 256 characters`],
    [`${field} with a control character`, () => ({ ...valid(), [field]: 'a\u0000b' }), 'INVALID_EVENT', `events[0].${field} must not contain control characters`],
  ]),
  ...[0, -1, 1.5, NaN, Infinity, '1', 2 ** 53].map((version) =>
    [`_version ${String(version)}`, () => ({ ...valid(), _version: version }), 'INVALID_EVENT', 'events[0]._version ']),
  ['_id not a UUID', () => ({ ...valid(), _id: 'not-a-uuid' }), 'INVALID_EVENT', 'events[0]._id must be a UUID'],
  ['_createdAt not ISO-8601', () => ({ ...valid(), _createdAt: 'Tue, 1 Dec 2026' }), 'INVALID_EVENT', 'events[0]._createdAt must be an ISO-8601 UTC time'],
  ['_createdAt an impossible date', () => ({ ...valid(), _createdAt: '2026-02-30T00:00:00.000Z' }), 'INVALID_EVENT', 'events[0]._createdAt'],
  ['payloads missing', () => { const e = valid(); delete e.payloads; return e; }, 'INVALID_EVENT', 'events[0].payloads is missing'],
  ['payloads holding a BigInt', () => ({ ...valid(), payloads: { n: 10n } }), 'INVALID_EVENT', 'events[0].payloads.n is a BigInt'],
  ['payloads holding a function', () => ({ ...valid(), payloads: { f() {} } }), 'INVALID_EVENT', 'events[0].payloads.f is a function'],
  ['payloads holding a symbol', () => ({ ...valid(), payloads: { s: Symbol('x') } }), 'INVALID_EVENT', 'events[0].payloads.s is a symbol'],
  ['payloads holding NaN', () => ({ ...valid(), payloads: { list: [1, NaN] } }), 'INVALID_EVENT', 'events[0].payloads.list[1] is NaN'],
  ['payloads holding Infinity', () => ({ ...valid(), payloads: { x: -Infinity } }), 'INVALID_EVENT', 'events[0].payloads.x is -Infinity'],
  ['payloads holding a Map', () => ({ ...valid(), payloads: { m: new Map([[1, 2]]) } }), 'INVALID_EVENT', 'events[0].payloads.m is a Map'],
  ['payloads holding a cycle', cycle, 'INVALID_EVENT', 'events[0].payloads.a.back refers back to one of its parents'],
  ['payloads nested 65 levels', () => ({ ...valid(), payloads: nested(65) }), 'INVALID_EVENT', 'nests deeper than 64 levels'],
  ['payloads nested 10,000 levels', () => ({ ...valid(), payloads: nested(10000) }), 'INVALID_EVENT', 'nests deeper than 64 levels'],
  ['metadata that is not an object', () => ({ ...valid(), metadata: [1] }), 'INVALID_EVENT', 'events[0].metadata must be an object'],
  ['an unknown field', () => ({ ...valid(), Extra: 1 }), 'INVALID_EVENT', 'events[0].Extra is not a field of an event'],
  ['an event over 1 MiB', () => ({ ...valid(), payloads: { blob: 'x'.repeat(1 << 20) } }), 'EVENT_TOO_LARGE', 'the limit is 1048576 bytes'],
  ['a batch mixing aggregates with one bad event', () => [...accountEvents(2), { ...valid(), _version: -1 }], 'INVALID_EVENT', 'events[2]._version'],
];

describe('dispatch refuses bad input and changes nothing', () => {
  for (const [name, input, code, text] of cases) {
    it(name, async () => {
      const store = new MemoryEventStore();
      const service = createService({ EventStore: store });
      const value = typeof input === 'function' ? input() : input;
      const error = await service.dispatch(value).then(() => undefined, (e) => e);
      assert.ok(error instanceof AtomServicesError, `expected an AtomServicesError, got ${error}`);
      assert.equal(error.code, code);
      assert.ok(error.message.includes(text), `message "${error.message}" should contain "${text}"`);
      assert.deepEqual(await store.readAll(), [], 'nothing is stored');
      const [ok] = accountEvents(1);
      await service.dispatch(ok);
      assert.equal(await service.getVersion('Account', ok.AggregateID), 1, 'the service still works');
      await service.close();
    });
  }

  it('rejects a 100 MB string quickly without storing it', async () => {
    const service = memoryService();
    const started = performance.now();
    const error = await service.dispatch({ ...valid(), payloads: 'x'.repeat(100 * 1024 * 1024) }).catch((e) => e);
    assert.equal(error.code, 'EVENT_TOO_LARGE');
    assert.ok(performance.now() - started < 5000);
    await service.close();
  });

  it('rejects a batch over the event-count limit before encoding it', async () => {
    const service = memoryService();
    const event = valid();
    const error = await service.dispatch(new Array(1_000_000).fill(event)).catch((e) => e);
    assert.equal(error.code, 'INVALID_BATCH');
    assert.match(error.message, /at most 100000 events/);
    await service.close();
  });
});

describe('the other entry points refuse bad input', () => {
  it('EventBuilder without or with bad EventName/AggregateType', () => {
    for (const definition of [undefined, null, {}, { EventName: 'A' }, { AggregateType: 'B' }, { EventName: 1, AggregateType: 'B' },
      { EventName: 'A', AggregateType: null }, { EventName: '', AggregateType: 'B' }, { EventName: 'A', AggregateType: 'x\ny' }]) {
      assert.throws(() => EventBuilder(definition), (e) => e instanceof AtomServicesError && e.code === 'INVALID_ARGUMENT', JSON.stringify(definition));
    }
  });

  it('EventBuilder factories refuse a non-object input and unknown keys', () => {
    assert.throws(() => buildOpened(null), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => buildOpened('x'), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => buildOpened({ _version: 1, _createdBy: 'a', payloads: {}, EventName: 'Other' }), { code: 'INVALID_ARGUMENT', message: /EventName is not part of an event input/ });
  });

  it('createService given a store or bus that lacks methods, or bad handlers', () => {
    const bad = [
      'nope', [], { EventStore: {} }, { EventStore: { append() {} } }, { EventBus: { subscribe() {} } },
      { EventHandlers: {} }, { EventHandlers: [{ EventName: 'A' }] }, { EventHandlers: [{ handle() {} }] },
      { EventHandlers: [{ EventName: 'A', handle() {}, AggregateType: 3 }] }, { EventStroe: new MemoryEventStore() },
    ];
    for (const options of bad) {
      assert.throws(() => createService(options), (e) => e instanceof AtomServicesError && e.code === 'INVALID_ARGUMENT');
    }
    assert.throws(() => createService({ EventStore: { append() {} } }), /missing: readStream, readAll, getVersion, getEvent, close/);
  });

  it('reads with bad arguments', async () => {
    const service = memoryService();
    const store = new MemoryEventStore();
    for (const call of [
      () => service.getEvents(), () => service.getEvents('Account'), () => service.getEvents('', 'x'),
      () => service.getEvents('Account', 'x', { limit: 0 }), () => service.getEvents('Account', 'x', { limit: NaN }),
      () => service.getEvents('Account', 'x', { direction: 'sideways' }), () => service.getEvents('Account', 'x', { fromVerison: 1 }),
      () => service.getEvents('Account', 'x', 'all'), () => service.getVersion('Account', { id: 1 }),
      () => store.readAll({ fromPosition: 0 }), () => store.readAll({ limit: 1.5 }), () => store.getEvent(42),
      () => service.rehydrate('Account', 'x', 'not a function', {}), () => store.append('not an array'),
    ]) {
      await assert.rejects(call(), (e) => e instanceof AtomServicesError && e.code === 'INVALID_ARGUMENT', call.toString());
    }
    assert.throws(() => service.onError('nope'), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(service.dispatch(valid(), 'not a function'), { code: 'INVALID_ARGUMENT' });
    await service.close();
    await store.close();
  });

  it('InstantEventBus refuses a bad handler', () => {
    assert.throws(() => new InstantEventBus().subscribe({ EventName: 'A' }), { code: 'INVALID_ARGUMENT' });
  });
});
