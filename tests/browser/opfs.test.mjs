// OPFSEventStore in headless Chromium: a store of 1M events whose open and memory stay
// bounded, acknowledged events surviving a killed browser, and the errors of a store that
// cannot be held or cannot run here. (The conformance suite and the tests of several tabs
// run it too: conformance.js, shared.test.mjs.)
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, launchPersistent, openPage } from './harness.mjs';
import { killAndRecover } from './kill.mjs';

let server;
const profiles = mkdtempSync(join(tmpdir(), 'atomservices-opfs-'));
const EVENTS = Number(process.env.OPFS_EVENTS ?? 1_000_000);
const KILL_ROUNDS = Number(process.env.KILL_ROUNDS ?? 5);
before(async () => { server = await serve(); });
after(async () => { await server.close(); rmSync(profiles, { recursive: true, force: true }); });

const MiB = 2 ** 20;

it(`keeps ${EVENTS.toLocaleString('en')} events on OPFS, and opens them again in bounded memory`, { timeout: 600000 }, async (t) => {
  const context = await launchPersistent(join(profiles, 'large'));
  let page = await openPage(context, server.url);
  // 1,000 sensors, each batch one reading of every sensor: sensor s gets versions 1, 2, 3, ...
  const written = await page.evaluate(async (events) => {
    const { OPFSEventStore, EventBuilder } = window.atomservices;
    const store = new OPFSEventStore({ name: 'large' });
    const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });
    const started = performance.now();
    const pending = [];
    for (let batch = 0; batch < events / 1000; batch++) {
      const readings = Array.from({ length: 1000 }, (_, s) => build({ _version: batch + 1, _createdBy: 't', AggregateID: `s${s}`, payloads: { reading: batch * 1000 + s, note: 'x'.repeat(64) } }));
      pending.push(store.append(readings));
      if (pending.length === 8) await pending.shift();  // a few batches in flight, as concurrent dispatchers would have
    }
    await Promise.all(pending);
    const ms = performance.now() - started;
    const stats = await store.stats();
    await store.close();
    return { ms, stats };
  }, EVENTS);
  assert.equal(written.stats.events, EVENTS);
  assert.ok(written.stats.bytes > EVENTS * 200, `the log is ${written.stats.bytes} bytes`);
  await page.close();

  page = await openPage(context, server.url);
  const reopened = await page.evaluate(async (events) => {
    const store = new window.atomservices.OPFSEventStore({ name: 'large' });
    const started = performance.now();
    const last = await store.getLastPosition();
    const openMs = performance.now() - started;
    const opened = await store.stats();
    const sensor = await store.readStream('Sensor', 's7');
    const tail = await store.readAll({ fromPosition: events - 999 });
    const one = await store.getEvent(sensor[42]._id);
    const after = await store.stats();
    await store.close();
    return {
      last, openMs, opened, after, tail: tail.map((p) => p.position),
      versions: sensor.map((e) => e._version), readings: sensor.slice(0, 3).map((e) => e.payloads.reading), one: one?.payloads.reading,
    };
  }, EVENTS);
  await context.close();

  assert.equal(reopened.last, EVENTS);
  assert.deepEqual(reopened.versions, Array.from({ length: EVENTS / 1000 }, (_, i) => i + 1));
  assert.deepEqual(reopened.readings, [7, 1007, 2007]);
  assert.equal(reopened.one, 42 * 1000 + 7);
  assert.deepEqual(reopened.tail, Array.from({ length: 1000 }, (_, i) => EVENTS - 999 + i));
  // The log is far larger than what the worker's core holds: its events stay on OPFS.
  const { opened, after } = reopened;
  assert.ok(opened.memoryBytes <= 64 * MiB, `the worker's core uses ${opened.memoryBytes} bytes after the open`);
  assert.ok(after.memoryBytes <= 64 * MiB, `the worker's core uses ${after.memoryBytes} bytes after reads`);
  assert.ok(after.memoryBytes * 3 < written.stats.bytes, 'memory is a fraction of the log');
  assert.ok(opened.indexFiles > 0 && opened.indexMemory < 8 * MiB, `index summaries hold ${opened.indexMemory} bytes`);
  assert.ok(after.cacheBytes <= 16 * MiB, 'the read cache keeps to its size');
  t.diagnostic(`wrote ${EVENTS} events (${(written.stats.bytes / MiB).toFixed(0)} MiB in ${written.stats.files} files) in ${(written.ms / 1000).toFixed(1)} s; `
    + `reopened in ${reopened.openMs.toFixed(0)} ms; core memory ${(opened.memoryBytes / MiB).toFixed(0)} MiB after the open, ${(after.memoryBytes / MiB).toFixed(0)} MiB after reads`);
});

