// The OPFS store's file system (js/web/opfs-files.ts) on handles that behave like OPFS's
// synchronous access handles, backed by a real directory: the same core, the same engine.
// The browser tests run it on real OPFS; these reach the crash cases a browser test cannot.
import { it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlotPool, slotFileSystem } from '../../dist/esm/web/opfs-files.js';
import { openFile } from '../../dist/esm/core/core-fs.js';

const require = createRequire(import.meta.url);

/** A directory handle with OPFS's shape; its files allow one sync handle at a time, as OPFS does. */
function directoryHandle(path, hooks = {}) {
  const open = new Set();
  const fileHandle = (name) => ({
    kind: 'file', name,
    async createSyncAccessHandle() {
      if (open.has(name)) throw Object.assign(new Error('in use'), { name: 'NoModificationAllowedError' });
      open.add(name);
      const fd = openSync(join(path, name), 'r+');
      return {
        read: (view, { at }) => readSync(fd, view, 0, view.byteLength, at),
        write: (view, { at }) => writeSync(fd, view, 0, view.byteLength, at),
        truncate: (size) => { hooks.beforeTruncate?.(name, size); ftruncateSync(fd, size); },
        getSize: () => fstatSync(fd).size,
        flush: () => fsyncSync(fd),
        close: () => { closeSync(fd); open.delete(name); },
      };
    },
  });
  return {
    async *values() { for (const name of readdirSync(path)) yield fileHandle(name); },
    async getFileHandle(name, { create } = {}) {
      if (create) writeFileSync(join(path, name), '', { flag: 'a' });
      return fileHandle(name);
    },
  };
}

let directory;
let core;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'atomservices-opfs-'));
  core = {};
  require('../../dist/wasm/atomservices.cjs')(core);
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

async function mounted(hooks, mountpoint = '/opfs') {
  const pool = await SlotPool.open(directoryHandle(directory, hooks));
  core.FS.mkdirTree(mountpoint);
  core.FS.mount(slotFileSystem(core.FS, pool), {}, mountpoint);
  return {
    pool,
    unmount() { core.FS.unmount(mountpoint); pool.close(); },
    syncer: {
      syncFile: (fd) => { const slot = openFile(core, fd)?.host; if (slot) pool.flush(slot); },
      syncDirectory: () => pool.flushHeaders(),
    },
  };
}

const encoder = new TextEncoder();
function event(i, aggregate = 'a') {
  return { _id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, AggregateType: 'T', AggregateID: aggregate, EventName: 'E',
    _version: i, _createdAt: '2026-01-01T00:00:00.000Z', _createdBy: 'test', payloads: { i, text: 'x'.repeat(200) } };
}
function append(store, events) {
  const bytes = encoder.encode(JSON.stringify(events));
  core.HEAPU8.set(bytes, core.reserveInput(bytes.length));
  return store.append(bytes.length);
}
function openStore(files, segmentBytes = 1 << 20) {
  const store = new core.DurableStore();
  store.open('/opfs', { segmentBytes, maxMergedBytes: 8 * segmentBytes, cacheBytes: 1 << 20 }, true, files.syncer);
  return store;
}

it('keeps files, their sizes and names across a remount', async () => {
  let files = await mounted();
  core.FS.writeFile('/opfs/a', new Uint8Array([1, 2, 3]));
  core.FS.writeFile('/opfs/b', new Uint8Array(10_000).fill(7));
  core.FS.rename('/opfs/b', '/opfs/c');
  core.FS.writeFile('/opfs/d', new Uint8Array([9]));
  core.FS.rename('/opfs/d', '/opfs/a');  // replaces a
  files.pool.flushHeaders();
  files.unmount();
  files = await mounted();
  assert.deepEqual(core.FS.readdir('/opfs').sort(), ['.', '..', 'a', 'c']);
  assert.deepEqual([...core.FS.readFile('/opfs/a')], [9]);
  assert.equal(core.FS.stat('/opfs/c').size, 10_000);
  assert.ok(core.FS.readFile('/opfs/c').every((b) => b === 7));
  core.FS.unlink('/opfs/c');
  assert.throws(() => core.FS.stat('/opfs/c'), (error) => error.errno === 44);  // ENOENT
  files.unmount();
});

/** Which slot files hold a file: their names, and the bytes of each. */
function slotsOnDisk() {
  return readdirSync(directory).map((file) => ({ file, bytes: readFileSync(join(directory, file)) }));
}

it('resolves a rename cut short by a crash to the newer file, and reads a torn header as a free slot', async () => {
  let files = await mounted();
  core.FS.writeFile('/opfs/kept', new Uint8Array([1]));
  core.FS.writeFile('/opfs/torn', new Uint8Array([2]));
  core.FS.writeFile('/opfs/new', new Uint8Array([3]));
  files.pool.flushHeaders();
  files.unmount();
  // The rename writes and flushes the new name, then frees the slot that held it: crash in between.
  const crash = new Error('crash');
  files = await mounted({ beforeTruncate: (_file, size) => { if (size === 0) throw crash; } });
  assert.throws(() => files.pool.rename(files.pool.find('new'), 'kept'), (error) => error === crash);
  files.unmount();
  const claiming = slotsOnDisk().filter(({ bytes }) => bytes.includes(Buffer.from('kept')));
  assert.equal(claiming.length, 2, 'two slots claim the name');
  // A header damaged in the middle of its name.
  const torn = slotsOnDisk().find(({ bytes }) => bytes.includes(Buffer.from('torn')));
  const at = torn.bytes.indexOf(Buffer.from('torn'));
  writeFileSync(join(directory, torn.file), Buffer.concat([torn.bytes.subarray(0, at), Buffer.from('t0rn'), torn.bytes.subarray(at + 4)]));

  files = await mounted();
  assert.deepEqual(core.FS.readdir('/opfs').sort(), ['.', '..', 'kept']);
  assert.deepEqual([...core.FS.readFile('/opfs/kept')], [3], 'the newer slot holds the name');
  files.unmount();
  assert.equal(slotsOnDisk().filter(({ bytes }) => bytes.includes(Buffer.from('kept'))).length, 1, 'the older slot was freed');
  assert.equal(readFileSync(join(directory, torn.file)).length, 0, 'the torn slot was freed');
});

it('runs the storage engine: events written, rolled into segments with indexes, and read back after a reopen', async () => {
  let files = await mounted();
  let store = openStore(files, 64 << 10);
  for (let i = 1; i <= 2000; i += 100) {
    await files.pool.reserve();  // as the worker does before each call
    append(store, Array.from({ length: 100 }, (_, k) => event(i + k)));
  }
  store.sync();
  assert.equal(store.lastPosition(), 2000);
  store.close();
  store.delete();
  files.unmount();
  files = await mounted();
  store = openStore(files, 64 << 10);
  assert.equal(store.lastPosition(), 2000);
  assert.ok(store.stats().indexFiles > 0, 'closed segments have index files');
  const json = new TextDecoder().decode(store.getEvent(event(1234)._id));
  assert.equal(JSON.parse(json).payloads.i, 1234);
  store.close();
  store.delete();
  files.unmount();
});
