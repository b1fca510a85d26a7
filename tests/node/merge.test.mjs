// Closed segments of a FileEventStore merge eight at a time: a store past 128 MiB keeps a
// handful of files, and everything in them reads back after a reopen.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EventBuilder, FileEventStore } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const SEGMENT = 16 << 20;
const build = EventBuilder({ EventName: 'Recorded', AggregateType: 'Sensor' });

it('merges closed segments eight at a time into one file', async () => {
  const directory = scratchDirectory('merge-');
  const store = new FileEventStore({ directory });
  const reading = randomBytes(300).toString('base64');  // ~530 bytes stored per event
  let events = 0;
  while ((await store.stats()).bytes < 10 * SEGMENT) {
    const batch = Array.from({ length: 1000 }, (_, i) => build({ _version: 1, _createdBy: 'test', AggregateID: `s${events + i}`, payloads: { reading } }));
    await store.append(batch);
    events += batch.length;
  }
  const stats = await store.stats();
  await store.close();
  const sizes = readdirSync(directory).filter((name) => name.startsWith('segment-') && name.endsWith('.log')).map((name) => statSync(join(directory, name)).size);
  assert.equal(stats.files, sizes.length);
  assert.ok(sizes.length <= 4, `${sizes.length} segment files for ${stats.bytes} bytes`);
  assert.ok(Math.max(...sizes) > 7 * SEGMENT, `no merged segment among ${sizes}`);
  const reopened = new FileEventStore({ directory });
  assert.equal((await reopened.stats()).events, events);
  assert.equal(await reopened.getVersion('Sensor', 's0'), 1);
  assert.equal(await reopened.getVersion('Sensor', `s${events - 1}`), 1);
  await reopened.close();
});
