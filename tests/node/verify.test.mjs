// Closed segments open through their index files: a deleted index is rebuilt, damage in a
// closed segment is found when its events are read or by verify(), never returned as data.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBuilder, FileEventStore } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });
const files = (directory, suffix) => readdirSync(directory).filter((name) => name.endsWith(suffix)).sort();

/** A store past one 16 MiB segment: that closed segment, and the rest, which close() sealed. */
async function twoSegments() {
  const directory = scratchDirectory('verify-');
  const store = new FileEventStore({ directory });
  const reading = randomBytes(300).toString('base64');
  const ids = [];
  for (let b = 0; b < 40; b++) {
    const batch = Array.from({ length: 1000 }, (_, i) => build({ _version: 1, _createdBy: 'test', AggregateID: `s${b}-${i}`, payloads: { reading } }));
    await store.append(batch);
    ids.push(batch[0]._id);
  }
  await store.close();
  return { directory, ids };
}

it('verifies every closed segment, and rebuilds a deleted index the same as it was', async () => {
  const { directory, ids } = await twoSegments();
  const [index] = files(directory, '.idx');
  assert.ok(index, 'a closed segment has an index file');
  const original = readFileSync(join(directory, index));
  unlinkSync(join(directory, index));
  const store = new FileEventStore({ directory });
  assert.equal((await store.getEvent(ids[0]))._id, ids[0]);
  assert.deepEqual(readFileSync(join(directory, index)), original);
  const progress = [];
  const report = await store.verify({ onProgress: (p) => progress.push(p) });
  assert.equal(report.segments, 2);
  assert.equal(report.events, 40_000);
  assert.equal(progress.length, 2);
  assert.ok(progress[0].events > 0 && progress[0].events < 40_000);
  assert.deepEqual(progress[1], { segment: 2, segments: 2, events: 40_000 });
  assert.equal(await store.corruption(), undefined);
  await store.close();
});

it('finds damage in a closed segment when its event is read, and in verify()', async () => {
  const { directory, ids } = await twoSegments();
  const [segment] = files(directory, '.log');
  const bytes = readFileSync(join(directory, segment));
  const at = bytes.indexOf(Buffer.from(ids[1]));  // inside the first event of the second batch
  bytes[bytes.indexOf(Buffer.from('"payloads"'), at) + 20] ^= 0x01;
  writeFileSync(join(directory, segment), bytes);

  let store = new FileEventStore({ directory });
  assert.equal(await store.getLastPosition(), 40_000);
  assert.equal(await store.corruption(), undefined, 'the open reads indexes, not the closed segment');
  assert.equal((await store.getEvent(ids[0]))._id, ids[0]);
  await assert.rejects(store.getEvent(ids[1]), { code: 'STORE_CORRUPT' });
  assert.equal((await store.corruption()).file, segment);
  await assert.rejects(store.append([build({ _version: 1, _createdBy: 'test', AggregateID: 'late', payloads: {} })]), { code: 'STORE_CORRUPT' });
  await store.close();

  store = new FileEventStore({ directory });
  await assert.rejects(store.verify(), { code: 'STORE_CORRUPT' });
  assert.equal((await store.corruption()).file, segment);
  await store.close();
});

it('refuses a bad cacheBytes option', () => {
  for (const cacheBytes of [-1, 1.5, '16', 2 ** 31]) {
    assert.throws(() => new FileEventStore({ directory: scratchDirectory(), cacheBytes }), { code: 'INVALID_ARGUMENT' });
  }
});
