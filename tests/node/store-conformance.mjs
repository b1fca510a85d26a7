// One conformance suite for every event store: call it with a name, a factory that
// returns a new, empty store, and the test functions to use ({ describe, it, beforeEach,
// afterEach, assert }: node:test and node:assert in Node, a small runner in Chromium).
// Every store atomservices ships runs it, and so does a hand-written JS store, to show the
// IEventStore contract is enough.
import { accountEvents, buildDeposited } from './helpers.mjs';

export function storeConformance(name, createStore, { describe, it, beforeEach, afterEach, assert }) {
  describe(`${name} conforms to IEventStore`, () => {
    let store;
    beforeEach(async () => { store = await createStore(); });
    afterEach(async () => { await store.close(); });

    it('appends and reads a stream back in version order, as stored', async () => {
      const events = accountEvents(5);
      const result = await store.append(events);
      assert.equal(result.appended, 5);
      assert.equal(result.lastPosition, 5);
      const read = await store.readStream('Account', events[0].AggregateID);
      assert.deepEqual(read, events);
      assert.equal(await store.getVersion('Account', events[0].AggregateID), 5);
    });

    it('reports version 0 and an empty stream for an unknown aggregate', async () => {
      assert.equal(await store.getVersion('Account', 'nobody'), 0);
      assert.deepEqual(await store.readStream('Account', 'nobody'), []);
    });

    it('refuses a version that is not current + 1, storing nothing', async () => {
      const [first, second, third] = accountEvents(3);
      await store.append([first]);
      await assert.rejects(store.append([third]), (e) => e.code === 'CONCURRENCY_CONFLICT' && e.expectedVersion === 2 && e.actualVersion === 1);
      await assert.rejects(store.append([{ ...second, _id: crypto.randomUUID(), _version: 1 }]), { code: 'CONCURRENCY_CONFLICT' });
      assert.equal(await store.getVersion('Account', first.AggregateID), 1);
      assert.equal((await store.readAll()).length, 1);
    });

    it('treats a retried event as a no-op and a reused _id with new content as DUPLICATE_EVENT_ID', async () => {
      const [first, second] = accountEvents(2);
      await store.append([first]);
      const retry = await store.append([first]);
      assert.equal(retry.appended, 0);
      await assert.rejects(store.append([{ ...second, _id: first._id }]), { code: 'DUPLICATE_EVENT_ID' });
      assert.equal((await store.readAll()).length, 1);
      assert.deepEqual(await store.getEvent(first._id), first);
    });

    it('stores a batch all-or-nothing, across aggregates', async () => {
      const a = accountEvents(2);
      const b = accountEvents(2);
      await store.append([b[0]]);
      await assert.rejects(store.append([a[0], a[1], b[0], { ...b[1], _version: 3 }]), { code: 'CONCURRENCY_CONFLICT' });
      assert.equal(await store.getVersion('Account', a[0].AggregateID), 0);
      assert.equal((await store.readAll()).length, 1);
      await store.append([a[0], a[1], b[1]]);
      assert.equal((await store.readAll()).length, 4);
    });

    it('reads streams with fromVersion, toVersion, limit and backward', async () => {
      const events = accountEvents(6);
      await store.append(events);
      const id = events[0].AggregateID;
      const versions = async (options) => (await store.readStream('Account', id, options)).map((e) => e._version);
      assert.deepEqual(await versions({ fromVersion: 2, toVersion: 4 }), [2, 3, 4]);
      assert.deepEqual(await versions({ limit: 2 }), [1, 2]);
      assert.deepEqual(await versions({ direction: 'backward', limit: 3 }), [6, 5, 4]);
      assert.deepEqual(await versions({ direction: 'backward', toVersion: 2 }), [2, 1]);
      assert.deepEqual(await versions({ fromVersion: 7 }), []);
    });

    it('reads the global log in append order with positions, from a position, with a limit', async () => {
      const a = accountEvents(2);
      const b = accountEvents(2);
      await store.append([a[0]]);
      await store.append([b[0], b[1]]);
      await store.append([a[1]]);
      const all = await store.readAll();
      assert.deepEqual(all.map((x) => x.position), [1, 2, 3, 4]);
      assert.deepEqual(all.map((x) => x.event._id), [a[0], b[0], b[1], a[1]].map((e) => e._id));
      const page = await store.readAll({ fromPosition: 2, limit: 2 });
      assert.deepEqual(page.map((x) => x.position), [2, 3]);
    });

    it('finds events by _id and answers undefined for an unknown one', async () => {
      const [event] = accountEvents(1);
      await store.append([event]);
      assert.deepEqual(await store.getEvent(event._id), event);
      assert.equal(await store.getEvent(crypto.randomUUID()), undefined);
    });

    it('keeps payloads exactly: unicode, nesting, numbers, metadata', async () => {
      const [opened] = accountEvents(1);
      const payloads = { text: 'héllo ✓ 😀 "quoted" \\ \n', nested: { list: [1, -2.5, 1e-7, null, true, { deep: [[]] }] }, big: 2 ** 53 - 1 };
      const event = { ...opened, payloads, metadata: { traceId: 'abc', n: 1 } };
      await store.append([event]);
      assert.deepEqual(await store.getEvent(event._id), event);
    });

    it('gives each read its own copies', async () => {
      const [event] = accountEvents(1);
      await store.append([event]);
      const first = await store.readStream('Account', event.AggregateID);
      first[0].payloads.owner = 'mallory';
      const second = await store.readStream('Account', event.AggregateID);
      assert.equal(second[0].payloads.owner, 'ada');
    });

    it('refuses every call after close with STORE_CLOSED', async () => {
      const [event] = accountEvents(1);
      await store.close();
      await assert.rejects(store.append([event]), { code: 'STORE_CLOSED' });
      await assert.rejects(store.readAll(), { code: 'STORE_CLOSED' });
      await assert.rejects(store.getVersion('Account', 'x'), { code: 'STORE_CLOSED' });
    });

    it('keeps versions dense under concurrent appends to one aggregate', async () => {
      const [opened] = accountEvents(1);
      await store.append([opened]);
      const id = opened.AggregateID;
      // 20 writers race for version 2; exactly one wins, the others get a conflict.
      const racers = Array.from({ length: 20 }, (_, i) =>
        store.append([buildDeposited({ _version: 2, _createdBy: `writer-${i}`, AggregateID: id, payloads: { amount: i } })]));
      const outcomes = await Promise.allSettled(racers);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      assert.ok(outcomes.filter((o) => o.status === 'rejected').every((o) => o.reason.code === 'CONCURRENCY_CONFLICT'));
      assert.deepEqual((await store.readStream('Account', id)).map((e) => e._version), [1, 2]);
    });

    it('keeps snapshots by key and aggregate, and finds the newest at or below a version', async () => {
      const [event] = accountEvents(1);
      await store.append([event]);
      const id = event.AggregateID;
      assert.equal(await store.getSnapshot('reducer-1', 'Account', id), undefined);
      await store.putSnapshot('reducer-1', 'Account', id, 10, { total: 10, list: [1, 'two', null] });
      await store.putSnapshot('reducer-1', 'Account', id, 20, { total: 20 });
      await store.putSnapshot('reducer-2', 'Account', id, 15, { other: true });
      assert.deepEqual(await store.getSnapshot('reducer-1', 'Account', id), { version: 20, state: { total: 20 } });
      assert.deepEqual(await store.getSnapshot('reducer-1', 'Account', id, 19), { version: 10, state: { total: 10, list: [1, 'two', null] } });
      assert.equal(await store.getSnapshot('reducer-1', 'Account', id, 9), undefined);
      assert.deepEqual(await store.getSnapshot('reducer-2', 'Account', id, 100), { version: 15, state: { other: true } });
      assert.equal(await store.getSnapshot('reducer-1', 'Account', 'another'), undefined);
    });

    it('keeps checkpoints by name and knows its last position', async () => {
      assert.equal(await store.getLastPosition(), 0);
      assert.equal(await store.getCheckpoint('mailer'), undefined);
      await store.append(accountEvents(3));
      assert.equal(await store.getLastPosition(), 3);
      await store.putCheckpoint('mailer', 2);
      await store.putCheckpoint('mailer', 3);
      await store.putCheckpoint('audit', 1);
      assert.equal(await store.getCheckpoint('mailer'), 3);
      assert.equal(await store.getCheckpoint('audit'), 1);
    });

    it('refuses checkpoint names that no store keeps, changing nothing', async () => {
      for (const name of ['', 'x'.repeat(257), 'tab\there']) {
        await assert.rejects(store.putCheckpoint(name, 1), { code: 'INVALID_ARGUMENT' });
      }
      await store.putCheckpoint('x'.repeat(256), 1);
      assert.equal(await store.getCheckpoint('x'.repeat(256)), 1);
    });
  });
}
