// Every TypeScript sample in the README, compiled under `tsc --strict --verbatimModuleSyntax`
// and run, in the blank app that installed the packed tarball. A sample is written as it
// stands in the README; what it assumes (a service, some events, a reducer) comes from a
// prelude chosen by the heading it is under, and an epilogue checks what it did. The samples
// of one heading chain (the quick start) form one program.
// Usage: node readme-samples.mjs README.md APP_DIRECTORY TSC TYPE_ROOTS (where @types/node is)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [readmePath, app, tsc, typeRoots] = process.argv.slice(2);

/** The README's ```ts blocks, each with the headings above it. */
function samples(markdown) {
  const found = [];
  const headings = {};
  let block;
  for (const line of markdown.split('\n')) {
    if (block) {
      if (line.startsWith('```')) { found.push(block); block = undefined; } else block.lines.push(line);
      continue;
    }
    const heading = /^(#{2,3}) (.*)$/.exec(line);
    if (heading) {
      headings[heading[1].length] = heading[2];
      if (heading[1].length === 2) delete headings[3];
    } else if (/^```ts\s*$/.test(line)) {
      block = { section: headings[2], heading: headings[3] ?? headings[2], lines: [] };
    }
  }
  return found.map((b) => ({ ...b, code: b.lines.join('\n') }));
}

// What the samples assume: an account domain, written against the package's namespace so it
// never clashes with a sample's own imports.
const domain = `import * as lib from 'atomservices';
import type * as types from 'atomservices';
interface AccountOpened extends types.IEvent<{ owner: string }> { EventName: 'AccountOpened' }
interface MoneyDeposited extends types.IEvent<{ amount: number }> { EventName: 'MoneyDeposited' }
const openAccount = lib.EventBuilder<AccountOpened>({ EventName: 'AccountOpened', AggregateType: 'Account' });
const deposit = lib.EventBuilder<MoneyDeposited>({ EventName: 'MoneyDeposited', AggregateType: 'Account' });
const opened = openAccount({ _version: 1, _createdBy: 'sample', payloads: { owner: 'ada' } });
const id = opened.AggregateID;
const accountId = id;
const deposited = deposit({ _version: 2, _createdBy: 'sample', AggregateID: id, payloads: { amount: 5 } });
const events = [opened, deposited];
function check(ok: boolean, what: string): void { if (!ok) throw new Error(\`README sample: \${what}\`); }
`;
const withService = `${domain}const service = lib.createService({ EventStore: new lib.MemoryEventStore() });
await service.dispatch(events);
`;
const closing = 'await service.close();\n';

/** Per heading: [prelude, epilogue]. A sample under a heading missing here fails the run. */
const contexts = {
  '1. Strong consistency': [`${domain}const service = lib.createService({ EventStore: new lib.MemoryEventStore() });
const myEvent = opened;
`, `check(await service.getVersion('Account', id) === 1, 'the event is stored');\n${closing}`],
  '2. Eventual consistency': [`${domain}const service = lib.createService({ EventStore: new lib.MemoryEventStore() });
const myEvent = opened;
`, `check(await service.getVersion('Account', id) === 1, 'the event is stored');\n${closing}`],
  'Quick start': [`import * as lib from 'atomservices';
const myEventStore = new lib.MemoryEventStore();
const welcomed: string[] = [];
const myHandler: lib.IEventHandler = { EventName: 'UserCreated', handle: (event) => { welcomed.push(String(event._id)); } };
`, `await new Promise((resolve) => setTimeout(resolve, 20));
if (welcomed.length !== 1) throw new Error('README sample: the handler ran once');
await service.close();
`],
  Rehydration: [`${withService}const reducer = (state: { balance: number }, event: types.IEvent) =>
  event.EventName === 'MoneyDeposited' ? { balance: state.balance + (event as MoneyDeposited).payloads.amount } : state;
const bar = { update(share: number): void { check(share >= 0 && share <= 1, 'progress is a share'); } };
`, `check(state.balance === (version === 2 ? 5 : 0), 'the state matches the version');\n${closing}`],
  'Subscriptions and projections': [`${withService}async function sendReceipt(event: MoneyDeposited): Promise<void> { check(event.payloads.amount === 5, 'the deposit'); }
`, `${closing}`],
  Upcasters: [`import { createService, MemoryEventStore } from 'atomservices';
`, `${closing}`],
  'Testing reducers and projections': [`${domain}interface AccountState { balance: number; owner?: string; tags?: string[]; stats?: { deposits: number }; updatedAt?: string }
const accountReducer = (state: AccountState, event: types.IEvent): AccountState => {
  if (event.EventName === 'AccountOpened') return { ...state, owner: (event as AccountOpened).payloads.owner };
  if (event.EventName === 'MoneyDeposited') return { ...state, balance: state.balance + (event as MoneyDeposited).payloads.amount };
  return state;
};
// The README's own NativeReducer (under Rehydration), as it stands there.
const account = new lib.NativeReducer<AccountState>({
  initialState: { balance: 0, tags: [] },
  on: {
    AccountOpened: [{ op: 'set', path: 'owner', from: 'payloads.owner' }],
    MoneyDeposited: [{ op: 'add', path: 'balance', from: 'payloads.amount' }, { op: 'increment', path: 'stats.deposits' }],
    MoneyWithdrawn: [{ op: 'subtract', path: 'balance', from: 'payloads.amount' }],
    Tagged: [{ op: 'push', path: 'tags', from: 'payloads.tag' }],
    '*': [{ op: 'set', path: 'updatedAt', from: '_createdAt' }],
  },
  snapshotEvery: 1000,
});
`, ''],
  PostgreSQL: [`import * as lib from 'atomservices';
process.env.DATABASE_URL ??= process.env.ATOMSERVICES_PG_URL;
if (!process.env.DATABASE_URL) throw new Error('README sample: set ATOMSERVICES_PG_URL (bash scripts/postgres.sh prints one)');
`, `await service.dispatch(lib.EventBuilder({ EventName: 'Sampled', AggregateType: 'ReadmeSample' })({ _version: 1, _createdBy: 'readme', payloads: {} }));
await service.close();
`],
};

/** One program per heading, or per section for the quick start's chain. */
function programs(found) {
  const units = new Map();
  for (const sample of found) {
    const key = sample.section === 'Quick start' ? 'Quick start' : sample.heading;
    if (!units.has(key)) units.set(key, []);
    units.get(key).push(sample.code);
  }
  // Samples under one heading that are not a chain each run on their own.
  return [...units].flatMap(([key, codes]) => {
    const context = contexts[key];
    if (!context) throw new Error(`the README sample under "${key}" has no prelude in tests/package/readme-samples.mjs: add one`);
    const [prelude, epilogue] = context;
    const joined = key === 'Quick start' ? [codes.join('\n')] : codes;
    return joined.map((code, i) => ({ name: `${key}${joined.length > 1 ? ` #${i + 1}` : ''}`, source: `${prelude}\n${code}\n${epilogue}export {};\n` }));
  });
}

const list = programs(samples(readFileSync(readmePath, 'utf8')));
const directory = join(app, 'readme');
mkdirSync(directory, { recursive: true });
const files = list.map((program, i) => {
  const file = join(directory, `sample-${String(i + 1).padStart(2, '0')}.ts`);
  writeFileSync(file, `// ${program.name}\n${program.source}`);
  return file;
});
execFileSync(tsc, ['--strict', '--verbatimModuleSyntax', '--target', 'es2022', '--lib', 'es2022,dom', '--types', 'node', '--typeRoots', typeRoots,
  '--module', 'nodenext', '--moduleResolution', 'nodenext', '--outDir', join(app, 'readme-out'), ...files], { stdio: 'inherit', cwd: app });
let failed = 0;
for (const [i, program] of list.entries()) {
  const out = join(app, 'readme-out', `sample-${String(i + 1).padStart(2, '0')}.js`);
  try {
    execFileSync(process.execPath, [out], { stdio: ['ignore', 'ignore', 'inherit'], cwd: app, timeout: 60000 });
  } catch (error) {
    failed++;
    console.error(`README sample "${program.name}" failed: ${error.message}`);
  }
}
console.log(`readme samples: ${list.length - failed} passed, ${failed} failed`);
if (failed) process.exit(1);
