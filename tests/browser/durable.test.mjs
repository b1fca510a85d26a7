// IndexedDBEventStore in headless Chromium: the conformance suite, persistence across
// reloads, a killed browser, two tabs, and a store of 100k events.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, launchPersistent, openPage } from './harness.mjs';
import { killAndRecover } from './kill.mjs';

let server;
const KILL_ROUNDS = Number(process.env.KILL_ROUNDS ?? 10);
const profiles = mkdtempSync(join(tmpdir(), 'atomservices-chromium-'));
before(async () => { server = await serve(); });
after(async () => { await server.close(); rmSync(profiles, { recursive: true, force: true }); });

/** Dispatches `count` events to store `name` in the page; resolves to their ids. */
function dispatchIn(page, name, count, AggregateID = 'a1') {
  return page.evaluate(async ({ name, count, AggregateID }) => {
    const { IndexedDBEventStore, createService, EventBuilder } = window.atomservices;
    const store = new IndexedDBEventStore({ name });
    const service = createService({ EventStore: store });
    const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
    let version = await service.getVersion('Note', AggregateID);
    const ids = [];
    for (let i = 0; i < count; i++) {
      const event = build({ _version: ++version, _createdBy: 'test', AggregateID, payloads: { i } });
      await service.dispatch(event);
      ids.push(event._id);
    }
    await service.close();
    return ids;
  }, { name, count, AggregateID });
}

function readIn(page, name, AggregateID = 'a1') {
  return page.evaluate(async ({ name, AggregateID }) => {
    const store = new window.atomservices.IndexedDBEventStore({ name });
    const events = await store.readStream('Note', AggregateID);
    await store.close();
    return events.map((e) => e._id);
  }, { name, AggregateID });
}

