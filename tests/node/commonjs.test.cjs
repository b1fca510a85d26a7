// The CommonJS entry: require() gives a ready API, synchronously.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const atomservices = require('atomservices');

describe('require("atomservices")', () => {
  it('exports the API and builds events synchronously', async () => {
    const { EventBuilder, createService, InstantEventBus, MemoryEventStore, AtomServicesError } = atomservices;
    const build = EventBuilder({ EventName: 'UserCreated', AggregateType: 'User' });
    const event = build({ _version: 1, _createdBy: 'admin', payloads: { email: 'a@example.com' } });
    const handled = [];
    const service = createService({
      EventStore: new MemoryEventStore(),
      EventBus: new InstantEventBus(),
      EventHandlers: [{ EventName: 'UserCreated', handle: (e) => { handled.push(e._id); } }],
    });
    await new Promise((resolve, reject) => service.dispatch(event, (err) => (err ? reject(err) : resolve())));
    assert.deepEqual(handled, [event._id]);
    await assert.rejects(service.dispatch(event, undefined).then(() => service.dispatch({})), (e) => e instanceof AtomServicesError);
    await service.close();
  });

  it('is the same module instance as import()', async () => {
    const esm = await import('atomservices');
    assert.equal(esm.AtomServicesError, atomservices.AtomServicesError);
    assert.equal(esm.createService, atomservices.createService);
  });
});
