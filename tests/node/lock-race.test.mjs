// Many processes racing to take over the lock of a process that died: exactly one of them
// opens the store, and every event it was acknowledged is there afterwards.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FileEventStore } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const PROCESSES = 12;
const TRIALS = 50;

function startChild() {
  const child = spawn(process.execPath, [new URL('./lock-race-child.mjs', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    send: (line) => child.stdin.write(`${line}\n`),
    next: async () => (await lines.next()).value,
    end: () => new Promise((resolve) => { child.on('exit', resolve); child.stdin.end(); }),
  };
}

async function deadPid() {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('exit', resolve));
  return dead.pid;
}

it(`${PROCESSES} processes taking over a dead process's lock, ${TRIALS} times: one opens, nothing is lost`, async () => {
  const children = Array.from({ length: PROCESSES }, startChild);
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      const directory = scratchDirectory('race-');
      writeFileSync(join(directory, 'LOCK'), String(await deadPid()));
      for (const child of children) child.send(`open ${directory}`);
      const outcomes = await Promise.all(children.map((child) => child.next()));
      const opened = outcomes.filter((outcome) => outcome === 'opened').length;
      assert.equal(opened, 1, `trial ${trial}: ${opened} processes opened the store (${outcomes.join(', ')})`);
      assert.deepEqual(new Set(outcomes.filter((outcome) => outcome !== 'opened')), new Set(['STORE_LOCKED']));
      for (const child of children) child.send('close');
      await Promise.all(children.map((child) => child.next()));
      const store = new FileEventStore({ directory });
      const events = await store.readAll();
      await store.close();
      assert.equal(events.length, 50, `trial ${trial}: ${events.length} events after reopening, 50 acknowledged`);
    }
  } finally {
    await Promise.all(children.map((child) => child.end()));
  }
});
