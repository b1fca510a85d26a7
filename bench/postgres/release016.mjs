// The 0.16.0 package, the baseline its issue measured rehydration against: built once from
// this repository's history into bench/.release-0.16.0/ (ignored by git), then imported
// beside the current package. Undefined, with the reason on stderr, when it cannot be built
// (a clone without that commit, say); the benchmark then measures 0.16.0's queries instead.
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const COMMIT = 'a959c7d';  // the last commit of 0.16.0
const root = fileURLToPath(new URL('../..', import.meta.url));
const directory = join(root, 'bench', '.release-0.16.0');

function build() {
  if (!existsSync(directory)) {
    execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', '--force', directory, COMMIT], { stdio: 'ignore' });
  }
  if (!existsSync(join(directory, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'));
  console.error('bench: building the 0.16.0 package for the baseline (once)');
  execFileSync('bash', ['scripts/build.sh'], { cwd: directory, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function release016() {
  try {
    if (!existsSync(join(directory, 'dist', 'postgres.mjs'))) build();
    const { createService } = await import(pathToFileURL(join(directory, 'dist', 'node.mjs')).href);
    const { PostgresEventStore } = await import(pathToFileURL(join(directory, 'dist', 'postgres.mjs')).href);
    return { createService, PostgresEventStore };
  } catch (error) {
    console.error(`bench: no 0.16.0 package (${error.message.split('\n')[0]}); its queries stand in for it`);
    return undefined;
  }
}
