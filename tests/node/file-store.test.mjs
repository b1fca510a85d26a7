// FileEventStore: durability across reopen, locking, group commit, torn tails, corruption.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { FileEventStore, createService } from 'atomservices';
import { accountEvents } from './helpers.mjs';
import { scratchDirectory } from './helpers-files.mjs';

// The installed package's entry, for scripts that run in another directory.
const packageEntry = pathToFileURL(createRequire(import.meta.url).resolve('atomservices')).href;
const segments = (directory) => readdirSync(directory).filter((name) => name.startsWith('segment-')).sort();

describe('FileEventStore', () => {
  it('keeps events, versions and positions across close and reopen', async () => {
    const directory = scratchDirectory();
    const a = accountEvents(3);
    const b = accountEvents(2);
    let store = new FileEventStore({ directory });
    await store.append(a);
    await store.append(b);
    const before = await store.readAll();
    await store.close();
    store = new FileEventStore({ directory });
    assert.deepEqual(await store.readAll(), before);
    assert.equal(await store.getVersion('Account', a[0].AggregateID), 3);
    const [next] = accountEvents(1);
    assert.equal((await store.append([next])).lastPosition, 6);
    await assert.rejects(store.append([{ ...a[2], _id: crypto.randomUUID() }]), { code: 'CONCURRENCY_CONFLICT' });
    await store.close();
  });

  it('seals a big active segment on close, so the next open scans no frames, and goes on after it', async () => {
    const directory = scratchDirectory();
    const payloads = { note: 'x'.repeat(1200) };
    const events = (from, count) => Array.from({ length: count }, (_, i) => ({
      ...accountEvents(1)[0], AggregateID: 'big', _version: from + i, payloads,
    }));
    let store = new FileEventStore({ directory });
    await store.append(events(1, 1000));  // ~1.3 MB: past what close() seals
    await store.close();
    store = new FileEventStore({ directory });
    let stats = await store.stats();
    assert.equal(stats.indexFiles, 1);
    assert.equal(stats.files, 1, 'no active segment: nothing to scan');
    assert.equal((await store.readStream('Account', 'big')).length, 1000);
    await store.append(events(1001, 2));
    await assert.rejects(store.append(events(1002, 1).map((e) => ({ ...e, _id: crypto.randomUUID() }))), { code: 'CONCURRENCY_CONFLICT' });
    await store.close();  // a small active segment stays active
    store = new FileEventStore({ directory });
    stats = await store.stats();
    assert.deepEqual([stats.indexFiles, stats.files], [1, 2]);
    assert.equal(await store.getVersion('Account', 'big'), 1002);
    assert.equal((await store.readAll({ fromPosition: 1001 })).length, 2);
    await store.close();
  });

  it('reports a sealed segment cut from outside as corrupt, instead of cutting acknowledged events as a torn write', async () => {
    const payloads = { note: 'x'.repeat(1200) };
    for (const keep of [(size) => size - 200, () => 0]) {
      const directory = scratchDirectory();
      let store = new FileEventStore({ directory });
      await store.append(Array.from({ length: 1000 }, (_, i) => ({ ...accountEvents(1)[0], AggregateID: 'big', _version: i + 1, payloads })));
      await store.close();  // sealed: its index file records the segment's size
      const [log] = segments(directory).filter((name) => name.endsWith('.log'));
      const bytes = readFileSync(join(directory, log));
      writeFileSync(join(directory, log), bytes.subarray(0, keep(bytes.length)));
      store = new FileEventStore({ directory });
      const corruption = await store.corruption();
      assert.equal(corruption?.file, log);
      assert.equal((await store.stats()).tornBytesCut, 0);
      await assert.rejects(store.append([{ ...accountEvents(1)[0], AggregateID: 'big', _version: 1000 }]), { code: 'STORE_CORRUPT' });
      await store.close();
    }
  });

  it('is the default store of createService in Node, in ./.atomservices', () => {
    const cwd = scratchDirectory('cwd-');
    const script = `
      import { createService, EventBuilder } from ${JSON.stringify(packageEntry)};
      const build = EventBuilder({ EventName: 'Opened', AggregateType: 'Account' });
      const service = createService();
      await service.dispatch(build({ _version: 1, _createdBy: 'test', AggregateID: 'a1', payloads: {} }));
      console.log(await service.getVersion('Account', 'a1'));
      await service.close();`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
    assert.equal(output.trim(), '1');
    assert.equal(segments(join(cwd, '.atomservices')).length, 1);
  });

  it('lets one writer in: STORE_LOCKED in the same process and in another one', async () => {
    const directory = scratchDirectory();
    const first = new FileEventStore({ directory });
    await first.append(accountEvents(1));
    await assert.rejects(new FileEventStore({ directory }).readAll(), { code: 'STORE_LOCKED' });
    const other = `
      import { FileEventStore } from ${JSON.stringify(packageEntry)};
      try { await new FileEventStore({ directory: ${JSON.stringify(directory)} }).readAll(); console.log('opened'); }
      catch (error) { console.log(error.code); }`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', other], { encoding: 'utf8' });
    assert.equal(output.trim(), 'STORE_LOCKED');
    await first.close();
    const again = new FileEventStore({ directory });
    assert.equal((await again.readAll()).length, 1);
    await again.close();
  });

  it('takes over the lock of a process that died', async () => {
    const directory = scratchDirectory();
    const store = new FileEventStore({ directory });
    await store.append(accountEvents(1));
    await store.close();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(directory, 'LOCK'), String(dead.pid));
    const reopened = new FileEventStore({ directory });
    assert.equal((await reopened.readAll()).length, 1);
    assert.equal(readFileSync(join(directory, 'LOCK'), 'utf8'), String(process.pid));
    await reopened.close();
    assert.equal(existsSync(join(directory, 'LOCK')), false);
  });

  it('shares flushes between concurrent appends (group commit)', async () => {
    const store = new FileEventStore({ directory: scratchDirectory() });
    await store.append(accountEvents(1));
    const before = (await store.stats()).flushes;
    await Promise.all(Array.from({ length: 200 }, () => store.append(accountEvents(1))));
    const stats = await store.stats();
    assert.equal(stats.events, 201);
    assert.ok(stats.flushes - before <= 10, `200 concurrent appends took ${stats.flushes - before} flushes`);
    await store.close();
  });

  it('cuts a torn last write on open and keeps everything before it', async () => {
    const directory = scratchDirectory();
    let store = new FileEventStore({ directory });
    const events = accountEvents(4);
    for (const event of events) await store.append([event]);
    await store.close();
    const [file] = segments(directory);
    const bytes = readFileSync(join(directory, file));
    writeFileSync(join(directory, file), bytes.subarray(0, bytes.length - 7));
    store = new FileEventStore({ directory });
    const stats = await store.stats();
    assert.ok(stats.tornBytesCut > 0);
    assert.deepEqual(await store.readStream('Account', events[0].AggregateID), events.slice(0, 3));
    await store.append([events[3]]);
    assert.equal(await store.getVersion('Account', events[0].AggregateID), 4);
    await store.close();
  });

  it('reports damage in the middle as STORE_CORRUPT and keeps the events before it readable', async () => {
    const directory = scratchDirectory();
    let store = new FileEventStore({ directory });
    const events = accountEvents(6);
    for (const event of events) await store.append([event]);
    await store.close();
    const [file] = segments(directory);
    const bytes = readFileSync(join(directory, file));
    const third = bytes.indexOf(events[2]._id);  // inside the third record
    bytes[third] ^= 0x01;
    writeFileSync(join(directory, file), bytes);
    store = new FileEventStore({ directory });
    const corruption = await store.corruption();
    assert.equal(corruption.file, file);
    assert.ok(corruption.offset > 0 && corruption.offset < third);
    assert.deepEqual(await store.readStream('Account', events[0].AggregateID), events.slice(0, 2));
    const error = await store.append(accountEvents(1)).catch((e) => e);
    assert.equal(error.code, 'STORE_CORRUPT');
    assert.match(error.message, new RegExp(`damaged at ${file} byte ${corruption.offset}`));
    await store.close();
  });

  it('refuses a bad directory option', () => {
    for (const options of [undefined, null, {}, { directory: '' }, { directory: 42 }]) {
      assert.throws(() => new FileEventStore(options), { code: 'INVALID_ARGUMENT' });
    }
  });

  it('reports an unusable directory as STORE_FAILURE on first use', async () => {
    const directory = scratchDirectory();
    writeFileSync(join(directory, 'file'), 'not a directory');
    const service = createService({ EventStore: new FileEventStore({ directory: join(directory, 'file', 'store') }) });
    await assert.rejects(service.dispatch(accountEvents(1)), { code: 'STORE_FAILURE' });
  });

  it('goes on while segments close and merge under concurrent dispatches', async () => {
    // Small segments, so that a segment a flush is syncing is closed and merged away meanwhile.
    class SmallSegments extends FileEventStore {
      async mount(core) {
        return { ...(await super.mount(core)), segmentBytes: 8192, maxMergedBytes: 1 << 16 };
      }
    }
    const directory = scratchDirectory();
    let store = new SmallSegments({ directory });
    const written = await Promise.all(Array.from({ length: 80 }, async () => {
      const events = accountEvents(10);
      for (const event of events) await store.append([event]);
      return events.length;
    }));
    assert.equal(written.reduce((a, b) => a + b, 0), 800);
    assert.ok((await store.stats()).flushes > 0);
    await store.close();
    store = new FileEventStore({ directory });
    assert.equal((await store.readAll()).length, 800, 'every acknowledged event is there after reopening');
    await store.close();
  });

  it('refuses to acknowledge events once its directory was deleted, or replaced by another', async () => {
    for (const replace of [false, true]) {
      const directory = scratchDirectory();
      const store = new FileEventStore({ directory });
      const [first, second, third] = accountEvents(3);
      await store.append([first]);
      rmSync(directory, { recursive: true, force: true });
      if (replace) mkdirSync(directory);
      const error = await store.append([second]).catch((e) => e);
      assert.equal(error.code, 'STORE_FAILURE');
      assert.match(error.message, /deleted, moved or replaced/);
      await assert.rejects(store.append([third]), { code: 'STORE_FAILURE' });
      await store.close();
    }
  });

  it('names the directory the user gave, not the core\'s file system, when a segment cannot be read', async () => {
    const directory = scratchDirectory();
    mkdirSync(join(directory, 'segment-0000000000000001.log'));  // a directory where a segment file should be
    const error = await new FileEventStore({ directory }).readAll().catch((e) => e);
    assert.equal(error.code, 'STORE_FAILURE');
    assert.ok(error.message.includes(directory), error.message);
    assert.doesNotMatch(error.message, /\/atomservices\/files/);
  });
});
