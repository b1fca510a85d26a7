// Damage every kind of file the store writes (segments holding events, snapshots and
// checkpoints; merged segments; the lock file) by flipping bits, truncating, duplicating,
// reordering and deleting, then reopen: the store never crashes or hangs, reports
// STORE_CORRUPT with the place when it cannot trust its data, keeps the events before the
// damage readable, and never returns a damaged event as if it were whole.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileEventStore, NativeReducer, AtomServicesError } from 'atomservices';
import { accountEvents } from './helpers.mjs';
import { random } from './reducer-oracle.mjs';
import { scratchDirectory } from './helpers-files.mjs';

const TRIALS = Number(process.env.CORRUPTION_TRIALS ?? 150);
const reducer = new NativeReducer({ initialState: { n: 0 }, on: { '*': [{ op: 'increment', path: 'n' }] }, snapshotEvery: 5 });

/** A store with several segments, snapshots and a checkpoint; returns its events by id. */
async function pristine() {
  const directory = scratchDirectory('pristine-');
  const store = new FileEventStore({ directory });
  const originals = new Map();
  for (let i = 0; i < 12; i++) {
    const events = accountEvents(1 + (i % 4));
    await store.append(events);
    for (const e of events) originals.set(e._id, e);
  }
  await store.rehydrateNative(reducer, 'Account', [...originals.values()][0].AggregateID);
  await store.putCheckpoint('mailer', 7);
  await store.close();
  return { directory, originals };
}

const segments = (directory) => readdirSync(directory).filter((n) => n.startsWith('segment-')).sort();

const damages = {
  flip(dir, r) {
    const file = r.pick(segments(dir));
    const bytes = readFileSync(join(dir, file));
    const at = r.int(bytes.length);
    bytes[at] ^= 1 << r.int(8);
    writeFileSync(join(dir, file), bytes);
  },
  truncate(dir, r) {
    const file = r.pick(segments(dir));
    const bytes = readFileSync(join(dir, file));
    writeFileSync(join(dir, file), bytes.subarray(0, r.int(bytes.length)));
  },
  duplicate(dir, r) {
    const [file, other] = [r.pick(segments(dir)), r.pick(segments(dir))];
    copyFileSync(join(dir, file), join(dir, other === file ? 'segment-00000000000000ff.log' : other));
  },
  reorder(dir) {
    const [a, b] = segments(dir);
    if (!b) return;
    renameSync(join(dir, a), join(dir, 'swap'));
    renameSync(join(dir, b), join(dir, a));
    renameSync(join(dir, 'swap'), join(dir, b));
  },
  delete(dir, r) {
    unlinkSync(join(dir, r.pick(segments(dir))));
  },
  garbage(dir, r) {
    writeFileSync(join(dir, 'segment-0000000000000002.log'), Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256))));
  },
  lock(dir, r) {
    writeFileSync(join(dir, 'LOCK'), r.pick(['', 'not a pid', '999999999', String(process.pid)]));
  },
};

it(`survives ${TRIALS} random damages of every file kind`, async (t) => {
  const { directory, originals } = await pristine();
  const r = random(2026);
  const outcomes = { intact: 0, corrupt: 0, cut: 0 };
  for (let trial = 0; trial < TRIALS; trial++) {
    const copy = scratchDirectory('damaged-');
    rmSync(copy, { recursive: true });
    cpSync(directory, copy, { recursive: true });
    const kind = r.pick(Object.keys(damages));
    damages[kind](copy, r);
    const store = new FileEventStore({ directory: copy });
    let all;
    try {
      all = await store.readAll();
    } catch (error) {
      assert.ok(error instanceof AtomServicesError, `${kind}: ${error}`);
      continue;
    }
    for (const { event } of all) {
      assert.deepEqual(event, originals.get(event._id), `${kind}: a damaged event was returned as whole`);
    }
    const positions = all.map((x) => x.position);
    assert.deepEqual(positions, positions.map((_, i) => i + 1), `${kind}: the events kept are a prefix`);
    const corruption = await store.corruption();
    if (corruption) {
      outcomes.corrupt++;
      assert.ok(corruption.file && Number.isInteger(corruption.offset) && corruption.reason);
      await assert.rejects(store.append(accountEvents(1)), { code: 'STORE_CORRUPT' });
    } else {
      outcomes[all.length === originals.size ? 'intact' : 'cut']++;
      await store.append(accountEvents(1));  // a store that reports no damage takes new events
    }
    await store.close();
  }
  t.diagnostic(`outcomes: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes.corrupt > 0);
});
