// What the package costs before it does anything: its size (what npm downloads, what a
// browser downloads) and the time a Node process takes to import it, beside Emmett.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { machine, median, saveResults, writeSection } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const root = fileURLToPath(new URL('..', import.meta.url));
const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));

const files = (dir, ext) => readdirSync(join(root, dir)).filter((f) => f.endsWith(ext)).map((f) => join(root, dir, f));
const sizes = (paths) => {
  const bytes = paths.map((p) => readFileSync(p));
  return { raw: bytes.reduce((n, b) => n + b.length, 0), gzip: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) };
};
// What a browser loads: the web loader, the .wasm and the ES module build.
const browser = sizes([...files('dist/wasm', '.mjs'), ...files('dist/wasm', '.wasm'), ...files('dist/esm', '.js')]);
const wasm = sizes(files('dist/wasm', '.wasm'));

// Import time in a fresh process, until the module is usable (the core instantiated).
const importer = (specifier) => `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
const modules = { atomservices: 'atomservices', 'Emmett 0.42': '@event-driven-io/emmett' };
const loads = Object.fromEntries(Object.keys(modules).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, specifier] of Object.entries(modules)) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', importer(specifier)], { cwd: root, encoding: 'utf8' });
    loads[name].push(Number(out.trim()));
  }
}
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const loadMs = Object.fromEntries(Object.entries(loads).map(([name, ms]) => [name, median(ms)]));
const markdown = `## Package size and load time

${machine()}; import times are medians of ${ROUNDS} fresh processes.

| what | raw | gzip |
| --- | ---: | ---: |
| npm package (${packed.entryCount} files; the tarball) | ${kib(packed.unpackedSize)} | ${kib(packed.size)} |
| what a browser loads (web loader + .wasm + ES modules) | ${kib(browser.raw)} | ${kib(browser.gzip)} |
| of which the .wasm | ${kib(wasm.raw)} | ${kib(wasm.gzip)} |

| import in Node, until usable | ms |
| --- | ---: |
${Object.entries(loadMs).map(([name, ms]) => `| ${name} | ${ms.toFixed(0)} |`).join('\n')}`;
console.log(markdown);
writeSection('package', markdown);
saveResults('package', { tarball: packed.size, unpacked: packed.unpackedSize, browser, wasm, loadMs });
