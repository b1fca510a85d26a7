// Kill -9 at random moments while several writers dispatch; every acknowledged event must
// survive, intact and in order, and the store must take new events afterwards.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FileEventStore } from 'atomservices';
import { scratchDirectory } from './helpers-files.mjs';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 50);
const WRITERS = 4;
const child = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));

/** Runs the child until it has acknowledged something, then kills it at a random moment. */
function runAndKill(directory) {
  return new Promise((resolve, reject) => {
    const acked = [];
    let pending = '';
    let errors = '';
    const proc = spawn(process.execPath, [child, directory, String(WRITERS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let timer;
    proc.stdout.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) acked.push(line.split(' '));
      timer ??= setTimeout(() => proc.kill('SIGKILL'), 20 + Math.random() * 400);
    });
    proc.stderr.on('data', (chunk) => { errors += chunk; });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited with ${code}: ${errors}`));
      else resolve(acked);
    });
  });
}

it(`keeps every acknowledged event through ${ROUNDS} kill -9 rounds`, async (t) => {
  const directory = scratchDirectory('crash-');
  const acknowledged = [];
  for (let round = 0; round < ROUNDS; round++) acknowledged.push(...await runAndKill(directory));
  assert.ok(acknowledged.length > ROUNDS, 'the writers acknowledged events');

  const store = new FileEventStore({ directory });
  for (const [id, aggregate, version] of acknowledged) {
    const event = await store.getEvent(id);
    assert.ok(event, `acknowledged event ${id} (${aggregate} v${version}) is missing`);
    assert.equal(event.AggregateID, aggregate);
    assert.equal(event._version, Number(version));
    assert.equal(event.payloads.n, Number(version));
    assert.equal(event.payloads.pad.length, 50 + (Number(version) % 300));
  }
  let recovered = 0;
  for (let w = 0; w < WRITERS; w++) {
    const versions = (await store.readStream('Counter', `counter-${w}`)).map((e) => e._version);
    assert.deepEqual(versions, versions.map((_, i) => i + 1), 'versions are dense');
    recovered += versions.length;
  }
  const stats = await store.stats();
  t.diagnostic(`rounds ${ROUNDS}, acknowledged ${acknowledged.length}, recovered ${recovered}, files ${stats.files}`);
  assert.ok(recovered >= acknowledged.length);
  const version = await store.getVersion('Counter', 'counter-1');
  const [last] = await store.readStream('Counter', 'counter-1', { direction: 'backward', limit: 1 });
  await store.append([{ ...last, _id: crypto.randomUUID(), _version: version + 1 }]);
  assert.equal(await store.getVersion('Counter', 'counter-1'), version + 1);
  await store.close();
});
