// Group commit, the piece every durable store's acknowledgements rest on: groups share a
// flush, flushes in flight stay within the depth, and a group is acknowledged only once
// every earlier flush completed — a failed flush fails the groups after it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { GroupCommit } = createRequire(import.meta.url)('../../dist/cjs/stores/group-commit.js');

/** A flush function whose flushes the test completes by hand. */
function manualFlushes() {
  const flushes = [];
  const flush = () => new Promise((resolve, reject) => { flushes.push({ resolve, reject }); });
  return { flushes, flush };
}

const settled = (promise) => promise.then(() => 'resolved', (error) => `rejected: ${error.message}`);
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('serves every caller of one tick with one flush, and flushes one at a time at depth 1', async () => {
    const { flushes, flush } = manualFlushes();
    const commits = new GroupCommit(flush);
    const first = Array.from({ length: 10 }, () => commits.wait());
    await tick();
    assert.equal(flushes.length, 1);
    const second = commits.wait();
    await tick();
    assert.equal(flushes.length, 1, 'no second flush while the first is in flight');
    flushes[0].resolve();
    assert.deepEqual(await Promise.all(first.map(settled)), Array(10).fill('resolved'));
    await tick();
    assert.equal(flushes.length, 2);
    flushes[1].resolve();
    assert.equal(await settled(second), 'resolved');
  });

  it('acknowledges a group only after every earlier flush, and fails the groups after a failed flush', async () => {
    const { flushes, flush } = manualFlushes();
    const commits = new GroupCommit(flush, 2);
    const a = settled(commits.wait());
    await tick();
    const b = settled(commits.wait());
    await tick();
    assert.equal(flushes.length, 2, 'two flushes in flight at depth 2');
    const c = settled(commits.wait());
    await tick();
    assert.equal(flushes.length, 2, 'a third waits for a free slot');
    flushes[1].resolve();  // the later flush completes first ...
    await tick();
    let bDone = false;
    void b.then(() => { bDone = true; });
    await tick();
    assert.equal(bDone, false, '... but its group waits for the earlier one');
    flushes[0].reject(new Error('disk full'));
    assert.equal(await a, 'rejected: disk full');
    assert.equal(await b, 'rejected: disk full');
    await tick();
    flushes[2].resolve();
    assert.equal(await c, 'rejected: disk full', 'a group after a failure is not acknowledged either');
  });

  it('starts a flush at once when a group reaches its size', async () => {
    const { flushes, flush } = manualFlushes();
    const commits = new GroupCommit(flush, 2, 3);
    const waits = Array.from({ length: 7 }, () => settled(commits.wait()));
    assert.equal(flushes.length, 2, 'groups of 3 flushed synchronously, up to the depth');
    flushes[0].resolve();
    flushes[1].resolve();
    await tick();
    assert.equal(flushes.length, 3, 'the 7th caller gets the next flush');
    flushes[2].resolve();
    assert.deepEqual(await Promise.all(waits), Array(7).fill('resolved'));
  });
});
