// The README's performance table, made from the saved benchmark figures (bench/results/), so
// it can only say what the last run measured. `npm run bench` and `npm run bench:browser`
// rewrite it; a test checks that the README holds what the saved figures give.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadResults } from './lib.mjs';

const START = '<!-- performance:start -->';
const END = '<!-- performance:end -->';

const thousands = (perSecond) => (perSecond >= 10_000 ? `~${Math.round(perSecond / 1000)}k` : `~${(perSecond / 1000).toFixed(1)}k`);
const ratio = (value) => `${value >= 10 ? Math.round(value) : value.toFixed(value >= 2 ? 1 : 2)}×`;
const ms = (value) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const mib = (bytes) => `~${Math.round(bytes / 2 ** 20)} MiB`;
const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;

function dispatchRows({ cases: c, latency }) {
  const file = c['atomservices FileEventStore, 100 concurrent'];
  const perEvent = c['file, fsync per event, 100 concurrent'];
  const group = c['file, hand-written group commit, 100 concurrent'];
  const [ours, theirs] = [latency['atomservices FileEventStore'], latency['file, hand-written group commit']];
  const memory = [c['atomservices MemoryEventStore, sequential'], c['atomservices MemoryEventStore, 100 concurrent']];
  const emmett = [c['Emmett in-memory, sequential'], c['Emmett in-memory, 100 concurrent']];
  const bare = [c['plain JS in-memory store, sequential'], c['plain JS in-memory store, 100 concurrent']];
  return [
    ['durable dispatch, 100 dispatchers, Node files (fsync)', `${thousands(file)} events/s`,
      `fsync per event ${thousands(perEvent)}; hand-written group commit ${thousands(group)}`, `${ratio(file / perEvent)}; ${ratio(file / group)}`],
    ['dispatch latency under that load, Node files', `p50 ${ours.p50.toFixed(1)} ms, p99 ${ours.p99.toFixed(1)} ms`,
      `hand-written group commit p50 ${theirs.p50.toFixed(1)} ms, p99 ${theirs.p99.toFixed(1)} ms`, ''],
    ['in-memory dispatch, one dispatcher / 100', `${thousands(memory[0])} / ${thousands(memory[1])} events/s`,
      `Emmett ${thousands(emmett[0])} / ${thousands(emmett[1])}; bare \`Map\` ${thousands(bare[0])} / ${thousands(bare[1])}`,
      `${ratio(memory[0] / emmett[0])} / ${ratio(memory[1] / emmett[1])} (Emmett); ${ratio(memory[1] / bare[1])} (bare \`Map\`, 100)`],
  ];
}

function browserRows({ cases: c }) {
  const strict = c['a. atomservices IndexedDBEventStore'];
  const relaxed = c['a2. atomservices IndexedDBEventStore, durability "relaxed"'];
  const perEvent = c['b. IndexedDB, one transaction per event'];
  const dexie = c['d. Dexie bulkAdd by 1,000 events'];
  const cold = c['cold: atomservices, JS reducer'];
  const coldNative = c['cold: atomservices, NativeReducer'];
  const coldBaseline = c['cold: IndexedDB, one record per event, getAll + fold'];
  const opfs = c['g. atomservices OPFSEventStore'];
  const opfsCold = c['cold: atomservices OPFSEventStore, JS reducer'];
  const opfsColdNative = c['cold: atomservices OPFSEventStore, NativeReducer'];
  const rows = [
    ['durable dispatch, 100 dispatchers, IndexedDB strict / relaxed', `${thousands(strict)} / ${thousands(relaxed)} events/s`,
      `a transaction per event ${thousands(perEvent)}; Dexie \`bulkAdd\` by 1,000 ${thousands(dexie)}`,
      `${ratio(strict / perEvent)} / ${ratio(relaxed / perEvent)}; ${ratio(strict / dexie)} / ${ratio(relaxed / dexie)}`],
    ['cold open + rehydrate 100k events, IndexedDB (native / JS reducer)', `${ms(coldNative)} / ${ms(cold)}`,
      `one record per event, \`getAll\` ${ms(coldBaseline)}`, `${ratio(coldBaseline / coldNative)} / ${ratio(coldBaseline / cold)}`],
  ];
  if (opfs === undefined) return rows;  // results saved before the OPFS store existed
  return [...rows,
    ['durable dispatch, 100 dispatchers, OPFS', `${thousands(opfs)} events/s`, `IndexedDBEventStore (strict) ${thousands(strict)}`, ratio(opfs / strict)],
    ['cold open + rehydrate 100k events, OPFS (native / JS reducer)', `${ms(opfsColdNative)} / ${ms(opfsCold)}`,
      `one record per event, \`getAll\` ${ms(coldBaseline)}`, `${ratio(coldBaseline / opfsColdNative)} / ${ratio(coldBaseline / opfsCold)}`],
  ];
}

function coldRows({ figures: f }) {
  const js = f['atomservices FileEventStore: open + rehydrate (JS reducer)'];
  const native = f['atomservices FileEventStore: open + rehydrate (native reducer)'];
  const lines = f['hand-written JSON lines: read + JSON.parse + fold'];
  return [
    ['cold open + rehydrate 100k events, Node files (native / JS reducer)', `${ms(native.totalMs)} / ${ms(js.totalMs)}`,
      `JSON lines read + parse ${ms(lines.totalMs)}`, `${ratio(lines.totalMs / native.totalMs)} / ${ratio(lines.totalMs / js.totalMs)}`],
    ['memory for 100k events (Node, RSS after open + rehydrate)', `${mib(native.memory)}–${mib(js.memory)}`,
      `the same events parsed into JS objects: ${mib(lines.memory)}`, ''],
  ];
}

