// Edge cases of the service and the file store that a careful review found, each pinned.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createService, FileEventStore, MemoryEventStore } from 'atomservices';
import { accountEvents, memoryService, settle } from './helpers.mjs';
import { scratchDirectory } from './helpers-files.mjs';
import { JsEventStore } from './js-event-store.mjs';

describe('handlers of a retried batch', () => {
  it('run for a new event whose _id is in upper case', async () => {
    const handled = [];
    const service = memoryService({ EventHandlers: [{ EventName: '*', handle: (e) => { handled.push(e._id); } }] });
    const [stored, fresh] = accountEvents(2);
    await service.dispatch([stored]);
    await settle();
    handled.length = 0;
    const shouted = { ...fresh, _id: fresh._id.toUpperCase() };
    await new Promise((resolve) => service.dispatch([stored, shouted], resolve));
    assert.deepEqual(handled, [shouted._id]);
    await service.close();
  });
});

describe('projections', () => {
  it('refuse a definition with a key they do not know', () => {
    const service = memoryService();
    assert.throws(() => service.project({ reducer: (n) => n + 1, initialState: 0, EventNames: 'AccountOpened' }),
      { code: 'INVALID_ARGUMENT', message: /EventNames/ });
  });

  it('fold with one subscription after overlapping rebuild() calls, and stop() stops it', async () => {
    const service = memoryService();
    const id = crypto.randomUUID();
    await service.dispatch(accountEvents(2, id));
    let folds = 0;
    const projection = service.project({ reducer: (n) => { folds++; return n + 1; }, initialState: 0 });
    await projection.ready();
    await Promise.all([projection.rebuild(), projection.rebuild()]);
    assert.equal(projection.get(id), 2);
    await projection.stop();
    folds = 0;
    await service.dispatch(accountEvents(1));
    await settle();
    assert.equal(folds, 0, 'no subscription folds after stop()');
    await service.close();
  });

  it('refuse rebuild() once the service is closing', async () => {
    const service = memoryService();
    const projection = service.project({ reducer: (n) => n + 1, initialState: 0 });
    await projection.ready();
    await service.close();
    await assert.rejects(projection.rebuild(), { code: 'STORE_CLOSED' });
  });
});

describe('named subscriptions', () => {
  it('are refused at once over a store without checkpoints', () => {
    const store = new JsEventStore();
    store.getCheckpoint = undefined;
    const service = createService({ EventStore: store });
    assert.throws(() => service.subscribe({ name: 'mailer' }, () => {}), { code: 'INVALID_ARGUMENT' });
  });

  it('from "end" resume where the end was when they first started, however soon they restart', async () => {
    const EventStore = new MemoryEventStore();
    let service = createService({ EventStore });
    await service.dispatch(accountEvents(2));
    const stop = service.subscribe({ name: 'late', from: 'end' }, () => {});
    await settle();
    stop();  // nothing handled yet
    const missed = accountEvents(1);
    await service.dispatch(missed);  // while it was away
    const seen = [];
    service.subscribe({ name: 'late', from: 'end' }, (event) => { seen.push(event._id); });
    await settle();
    assert.deepEqual(seen, [missed[0]._id]);
    await service.close();
  });

  it('report the handler\'s error when the checkpoint fails too', async () => {
    const store = new JsEventStore();
    const service = createService({ EventStore: store });
    await service.dispatch(accountEvents(1));
    store.putCheckpoint = async () => { throw new Error('checkpoint table is gone'); };
    const errors = [];
    service.onError((error) => errors.push(error));
    service.subscribe({ name: 'failing' }, () => { throw new Error('handler bug'); });
    await settle();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /handler bug/);
    await service.close();
  });
});

describe('a FileEventStore whose open failed', () => {
  it('lets go of the directory: the next open, once the cause is gone, succeeds; the error has a code', async () => {
    const directory = scratchDirectory();
    mkdirSync(join(directory, 'LOCK'));  // the owner file cannot be written
    const store = new FileEventStore({ directory });
    const service = createService({ EventStore: store });
    const error = await service.dispatch(accountEvents(1)).catch((e) => e);
    assert.equal(error.code, 'STORE_FAILURE');
    rmSync(join(directory, 'LOCK'), { recursive: true });
    await service.dispatch(accountEvents(1));
    assert.equal((await store.readAll()).length, 1);
    await service.close();
    const again = new FileEventStore({ directory });
    assert.equal((await again.readAll()).length, 1, 'and another store opens it after close');
    await again.close();
  });
});
