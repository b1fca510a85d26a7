// npm run bench: every Node benchmark, one after the other; each writes its section of
// bench/RESULTS.md and its figures to bench/results/, and the chart is redrawn at the end.
// The PostgreSQL one runs against the local server scripts/postgres.sh installs and starts
// (it needs root or sudo).
import { execFileSync } from 'node:child_process';

await import('./dispatch.mjs');
await import('./rehydrate.mjs');
await import('./cold.mjs');
await import('./package.mjs');
process.env.ATOMSERVICES_PG_URL ??= execFileSync('bash', [new URL('../scripts/postgres.sh', import.meta.url).pathname], { encoding: 'utf8' }).trim();
await import('./postgres.mjs');
await import('./chart.mjs');
