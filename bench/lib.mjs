// Shared bench helpers: interleaved repetitions, medians, ratios, and the results file.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs each case once untimed, then once per round, rounds interleaved; returns the median ms per case. */
export async function interleaved(cases, rounds) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (const run of Object.values(cases)) await run();  // warm-up: let the JIT compile every case first
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const started = performance.now();
      await run();
      samples[name].push(performance.now() - started);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, ms]) => [name, median(ms)]));
}

export function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces the section between <!-- name:start --> and <!-- name:end --> in RESULTS.md. */
export function writeSection(name, markdown) {
  const path = new URL('./RESULTS.md', import.meta.url);
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n\nWritten by `npm run bench`; each table comes from one run, its cases interleaved.\n';
  const block = `${start}\n${markdown.trim()}\n${end}`;
  text = text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), block) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, text);
}

const resultsDirectory = new URL('./results/', import.meta.url);

/** Keeps a benchmark's figures as JSON beside RESULTS.md, for the chart. */
export function saveResults(name, data) {
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(new URL(`${name}.json`, resultsDirectory), `${JSON.stringify({ machine: machine(), ...data }, null, 2)}\n`);
}

/** Every saved benchmark's figures, by name. */
export function loadResults() {
  if (!existsSync(resultsDirectory)) return {};
  return Object.fromEntries(readdirSync(resultsDirectory).filter((f) => f.endsWith('.json'))
    .map((f) => [f.slice(0, -5), JSON.parse(readFileSync(new URL(f, resultsDirectory), 'utf8'))]));
}
