// Scale: a FileEventStore of SCALE_EVENTS events (default 10M, ~500 bytes each, over 100k
// aggregates) beside an event store written on better-sqlite3, on the same work. Each
// store is filled by one process, then a fresh process opens it and times: the open, the
// memory after it, a cold rehydration of one aggregate of 1,000 events spread over the
// log, getEvent by random _id, readAll of 1,000 events from a random position, and 100
// concurrent dispatchers; a third process times the same dispatchers on an empty store.
// better-sqlite3 is installed for the run when missing (it builds from source).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadResults, machine, saveResults, writeSection } from './lib.mjs';

const EVENTS = Number(process.env.SCALE_EVENTS ?? 10_000_000);
const scratch = process.env.SCALE_DIR ?? tmpdir();
try {
  if (!process.argv.includes('--report')) createRequire(import.meta.url).resolve('better-sqlite3');
} catch {
  console.error('scale: installing better-sqlite3 for this run');
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'better-sqlite3'], { stdio: 'inherit' });
}

const child = new URL('./scale/child.mjs', import.meta.url).pathname;
const run = (args, input) => JSON.parse(execFileSync(process.execPath, [child, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26 }));

// `--report` writes the tables again from the saved figures, without measuring.
const report = process.argv.includes('--report');
const saved = report ? loadResults().scale : undefined;
const EVENTS_SHOWN = saved?.events ?? EVENTS;
const results = saved?.results ?? {};
// Both stores are filled first; then each round measures each store in a fresh process,
// the stores taking turns (a slow moment of the machine falls on both), and each figure
// is the median over the rounds.
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 3);
const KINDS = ['atomservices', 'better-sqlite3'];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const directories = [];
const scratchDirectory = (prefix) => {
  directories.push(mkdtempSync(join(scratch, prefix)));
  return directories.at(-1);
};
try {
  const filled = {};
  for (const kind of report ? [] : KINDS) {
    const directory = scratchDirectory('atomservices-scale-');
    const started = performance.now();
    const { ids } = run(['fill', kind, directory, String(EVENTS)]);
    filled[kind] = { directory, ids, fillRate: EVENTS / (performance.now() - started) * 1000 };
    console.error(`scale: ${kind} filled at ${Math.round(filled[kind].fillRate)} events/s`);
  }
  const rounds = Object.fromEntries(Object.keys(filled).map((kind) => [kind, []]));
  for (let round = 0; round < (report ? 0 : ROUNDS); round++) {
    for (const kind of KINDS) {
      const { directory, ids } = filled[kind];
      const measured = run(['measure', kind, directory, String(EVENTS)], JSON.stringify({ ids }));
      measured.dispatchAtZero = run(['empty', kind, scratchDirectory('atomservices-scale-empty-'), '0']).dispatchRate;
      rounds[kind].push(measured);
      console.error(`scale: ${kind} round ${round + 1}`, JSON.stringify(measured));
    }
  }
  for (const [kind, measured] of Object.entries(rounds)) {
    const of = (pick) => median(measured.map(pick));
    results[kind] = {
      fillRate: filled[kind].fillRate,
      open: { ms: of((m) => m.open.ms), rssMiB: of((m) => m.open.rssMiB), last: measured[0].open.last },
      rssGrowthMiB: of((m) => m.rssGrowthMiB),
      rehydrate: { ...measured[0].rehydrate, ms: of((m) => m.rehydrate.ms) },
      getEventMs: of((m) => m.getEventMs),
      readAllMs: of((m) => m.readAllMs),
      dispatchRate: of((m) => m.dispatchRate),
      dispatchAtZero: of((m) => m.dispatchAtZero),
      stats: measured.at(-1).stats,
      rounds: measured.length,
    };
  }
} finally {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
}

const ours = results.atomservices, theirs = results['better-sqlite3'];
const millions = (EVENTS_SHOWN / 1e6).toLocaleString('en');
// Every target as a ratio that must reach `wanted` (budgets as budget over measured), as the chart draws them.
const targets = [
  { name: `open at ${millions}M events: 1 s over the open time`, measured: 1000 / ours.open.ms, wanted: 1 },
  { name: '256 MiB over the RSS after open', measured: 256 / ours.open.rssMiB, wanted: 1 },
  { name: '100 ms over a cold rehydration of 1,000 events', measured: 100 / ours.rehydrate.ms, wanted: 1 },
  { name: `100 dispatchers at ${millions}M over at 0`, measured: ours.dispatchRate / ours.dispatchAtZero, wanted: 0.9 },
  { name: 'fill vs better-sqlite3', measured: ours.fillRate / theirs.fillRate, wanted: 1 },
  { name: 'open vs better-sqlite3 (its time over ours)', measured: theirs.open.ms / ours.open.ms, wanted: 1 },
  { name: 'cold rehydration vs better-sqlite3', measured: theirs.rehydrate.ms / ours.rehydrate.ms, wanted: 1 },
  { name: 'getEvent vs better-sqlite3', measured: theirs.getEventMs / ours.getEventMs, wanted: 1 },
  { name: 'readAll vs better-sqlite3', measured: theirs.readAllMs / ours.readAllMs, wanted: 1 },
  { name: '100 dispatchers vs better-sqlite3', measured: ours.dispatchRate / theirs.dispatchRate, wanted: 1 },
];
const rows = [
  ['fill, events/s (batches of 1,000)', (r) => Math.round(r.fillRate).toLocaleString('en'), true],
  ['open, ms', (r) => r.open.ms.toFixed(0), false],
  ['RSS after open, MiB', (r) => r.open.rssMiB.toFixed(0), false],
  ['cold rehydration of 1,000 events, ms', (r) => r.rehydrate.ms.toFixed(1), false],
  ['getEvent by random _id, median ms', (r) => r.getEventMs.toFixed(3), false],
  ['readAll 1,000 from a random position, median ms', (r) => r.readAllMs.toFixed(2), false],
  [`100 dispatchers at ${millions}M, events/s`, (r) => Math.round(r.dispatchRate).toLocaleString('en'), true],
  ['100 dispatchers at 0, events/s', (r) => Math.round(r.dispatchAtZero).toLocaleString('en'), true],
];
const markdown = `## Scale: ${millions}M events beside better-sqlite3

${saved?.machine ?? machine()}; ~500-byte events over 100k aggregates; each store filled by one process and
measured by a fresh one (the operating system's file cache is warm), the open timed from
making the store to its first answer; medians of ${ours.rounds ?? ROUNDS} rounds, the stores taking turns. better-sqlite3: WAL,
synchronous=FULL, unique indexes on (type, id, version) and on the event id, one transaction
per dispatch.

| | atomservices | better-sqlite3 |
| --- | ---: | ---: |
${rows.map(([name, show]) => `| ${name} | ${show(ours)} | ${show(theirs)} |`).join('\n')}

| target | measured | wanted | |
| --- | ---: | ---: | --- |
${targets.map((t) => `| ${t.name} | ${t.measured.toFixed(2)}× | ≥ ${t.wanted}× | ${t.measured >= t.wanted ? 'met' : 'not met'} |`).join('\n')}`;
console.log(markdown);
writeSection('scale', markdown);
if (!report) saveResults('scale', { events: EVENTS, results, targets });
else saveResults('scale', { ...saved, targets });