describe('IndexedDBEventStore in Chromium', () => {
  it('passes the store conformance suite', async () => {
    const browser = await launch();
    const page = await browser.newPage();
    await page.goto(`${server.url}/tests/browser/conformance.html`);
    await page.waitForFunction(() => window.results !== undefined, null, { timeout: 60000 });
    const results = await page.evaluate(() => window.results);
    await browser.close();
    assert.ok(results.length >= 70, `ran ${results.length} tests`);
    assert.deepEqual(results.filter((r) => r.error), []);
  });

  it('keeps events across a reload, and is the default store in browsers', async () => {
    const context = await launchPersistent(join(profiles, 'reload'));
    let page = await openPage(context, server.url);
    const ids = await dispatchIn(page, 'reload-test', 5);
    const defaultStored = await page.evaluate(async () => {
      const { createService, EventBuilder } = window.atomservices;
      const service = createService();
      const event = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' })({ _version: 1, _createdBy: 'test', AggregateID: 'default', payloads: {} });
      await service.dispatch(event);
      await service.close();
      return event._id;
    });
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    assert.deepEqual(await readIn(page, 'reload-test'), ids);
    assert.deepEqual(await readIn(page, 'atomservices', 'default'), [defaultStored]);
    assert.deepEqual(page.problems, []);
    await context.close();
  });

  it('saves small flushes as chunks across segment rolls, in either durability, and lets go of its database on close', async () => {
    const context = await launchPersistent(join(profiles, 'chunks'));
    let page = await openPage(context, server.url);
    // 3,000 events of ~600 bytes, each its own flush: several 1 MiB segments, each saved
    // in many chunks and folded into one when it closes.
    const written = await page.evaluate(async () => {
      const { IndexedDBEventStore, createService, EventBuilder } = window.atomservices;
      const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
      const result = {};
      for (const durability of ['strict', 'relaxed']) {
        const store = new IndexedDBEventStore({ name: `chunks-${durability}`, durability });
        const service = createService({ EventStore: store });
        for (let v = 1; v <= 3000; v++) {
          await service.dispatch(build({ _version: v, _createdBy: 'test', AggregateID: 'a1', payloads: { v, pad: 'x'.repeat(400) } }));
        }
        result[durability] = await store.stats();
        await service.close();
      }
      return result;
    });
    for (const stats of Object.values(written)) {
      assert.equal(stats.events, 3000);
      assert.ok(stats.files >= 2, `the segments rolled over, got ${stats.files} file(s)`);
      assert.ok(stats.flushes >= 3000, `one flush per awaited dispatch, got ${stats.flushes}`);
    }
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    const reread = await page.evaluate(async () => {
      const { IndexedDBEventStore } = window.atomservices;
      const out = {};
      for (const durability of ['strict', 'relaxed']) {
        const store = new IndexedDBEventStore({ name: `chunks-${durability}` });
        const events = await store.readStream('Note', 'a1');
        out[durability] = { count: events.length, versionsInOrder: events.every((e, i) => e._version === i + 1 && e.payloads.v === i + 1) };
        await store.close();
        // The closed segment was folded into one record: far fewer records than flushes.
        out[`${durability} few records`] = await new Promise((resolve) => {
          const open = indexedDB.open(`atomservices:chunks-${durability}`);
          open.onsuccess = () => {
            const tx = open.result.transaction('chunks');
            const count = tx.objectStore('chunks').count();
            tx.oncomplete = () => { open.result.close(); resolve(count.result < 2000); };
          };
        });
        // A closed store holds no connection: its database can be deleted (a connection
        // left open would hold the deletion back for good).
        out[`${durability} deleted`] = await new Promise((resolve) => {
          const request = indexedDB.deleteDatabase(`atomservices:chunks-${durability}`);
          request.onsuccess = () => resolve('deleted');
          request.onerror = () => resolve('error');
          setTimeout(() => resolve('still blocked after 10 s'), 10000);
        });
      }
      try {
        new IndexedDBEventStore({ name: 'x', durability: 'sometimes' });
        out.badOption = 'accepted';
      } catch (error) {
        out.badOption = error.code;
      }
      return out;
    });
    assert.deepEqual(reread, {
      strict: { count: 3000, versionsInOrder: true }, 'strict few records': true, 'strict deleted': 'deleted',
      relaxed: { count: 3000, versionsInOrder: true }, 'relaxed few records': true, 'relaxed deleted': 'deleted',
      badOption: 'INVALID_ARGUMENT',
    });
    assert.deepEqual(page.problems, []);
    await context.close();
  });

  it(`keeps every acknowledged event when the browser is killed right after a dispatch resolved (${KILL_ROUNDS} kills)`, (t) =>
    killAndRecover(t, { server, profile: join(profiles, 'kill'), kind: 'IndexedDBEventStore', rounds: KILL_ROUNDS }));

  it('rehydrates natively with snapshots that survive a reload, and follows the log with a subscription', async () => {
    const context = await launchPersistent(join(profiles, 'rehydrate'));
    let page = await openPage(context, server.url);
    const definition = { initialState: { total: 0 }, on: { Noted: [{ op: 'add', path: 'total', from: 'payloads.i' }, { op: 'increment', path: 'count' }] }, snapshotEvery: 10 };
    const first = await page.evaluate(async (definition) => {
      const { IndexedDBEventStore, createService, EventBuilder, NativeReducer } = window.atomservices;
      const store = new IndexedDBEventStore({ name: 'rehydrate' });
      const service = createService({ EventStore: store });
      const seen = [];
      service.subscribe({ EventName: 'Noted' }, (event, position) => { seen.push(position); });
      const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
      await service.dispatch(Array.from({ length: 45 }, (_, i) => build({ _version: i + 1, _createdBy: 't', AggregateID: 'n1', payloads: { i } })));
      const reducer = new NativeReducer(definition);
      const native = await service.rehydrate('Note', 'n1', reducer);
      const js = await service.rehydrate('Note', 'n1', (s, e) => ({ total: s.total + e.payloads.i, count: s.count + 1 }), { total: 0, count: 0 });
      const atTwenty = await service.rehydrate('Note', 'n1', reducer, { toVersion: 20 });
      while (seen.length < 45) await new Promise((r) => setTimeout(r, 10));
      await service.close();
      return { native, js, atTwenty, seen: seen.length };
    }, definition);
    assert.deepEqual(first.native, { version: 45, state: { total: 990, count: 45 } });
    assert.deepEqual(first.js.state, first.native.state);
    assert.deepEqual(first.atTwenty, { version: 20, state: { total: 190, count: 20 } });
    assert.equal(first.seen, 45);
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    const snapshot = await page.evaluate(async (definition) => {
      const { IndexedDBEventStore, NativeReducer } = window.atomservices;
      const store = new IndexedDBEventStore({ name: 'rehydrate' });
      const found = await store.getSnapshot(new NativeReducer(definition).identity, 'Note', 'n1');
      await store.close();
      return found;
    }, definition);
    assert.deepEqual(snapshot, { version: 40, state: { total: 780, count: 40 } });
    await context.close();
  });

  it('keeps working when snapshots are saved while appends are being flushed', async () => {
    const browser = await launch();
    const page = await openPage(await browser.newContext(), server.url);
    const result = await page.evaluate(async () => {
      const { IndexedDBEventStore, createService, EventBuilder, NativeReducer } = window.atomservices;
      const store = new IndexedDBEventStore({ name: 'snapshots-under-load' });
      const service = createService({ EventStore: store });
      const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
      const reducer = new NativeReducer({ initialState: { n: 0 }, on: { Noted: [{ op: 'increment', path: 'n' }] }, snapshotEvery: 1000 });
      let writing = true;
      let snapshots = 0;
      const saver = (async () => {
        while (writing) {
          await store.putSnapshot('k', 'Note', 'n1', ++snapshots, { snapshots });
          await service.rehydrate('Note', 'n1', reducer);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        for (let v = 1; v <= 60000; v += 1000) {
          await service.dispatch(Array.from({ length: 1000 }, (_, i) => build({ _version: v + i, _createdBy: 't', AggregateID: 'n1', payloads: { text: 'x'.repeat(200) } })));
        }
      } catch (error) {
        return { error: `${error.code}: ${error.message}` };
      } finally {
        writing = false;
        await saver.catch(() => {});
      }
      const { state, version } = await service.rehydrate('Note', 'n1', reducer);
      const stats = await store.stats();
      await service.close();
      return { state, version, snapshots, files: stats.files };
    });
    await browser.close();
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(result.state, { n: 60000 });
    assert.equal(result.version, 60000);
    assert.ok(result.snapshots > 3, `saved ${result.snapshots} snapshots meanwhile`);
  });

  it('lets one tab write at a time; the next one reloads the log before writing', async () => {
    const browser = await launch();
    const context = await browser.newContext();
    const tabA = await openPage(context, server.url);
    const tabB = await openPage(context, server.url);
    await tabA.evaluate(async () => {
      const { IndexedDBEventStore, EventBuilder } = window.atomservices;
      window.store = new IndexedDBEventStore({ name: 'tabs' });
      const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
      await window.store.append([build({ _version: 1, _createdBy: 'A', AggregateID: 'shared', payloads: {} })]);
    });
    const refused = await tabB.evaluate(async () => {
      const store = new window.atomservices.IndexedDBEventStore({ name: 'tabs', wait: false });
      return store.readAll().then(() => 'opened', (e) => e.code);
    });
    assert.equal(refused, 'STORE_LOCKED');
    // B waits for the lock; once A closes, B sees A's event and writes the next version.
    const waiting = tabB.evaluate(async () => {
      const { IndexedDBEventStore, EventBuilder } = window.atomservices;
      const store = new IndexedDBEventStore({ name: 'tabs' });
      const version = await store.getVersion('Note', 'shared');
      const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
      await store.append([build({ _version: version + 1, _createdBy: 'B', AggregateID: 'shared', payloads: {} })]);
      await store.close();
      return version;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tabA.evaluate(() => window.store.close());
    assert.equal(await waiting, 1);
    const seenByA = await tabA.evaluate(async () => {
      const store = new window.atomservices.IndexedDBEventStore({ name: 'tabs' });
      const events = await store.readStream('Note', 'shared');
      await store.close();
      return events.map((e) => e._createdBy);
    });
    assert.deepEqual(seenByA, ['A', 'B']);
    await browser.close();
  });
});
