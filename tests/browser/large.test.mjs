// A 100k-event IndexedDBEventStore in Chromium: written in batches, the cost of one group
// commit at 1k, 10k and 100k stored events, then a cold open after a reload.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launchPersistent, openPage } from './harness.mjs';

let server;
const profile = mkdtempSync(join(tmpdir(), 'atomservices-large-'));
before(async () => { server = await serve(); });
after(async () => { await server.close(); rmSync(profile, { recursive: true, force: true }); });

it('writes 100k events, reloads, and opens them cold', async (t) => {
  const context = await launchPersistent(profile);
  let page = await openPage(context, server.url);
  const written = await page.evaluate(async () => {
    const { IndexedDBEventStore, EventBuilder } = window.atomservices;
    const store = new IndexedDBEventStore({ name: 'large' });
    const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });
    const random = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(180))));
    const costs = {};
    let count = 0;
    for (const mark of [1000, 10000, 100000]) {
      while (count < mark - 15) {
        const size = Math.min(1000, mark - 15 - count);
        const batch = Array.from({ length: size }, (_, i) => build({ _version: 1, _createdBy: 't', AggregateID: `s${count + i}`, payloads: { reading: random() } }));
        await store.append(batch);
        count += size;
      }
      const samples = [];
      for (let v = 1; v <= 15; v++) {
        const started = performance.now();
        await store.append([build({ _version: v, _createdBy: 't', AggregateID: `probe-${mark}`, payloads: { reading: random() } })]);
        samples.push(performance.now() - started);
      }
      count += 15;
      costs[mark] = samples.sort((a, b) => a - b)[7];
    }
    const stats = await store.stats();
    await store.close();
    return { costs, stats };
  });
  assert.equal(written.stats.events, 100000);
  await page.close();
  page = await openPage(context, server.url);
  const cold = await page.evaluate(async () => {
    const started = performance.now();
    const store = new window.atomservices.IndexedDBEventStore({ name: 'large' });
    const version = await store.getVersion('Sensor', 's99');
    const openMs = performance.now() - started;
    const tail = await store.readAll({ fromPosition: 99001 });
    await store.close();
    return { version, openMs, tail: tail.length, last: tail.at(-1).position };
  });
  await context.close();
  assert.deepEqual([cold.version, cold.tail, cold.last], [1, 1000, 100000]);
  const { costs, stats } = written;
  t.diagnostic(`group commit (one event): ${Object.entries(costs).map(([n, ms]) => `${ms.toFixed(1)} ms at ${n}`).join(', ')}`);
  t.diagnostic(`files ${stats.files}, ${(stats.bytes / 1048576).toFixed(1)} MiB; cold open after reload ${cold.openMs.toFixed(0)} ms`);
});
