// Two tabs and a worker that each want to hold one IndexedDBEventStore themselves (wait: true)
// write it for a sustained period, taking turns under its lock: no event lost or duplicated,
// dense versions, everyone sees everything. (Sharing one store at once: shared.test.mjs.)
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const MS = Number(process.env.TABS_MS ?? 4000);

it(`keeps every event from two tabs and a worker taking turns (wait: true) for ${MS / 1000} s`, { timeout: 120000 }, async (t) => {
  const context = await browser.newContext();
  const [tabA, tabB] = [await openPage(context, server.url), await openPage(context, server.url)];
  const inTab = (page, who) => page.evaluate(async ({ who, ms }) => {
    const { writeFor } = await import('/tests/browser/writer.js');
    return writeFor(window.atomservices, 'shared-tabs', who, ms);
  }, { who, ms: MS });
  const inWorker = tabA.evaluate(async (ms) => {
    const worker = new Worker('/tests/browser/worker.js', { type: 'module' });
    const result = await new Promise((resolve) => {
      worker.onmessage = ({ data }) => {
        if (data === 'ready') worker.postMessage({ name: 'shared-tabs', ms, wait: true });
        else resolve(data);
      };
      worker.onerror = (event) => resolve({ error: `the worker failed: ${event.message}` });
    });
    worker.terminate();
    return result;
  }, MS);
  const results = await Promise.all([inTab(tabA, 'tab-a'), inTab(tabB, 'tab-b'), inWorker]);
  for (const result of results) assert.equal(result.error, undefined, result.error);
  const acknowledged = results.flatMap((r) => r.acknowledged);
  const readBack = (page) => page.evaluate(async () => {
    const store = new window.atomservices.IndexedDBEventStore({ name: 'shared-tabs' });
    const events = await store.readStream('Shared', 'log');
    await store.close();
    return events.map((e) => [e._id, e._version, e._createdBy]);
  });
  const [seenByA, seenByB] = [await readBack(tabA), await readBack(tabB)];
  assert.deepEqual(seenByA, seenByB, 'both tabs see the same log');
  const ids = seenByA.map(([id]) => id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.deepEqual(seenByA.map(([, v]) => v), ids.map((_, i) => i + 1), 'dense versions');
  assert.deepEqual([...acknowledged].sort(), [...ids].sort(), 'every acknowledged event, and nothing else');
  const writers = new Set(seenByA.map(([, , who]) => who));
  assert.deepEqual([...writers].sort(), ['tab-a', 'tab-b', 'worker']);
  t.diagnostic(`events ${ids.length}, turns ${results.map((r) => r.turns).join('/')} (tab a/tab b/worker)`);
  await context.close();
});
