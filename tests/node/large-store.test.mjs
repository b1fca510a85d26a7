// A store of 100k events (random ~250-byte payloads): written, reopened cold and read back,
// with the cost of one group commit at 1k, 10k and 100k stored events.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { FileEventStore, EventBuilder } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const TOTAL = 100_000;
const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });
const payload = () => ({ reading: randomBytes(180).toString('base64') });
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function commitCost(store, aggregate) {
  const samples = [];
  let version = await store.getVersion('Sensor', aggregate);
  for (let i = 0; i < 15; i++) {
    const event = build({ _version: ++version, _createdBy: 'test', AggregateID: aggregate, payloads: payload() });
    const started = performance.now();
    await store.append([event]);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

it(`writes, reopens and reads ${TOTAL} events`, async (t) => {
  const directory = scratchDirectory('large-');
  let store = new FileEventStore({ directory });
  const costs = {};
  let written = 0;
  for (const mark of [1_000, 10_000, TOTAL]) {
    while (written < mark - 15) {
      const size = Math.min(1000, mark - 15 - written);
      const batch = Array.from({ length: size }, (_, i) => build({ _version: 1, _createdBy: 'test', AggregateID: `s${written + i}`, payloads: payload() }));
      await store.append(batch);
      written += size;
    }
    costs[mark] = await commitCost(store, `probe-${mark}`);
    written += 15;
  }
  const stats = await store.stats();
  assert.equal(stats.events, TOTAL);
  await store.close();

  // Cold open in a fresh process, so its memory is the store's alone.
  const probe = `
    import { FileEventStore } from 'atomservices';
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    const store = new FileEventStore({ directory: ${JSON.stringify(directory)} });
    const version = await store.getVersion('Sensor', 's99');
    console.log(JSON.stringify({ version, ms: performance.now() - started, rss: process.memoryUsage().rss - rss }));
    await store.close();`;
  const cold = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }));
  assert.equal(cold.version, 1);
  store = new FileEventStore({ directory });
  const all = await store.readAll({ fromPosition: TOTAL - 999 });
  assert.equal(all.length, 1000);
  assert.equal(all.at(-1).position, TOTAL);
  assert.equal((await store.readStream('Sensor', 'probe-100000')).length, 15);
  await store.close();

  const mib = (bytes) => (bytes / 1048576).toFixed(1);
  t.diagnostic(`group commit (one event): ${Object.entries(costs).map(([n, ms]) => `${ms.toFixed(2)} ms at ${n}`).join(', ')}`);
  t.diagnostic(`files ${stats.files}, ${mib(stats.bytes)} MiB on disk; cold open ${cold.ms.toFixed(0)} ms, +${mib(cold.rss)} MiB RSS`);
});
