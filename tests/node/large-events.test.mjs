// A log of large events is read in pieces: each answer of the core stops at maxAnswerBytes,
// and every read still gives every event it asked for, in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createService, EventBuilder, FileEventStore, MemoryEventStore } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const build = EventBuilder({ EventName: 'Uploaded', AggregateType: 'File' });
const EVENTS = 80;  // ~0.9 MB each: ~72 MB, more than two answers' worth

describe('reads of a log of large events', () => {
  for (const [name, store] of [['memory', () => new MemoryEventStore()], ['file', () => new FileEventStore({ directory: scratchDirectory() })]]) {
    it(`${name}: give every event asked for, in order, whatever its size`, async () => {
      const EventStore = store();
      const service = createService({ EventStore });
      for (let v = 1; v <= EVENTS; v += 10) {
        const batch = [];
        for (let i = v; i < v + 10; i++) batch.push(build({ _version: i, _createdBy: 't', AggregateID: 'big', payloads: { n: i, blob: String(i % 10).repeat(900_000) } }));
        await service.dispatch(batch);
      }
      const versions = (events) => events.map((event) => event._version);
      const all = Array.from({ length: EVENTS }, (_, i) => i + 1);
      assert.deepEqual(versions(await service.getEvents('File', 'big')), all);
      assert.deepEqual(versions(await service.getEvents('File', 'big', { direction: 'backward' })), [...all].reverse());
      assert.deepEqual(versions(await service.getEvents('File', 'big', { fromVersion: 5, limit: 60 })), all.slice(4, 64));
      assert.deepEqual(versions(await service.getEvents('File', 'big', { direction: 'backward', fromVersion: 3, toVersion: 70 })), all.slice(2, 70).reverse());
      const global = await EventStore.readAll();
      assert.deepEqual(global.map((entry) => entry.position), all);
      assert.deepEqual((await EventStore.readAll({ fromPosition: 11, limit: 45 })).map((entry) => entry.position), all.slice(10, 55));
      const { state, version } = await service.rehydrate('File', 'big', (sum, event) => sum + event.payloads.n + event.payloads.blob.length, 0);
      assert.equal(version, EVENTS);
      assert.equal(state, all.reduce((sum, n) => sum + n, 0) + EVENTS * 900_000);
      await service.close();
    });
  }
});