it('seals its newest segment on close, so the next open scans no frames', { timeout: 120000 }, async () => {
  const context = await launchPersistent(join(profiles, 'sealed'));
  const page = await openPage(context, server.url);
  const result = await page.evaluate(async () => {
    const { OPFSEventStore, EventBuilder } = window.atomservices;
    const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
    const events = (from, count) => Array.from({ length: count }, (_, i) => build({ _version: from + i, _createdBy: 't', AggregateID: 'n', payloads: { text: 'x'.repeat(1200) } }));
    let store = new OPFSEventStore({ name: 'sealed' });
    await store.append(events(1, 1000));  // ~1.3 MB: past what close() seals
    await store.close();
    store = new OPFSEventStore({ name: 'sealed' });
    const sealed = await store.stats();
    await store.append(events(1001, 1));
    const version = await store.getVersion('Note', 'n');
    const stream = await store.readStream('Note', 'n');
    await store.close();
    return { sealed, version, length: stream.length };
  });
  await context.close();
  assert.deepEqual([result.sealed.files, result.sealed.indexFiles, result.sealed.events], [1, 1, 1000]);
  assert.equal(result.version, 1001);
  assert.equal(result.length, 1001);
});

it(`keeps every acknowledged event when the browser is killed right after a dispatch resolved (${KILL_ROUNDS} kills)`, { timeout: 300000 }, (t) =>
  killAndRecover(t, { server, profile: join(profiles, 'kill'), kind: 'OPFSEventStore', rounds: KILL_ROUNDS }));

it('refuses a second holder with wait: false, waits with wait: true, and says when it cannot run', { timeout: 60000 }, async () => {
  const browser = await launch();
  const context = await browser.newContext();
  const [first, second] = [await openPage(context, server.url), await openPage(context, server.url)];
  const name = `locks-${Date.now()}`;
  await first.evaluate(async (name) => {
    window.held = new window.atomservices.OPFSEventStore({ name, wait: false });
    await window.held.getLastPosition();
  }, name);
  const outcome = await second.evaluate(async (name) => {
    const { OPFSEventStore, AtomServicesError } = window.atomservices;
    const refused = await new OPFSEventStore({ name, wait: false }).getLastPosition().catch((error) => error);
    const shared = new OPFSEventStore({ name });
    await shared.append([window.atomservices.EventBuilder({ EventName: 'E', AggregateType: 'T' })({ _version: 1, _createdBy: 't', AggregateID: 'a', payloads: {} })]);
    const waiting = new OPFSEventStore({ name, wait: true });
    let waited = false;
    const got = waiting.getLastPosition().then((position) => { waited = true; return position; });
    window.release = () => got;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const early = waited;
    await shared.close();
    const options = [{ name: 42 }, { wait: 'yes' }, { cacheBytes: -1 }].map((o) => {
      try { new OPFSEventStore(o); return 'accepted'; } catch (error) { return error instanceof AtomServicesError ? error.code : String(error); }
    });
    const Worker = window.Worker;
    window.Worker = undefined;
    const unsupported = await new OPFSEventStore({ name: 'nowhere' }).getLastPosition().catch((error) => error.code);
    window.Worker = Worker;
    return { refused: refused.code, message: refused.message, early, options, unsupported };
  }, name);
  assert.equal(outcome.refused, 'STORE_LOCKED');
  assert.match(outcome.message, /open in another tab or worker/);
  assert.equal(outcome.early, false, 'wait: true waits while another tab holds the store');
  assert.deepEqual(outcome.options, ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  assert.equal(outcome.unsupported, 'NOT_SUPPORTED');
  await first.evaluate(() => window.held.close());
  assert.equal(await second.evaluate(() => window.release()), 1, 'the waiting store holds it once the holder let go, and reads what the other wrote');
  await browser.close();
});

it("sends a tab's calls to its own worker over their port, and another tab's over the store's channel", { timeout: 60000 }, async () => {
  const browser = await launch();
  const context = await browser.newContext();
  const pages = [await openPage(context, server.url), await openPage(context, server.url)];
  const name = `port-${Date.now()}`;
  // Counts the calls each page sends over a BroadcastChannel (its worker's messages are its own).
  const dispatch = (page, AggregateID) => page.evaluate(async ({ name, AggregateID }) => {
    if (window.channelCalls === undefined) {
      window.channelCalls = 0;
      const post = BroadcastChannel.prototype.postMessage;
      BroadcastChannel.prototype.postMessage = function (message) {
        if (message?.type === 'calls') window.channelCalls += message.calls.length;
        return post.call(this, message);
      };
    }
    const { OPFSEventStore, EventBuilder, createService } = window.atomservices;
    window.store ??= new OPFSEventStore({ name });
    const service = createService({ EventStore: window.store });
    const build = EventBuilder({ EventName: 'Happened', AggregateType: 'Thing' });
    const before = window.channelCalls;
    await Promise.all(Array.from({ length: 20 }, (_, i) => service.dispatch(build({ _version: 1, _createdBy: 't', AggregateID: `${AggregateID}-${i}`, payloads: {} }))));
    return { overChannel: window.channelCalls - before, last: await window.store.getLastPosition() };
  }, { name, AggregateID });
  try {
    const holder = await dispatch(pages[0], 'a');  // the first page's worker takes the store
    const other = await dispatch(pages[1], 'b');
    assert.equal(holder.overChannel, 0, "the holding tab's calls went over its worker's port");
    assert.ok(other.overChannel >= 20, `another tab's calls go over the channel (${other.overChannel} sent)`);
    assert.equal(holder.last, 20);
    assert.equal(other.last, 40);
    for (const page of pages) await page.evaluate(() => window.store.close());
  } finally {
    await browser.close();
  }
});
