// Draws bench/chart.svg from the saved results: each target's measured ratio as a share of
// what it asks for, on a log scale, so that every bar crossing the line is a target met.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadResults } from './lib.mjs';

const results = loadResults();
const targets = Object.entries(results).flatMap(([bench, r]) => (r.targets ?? []).map((t) => ({ bench, ...t })));
const WIDTH = 1200;
const LABEL = 600;
const ROW = 26;
const TOP = 46;
const span = [Math.log10(0.01), Math.log10(100)];  // 1/100 .. 100 times the target
const x = (share) => LABEL + ((Math.log10(Math.min(Math.max(share, 0.01), 100)) - span[0]) / (span[1] - span[0])) * (WIDTH - LABEL - 170);
const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const rows = targets.map((t, i) => {
  const y = TOP + i * ROW;
  const share = t.measured / t.wanted;
  const colour = share >= 1 ? '#2f855a' : '#c05621';
  return `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end">${escape(`${t.bench}: ${t.name}`)}</text>
<rect x="${x(0.01)}" y="${y + 3}" width="${(x(share) - x(0.01)).toFixed(1)}" height="16" fill="${colour}"/>
<text x="${(x(share) + 4).toFixed(1)}" y="${y + 15}">${t.measured.toFixed(2)}× (wants ≥ ${t.wanted}×)</text>`;
});
const height = TOP + targets.length * ROW + 30;
const ticks = [0.01, 0.1, 1, 10, 100].map((v) => `<line x1="${x(v)}" y1="${TOP - 6}" x2="${x(v)}" y2="${height - 24}" stroke="${v === 1 ? '#000' : '#ccc'}"/>
<text x="${x(v)}" y="${height - 8}" text-anchor="middle">${v}× target</text>`);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">atomservices performance targets: measured ratio over wanted ratio (log scale; right of the line = met)</text>
${ticks.join('\n')}
${rows.join('\n')}
</svg>
`;
writeFileSync(new URL('./chart.svg', import.meta.url), svg);
console.log(`bench/chart.svg: ${targets.length} targets, ${targets.filter((t) => t.measured >= t.wanted).length} met`);

// The README's table comes from the same saved figures.
await import('./readme-table.mjs').then(({ readmeWithPerformance }) => {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, readmeWithPerformance(readFileSync(path, 'utf8')));
});