function rehydrateRows({ cases: c }, events = 100_000) {
  const perSecond = (name) => events / c[name] * 1000;
  const js = perSecond('a. JS reducer (service.rehydrate)');
  const native = perSecond('b. native reducer');
  const parse = perSecond('d. JSON.parse + JS fold');
  const snapshots = c['c. native reducer, snapshots every 1,000'];
  return [
    ['rehydrate 100k events in memory (native / JS reducer)', `${thousands(native)} / ${thousands(js)} events/s`,
      `\`JSON.parse\` + fold ${thousands(parse)}`, `${ratio(native / parse)} / ${ratio(js / parse)}`],
    ['rehydrate with snapshots every 1,000', snapshots < 1 ? '< 1 ms' : ms(snapshots), '', ''],
  ];
}

function scaleRows({ events, results: { atomservices: ours, 'better-sqlite3': theirs } }) {
  const size = `${(events / 1e6).toLocaleString('en')}M`;
  return [
    [`a ${size}-event file store: open / RSS after open`, `${ms(ours.open.ms)} / ~${Math.round(ours.open.rssMiB)} MiB`,
      `better-sqlite3 ${ms(theirs.open.ms)} / ~${Math.round(theirs.open.rssMiB)} MiB`, ''],
    [`cold rehydration of 1,000 events in it`, ms(ours.rehydrate.ms), `better-sqlite3 ${ms(theirs.rehydrate.ms)}`,
      ratio(theirs.rehydrate.ms / ours.rehydrate.ms)],
    [`100 dispatchers at ${size} events / at 0`, `${thousands(ours.dispatchRate)} / ${thousands(ours.dispatchAtZero)} events/s`,
      `better-sqlite3 ${thousands(theirs.dispatchRate)} / ${thousands(theirs.dispatchAtZero)}`, ratio(ours.dispatchRate / theirs.dispatchRate)],
  ];
}

function packageRows(p) {
  return [
    ['package', `${kib(p.tarball)} tarball; a browser loads ${kib(p.browser.gzip)} gzip`, '', ''],
    ['import in Node until usable', `~${Math.round(p.loadMs.atomservices)} ms`, `Emmett ~${Math.round(p.loadMs['Emmett 0.42'])} ms`, ''],
  ];
}

function postgresRows({ eventsPerSecond: e, latency }) {
  const [ours, hand, emmett] = ['atomservices', 'hand-written pg', 'emmett'];
  const rate = (kind, name) => e[`${kind}: ${name}`];
  const row = (label, name) => [label, `${thousands(rate(ours, name))} events/s`,
    `hand-written \`pg\` ${thousands(rate(hand, name))}; Emmett ${thousands(rate(emmett, name))}`,
    `${ratio(rate(ours, name) / rate(hand, name))}; ${ratio(rate(ours, name) / rate(emmett, name))}`];
  const native = rate(ours, 'rehydrate 10k events (native reducer)');
  const js = rate(ours, 'rehydrate 10k events (JS reducer)');
  const handJs = rate(hand, 'rehydrate 10k events (JS reducer)');
  return [
    row('PostgreSQL, durable dispatch, 50 dispatchers', '50 dispatchers'),
    row('PostgreSQL, durable dispatch, 4 processes × 50 dispatchers', '4 processes × 50 dispatchers'),
    ['PostgreSQL, one dispatcher, latency', `p50 ${latency[ours].p50.toFixed(2)} ms, p99 ${latency[ours].p99.toFixed(1)} ms`,
      `hand-written \`pg\` p50 ${latency[hand].p50.toFixed(2)} ms; Emmett p50 ${latency[emmett].p50.toFixed(2)} ms`, ''],
    ['PostgreSQL, rehydrate a 10k-event aggregate (native / JS reducer)', `${thousands(native)} / ${thousands(js)} events/s`,
      `hand-written \`pg\` ${thousands(handJs)}; Emmett ${thousands(rate(emmett, 'rehydrate 10k events (JS reducer)'))}`,
      `${ratio(native / handJs)} / ${ratio(js / handJs)} (hand-written)`],
  ];
}

/** The table, from the saved figures; a benchmark never run leaves its rows out. */
export function performanceTable(results = loadResults()) {
  const sections = [
    [results.dispatch, dispatchRows], [results.browser, browserRows], [results.cold, coldRows],
    [results.rehydrate, rehydrateRows], [results.scale, scaleRows], [results.postgres, postgresRows], [results.package, packageRows],
  ];
  const rows = sections.flatMap(([data, make]) => (data ? make(data) : []));
  const machines = [...new Set(Object.values(results).map((r) => r.machine).filter(Boolean))];
  return [
    `Measured by \`npm run bench\` and \`npm run bench:browser\` on ${machines.join('; ')}; events of ~380 bytes.`,
    '',
    '| scenario | atomservices | beside it | ratio |',
    '| --- | ---: | --- | ---: |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

/** The README with its performance table made anew. */
export function readmeWithPerformance(readme, table = performanceTable()) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs ${START} and ${END} around its performance table`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, readmeWithPerformance(readFileSync(path, 'utf8')));
  console.log('README.md: performance table written from bench/results/');
}
