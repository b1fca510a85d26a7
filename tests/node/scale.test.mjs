// A store of 1M events (~450 bytes each): a fresh process opens it in bounded memory and
// reads what was written, from every part of it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { EventBuilder, FileEventStore } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const TOTAL = 1_000_000;
const BATCH = 1000;
const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });

it(`opens a store of ${TOTAL} events in bounded memory and reads all of it`, async () => {
  const directory = scratchDirectory('scale-');
  const store = new FileEventStore({ directory });
  const reading = randomBytes(200).toString('base64');
  const samples = [];  // an event of every 50th batch, to find again
  for (let b = 0; b < TOTAL / BATCH; b++) {
    // Sensor "every" gets one event per batch, so its 1,000 versions are spread over the whole log.
    const batch = Array.from({ length: BATCH - 1 }, (_, i) => build({ _version: 1, _createdBy: 'test', AggregateID: `s${b}-${i}`, payloads: { reading } }));
    batch.push(build({ _version: b + 1, _createdBy: 'test', AggregateID: 'every', payloads: { n: b } }));
    await store.append(batch);
    if (b % 50 === 0) samples.push({ ...batch[b % BATCH], position: b * BATCH + (b % BATCH) + 1 });
  }
  const written = await store.stats();
  await store.close();
  assert.equal(written.events, TOTAL);
  assert.ok(written.indexFiles >= 3, `${written.indexFiles} index files`);

  const probe = `
    import { FileEventStore } from 'atomservices';
    const before = process.memoryUsage().rss;
    const store = new FileEventStore({ directory: ${JSON.stringify(directory)} });
    const last = await store.getLastPosition();
    const opened = { last, rss: process.memoryUsage().rss - before, stats: await store.stats() };
    const samples = ${JSON.stringify(samples.map(({ _id, position }) => ({ _id, position })))};
    const found = [];
    for (const { _id, position } of samples) {
      const [byPosition] = await store.readAll({ fromPosition: position, limit: 1 });
      found.push({ byId: (await store.getEvent(_id))?._id, byPosition: byPosition.event._id });
    }
    const every = await store.readStream('Sensor', 'every');
    const tail = await store.readAll({ fromPosition: last - 2 });
    console.log(JSON.stringify({ opened, found, every: every.map((e) => e.payloads.n), tail: tail.map((e) => e.position),
      after: (await store.stats()).memoryBytes }));
    await store.close();`;
  const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }));
  assert.equal(result.opened.last, TOTAL);
  assert.ok(result.opened.stats.memoryBytes <= 64 << 20, `the core holds ${result.opened.stats.memoryBytes} bytes after open`);
  assert.ok(result.opened.rss <= 128 << 20, `opening took ${result.opened.rss} bytes of RSS`);
  assert.deepEqual(result.found, samples.map(({ _id }) => ({ byId: _id, byPosition: _id })));
  assert.deepEqual(result.every, Array.from({ length: TOTAL / BATCH }, (_, b) => b));
  assert.deepEqual(result.tail, [TOTAL - 2, TOTAL - 1, TOTAL]);
  assert.ok(result.after <= 96 << 20, `the core holds ${result.after} bytes after reading`);
});
