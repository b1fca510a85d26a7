import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventBuilder } from 'atomservices';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('EventBuilder', () => {
  const build = EventBuilder({ EventName: 'UserCreated', AggregateType: 'User' });

  it('stamps a UUID v4 _id, an ISO-8601 UTC _createdAt and a new AggregateID', () => {
    const before = Date.now();
    const event = build({ _version: 1, _createdBy: 'admin', payloads: { email: 'a@example.com' } });
    const after = Date.now();
    assert.match(event._id, UUID_V4);
    assert.match(event.AggregateID, UUID_V4);
    assert.notEqual(event._id, event.AggregateID);
    assert.match(event._createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const at = Date.parse(event._createdAt);
    assert.ok(at >= before - 1 && at <= after + 1, `${event._createdAt} is now`);
    assert.deepEqual(Object.keys(event), ['_id', '_createdAt', '_version', '_createdBy', 'EventName', 'AggregateType', 'AggregateID', 'payloads']);
    assert.equal(event.EventName, 'UserCreated');
    assert.equal(event.AggregateType, 'User');
  });

  it('keeps a given AggregateID and metadata', () => {
    const event = build({ _version: 2, _createdBy: 'admin', AggregateID: 'user-7', payloads: {}, metadata: { ip: '127.0.0.1' } });
    assert.equal(event.AggregateID, 'user-7');
    assert.deepEqual(event.metadata, { ip: '127.0.0.1' });
  });

  it('never repeats an id', () => {
    const ids = new Set();
    for (let i = 0; i < 50_000; i++) ids.add(build({ _version: 1, _createdBy: 'x', payloads: null })._id);
    assert.equal(ids.size, 50_000);
  });
});
