// Cold start with 100,000 events of one aggregate on disk, each case in a fresh process:
// open the store, then rehydrate the aggregate (JS and native reducers), beside a
// hand-written store that reads its JSON lines back and folds them. Also the memory the
// process holds afterwards (RSS growth), as a measure of memory per 100k events.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createService, EventBuilder, FileEventStore } from 'atomservices';
import { machine, median, saveResults, writeSection } from './lib.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const scratch = mkdtempSync(join(tmpdir(), 'atomservices-cold-'));
const directory = join(scratch, 'store');
const linesFile = join(scratch, 'events.jsonl');

const build = EventBuilder({ EventName: 'Deposited', AggregateType: 'Account' });
const events = Array.from({ length: EVENTS }, (_, i) => build({
  _version: i + 1, _createdBy: 'bench', AggregateID: 'bench-account',
  payloads: { amount: 5, note: randomBytes(110).toString('base64') },
}));
const service = createService({ EventStore: new FileEventStore({ directory }) });
for (let i = 0; i < EVENTS; i += 1000) await service.dispatch(events.slice(i, i + 1000));
await service.close();
writeFileSync(linesFile, events.map((e) => `${JSON.stringify(e)}\n`).join(''));

const child = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));
const modes = {
  'atomservices FileEventStore: open + rehydrate (JS reducer)': 'atomservices-js',
  'atomservices FileEventStore: open + rehydrate (native reducer)': 'atomservices-native',
  'hand-written JSON lines: read + JSON.parse + fold': 'jsonl',
};
const samples = Object.fromEntries(Object.keys(modes).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, mode] of Object.entries(modes)) {
    const output = execFileSync(process.execPath, ['--expose-gc', child, mode, directory, linesFile], { encoding: 'utf8' });
    samples[name].push(JSON.parse(output));
  }
}
rmSync(scratch, { recursive: true, force: true });

const states = Object.values(samples).flat().map((s) => JSON.stringify(s.state));
if (new Set(states).size !== 1) throw new Error(`the cases disagree on the state: ${[...new Set(states)].join(' / ')}`);
const figures = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, {
  openMs: median(list.map((s) => s.openMs)), totalMs: median(list.map((s) => s.totalMs)), memory: median(list.map((s) => s.memory)),
}]));
const names = Object.keys(modes);
// Above 1: we are faster than the hand-written store.
const ratioJs = figures[names[2]].totalMs / figures[names[0]].totalMs;
const ratioNative = figures[names[2]].totalMs / figures[names[1]].totalMs;
const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
const markdown = `## Cold start with ${EVENTS.toLocaleString('en')} events on disk (Node)

${machine()}; medians of ${ROUNDS} rounds, each case in a fresh process. One aggregate of ${EVENTS.toLocaleString('en')} events of ~360 bytes.
"open" is until the store answers (for the hand-written store: until its events are parsed); memory is the process's RSS growth.

| case | open ms | open + rehydrate ms | memory MiB |
| --- | ---: | ---: | ---: |
${names.map((name) => `| ${name} | ${figures[name].openMs.toFixed(0)} | ${figures[name].totalMs.toFixed(0)} | ${mib(figures[name].memory)} |`).join('\n')}

Hand-written time over ours (above 1: we are faster): **${ratioJs.toFixed(2)}×** with a JS reducer,
**${ratioNative.toFixed(2)}×** with a native reducer.`;
console.log(markdown);
writeSection('cold', markdown);
saveResults('cold', { figures, ratios: { js: ratioJs, native: ratioNative } });
