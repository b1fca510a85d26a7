// Subscriptions (catch-up then live, filters, starting points, checkpoints across restarts)
// and projections.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createService, FileEventStore } from 'atomservices';
import { accountEvents, memoryService, settle } from './helpers.mjs';
import { scratchDirectory } from './helpers-files.mjs';

const until = async (check, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('subscriptions', () => {
  it('catch up in global order, then deliver new events live', async () => {
    const service = memoryService();
    const a = accountEvents(3);
    const b = accountEvents(2);
    await service.dispatch(a.slice(0, 2));
    await service.dispatch(b);
    const seen = [];
    const stop = service.subscribe({}, (event, position) => { seen.push([position, event._id]); });
    await until(() => seen.length === 4);
    await service.dispatch(a[2]);
    await until(() => seen.length === 5);
    assert.deepEqual(seen.map(([p]) => p), [1, 2, 3, 4, 5]);
    assert.deepEqual(seen.map(([, id]) => id), [a[0], a[1], b[0], b[1], a[2]].map((e) => e._id));
    stop();
    await service.dispatch(accountEvents(1));
    await settle();
    assert.equal(seen.length, 5, 'nothing after unsubscribe');
    await service.close();
  });

  it('filter by EventName and AggregateType, and start at the end or at a position', async () => {
    const service = memoryService();
    await service.dispatch(accountEvents(4));  // positions 1..4: opened, 3 deposits
    const deposits = [];
    const fromEnd = [];
    const fromThree = [];
    const users = [];
    service.subscribe({ EventName: 'MoneyDeposited' }, (e, p) => { deposits.push(p); });
    service.subscribe({ from: 'end' }, (e, p) => { fromEnd.push(p); });
    service.subscribe({ from: 3 }, (e, p) => { fromThree.push(p); });
    service.subscribe({ AggregateType: 'User' }, (e, p) => { users.push(p); });
    await settle();
    await service.dispatch(accountEvents(1));  // position 5: an opening
    await until(() => fromEnd.length === 1);
    await settle();
    assert.deepEqual(deposits, [2, 3, 4]);
    assert.deepEqual(fromEnd, [5]);
    assert.deepEqual(fromThree, [3, 4, 5]);
    assert.deepEqual(users, []);
    await service.close();
  });

  it('report a failing handler to onError and stop there', async () => {
    const service = memoryService();
    await service.dispatch(accountEvents(3));
    const errors = [];
    service.onError((e) => errors.push(e));
    const seen = [];
    service.subscribe({}, (e, p) => { if (p === 2) throw new Error('mail server down'); seen.push(p); });
    await until(() => errors.length === 1);
    assert.deepEqual(seen, [1]);
    assert.equal(errors[0].code, 'HANDLER_FAILED');
    assert.match(errors[0].message, /position 2: mail server down/);
    await service.close();
  });

  it('refuse bad options', () => {
    const service = memoryService();
    for (const options of [null, { from: 0 }, { from: 'middle' }, { EventName: 5 }, { AggregateType: '' }, { name: 3 }, { form: 'start' }]) {
      assert.throws(() => service.subscribe(options, () => {}), { code: 'INVALID_ARGUMENT' }, JSON.stringify(options));
    }
    assert.throws(() => service.subscribe({}, 'not a function'), { code: 'INVALID_ARGUMENT' });
  });

  it('resume after their durable checkpoint when the process restarts (at least once)', async () => {
    const directory = scratchDirectory();
    const store = new FileEventStore({ directory });
    const writer = createService({ EventStore: store });
    const events = accountEvents(11);  // 1 opening + 10 deposits at positions 2..11
    await writer.dispatch(events);
    await writer.close();
    const child = fileURLToPath(new URL('./subscriber-child.mjs', import.meta.url));
    const run = (limit) => execFileSync(process.execPath, [child, directory, String(limit)], { encoding: 'utf8' })
      .trim().split('\n').map(Number);
    assert.deepEqual(run(5), [2, 3, 4, 5]);
    assert.deepEqual(run(11), [6, 7, 8, 9, 10, 11], 'the restarted subscription resumes after position 5');
  });

  it('resume after a kill without losing an event', async () => {
    const directory = scratchDirectory();
    const writer = createService({ EventStore: new FileEventStore({ directory }) });
    await writer.dispatch(accountEvents(401));  // deposits at positions 2..401
    await writer.close();
    const child = fileURLToPath(new URL('./subscriber-child.mjs', import.meta.url));
    const { spawn } = await import('node:child_process');
    const seen = new Set();
    const log = `${scratchDirectory('log-')}/handled.log`;
    writeFileSync(log, '');
    const handled = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
    const killed = spawn(process.execPath, [child, directory, '100000', log]);
    const exited = new Promise((resolve) => killed.on('exit', resolve));
    while (handled().length <= 50) await new Promise((resolve) => setTimeout(resolve, 2));
    killed.kill('SIGKILL');
    await exited;
    for (const p of handled()) seen.add(p);
    const output = execFileSync(process.execPath, [child, directory, '401'], { encoding: 'utf8', timeout: 20000 }).trim();
    const resumed = output === '' ? [] : output.split('\n').map(Number);
    for (const p of resumed) seen.add(p);
    if (resumed.length > 0) assert.equal(resumed.at(-1), 401);
    for (let p = 2; p <= 401; p++) assert.ok(seen.has(p), `position ${p} was never delivered`);
  });
});

describe('projections', () => {
  it('fold the log by key, stay current, and rebuild from scratch with progress', async () => {
    const service = memoryService();
    const a = accountEvents(3);
    const b = accountEvents(2);
    await service.dispatch([...a, ...b]);
    const balances = service.project({
      EventName: 'MoneyDeposited',
      reducer: (state, event) => ({ balance: state.balance + event.payloads.amount, deposits: state.deposits + 1 }),
      initialState: { balance: 0, deposits: 0 },
    });
    await balances.ready();
    assert.deepEqual(balances.get(a[0].AggregateID), { balance: 5, deposits: 2 });
    assert.deepEqual(balances.get(b[0].AggregateID), { balance: 2, deposits: 1 });
    assert.equal(balances.size, 2);
    await service.dispatch(accountEvents(4, a[0].AggregateID).slice(3).map((e) => ({ ...e })));
    await until(() => balances.get(a[0].AggregateID).deposits === 3);
    const progress = [];
    await balances.rebuild((p) => progress.push(p));
    assert.deepEqual(balances.get(a[0].AggregateID), { balance: 9, deposits: 3 });
    assert.deepEqual(progress.at(-1), { done: 6, total: 6 });
    const byOwner = service.project({ key: (e) => e.payloads.owner ?? 'nobody', EventName: 'AccountOpened', reducer: (n) => n + 1, initialState: 0 });
    await byOwner.ready();
    assert.equal(byOwner.get('ada'), 2);
    await balances.stop();
    await service.close();
  });

  it('refuse bad definitions', () => {
    const service = memoryService();
    for (const definition of [null, {}, { reducer: 1 }, { reducer: () => 0, key: 'id' }, { reducer: () => 0, EventName: 4 }]) {
      assert.throws(() => service.project(definition), { code: 'INVALID_ARGUMENT' });
    }
  });
});
