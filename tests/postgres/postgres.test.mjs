// PostgresEventStore: the store conformance suite, rehydration, subscriptions across
// processes, many processes appending at once, and faults.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createService, NativeReducer } from 'atomservices';
import { PostgresEventStore } from 'atomservices/postgres';
import { storeConformance } from '../node/store-conformance.mjs';
import { accountEvents } from '../node/helpers.mjs';
import { oracle, randomCase } from '../node/reducer-oracle.mjs';
import { freshSchema, freshStore, url } from './helpers.mjs';

storeConformance('PostgresEventStore', () => freshStore(), { describe, it, beforeEach, afterEach, assert });

/** Restarts the local cluster (and only it), as scripts/postgres.sh started it; it runs again after. */
async function restartServer() {
  const [version, cluster] = (await promisify(execFile)('pg_lsclusters', ['--no-header'])).stdout.trim().split(/\s+/);
  const command = [...(process.getuid() === 0 ? [] : ['sudo']), 'pg_ctlcluster', version, cluster, 'restart'];
  await promisify(execFile)(command[0], command.slice(1));
}

/**
 * Runs writer-child.mjs in `processes` processes at once (with `during` alongside), then
 * checks that the store holds every acknowledged event once and nothing else, with dense
 * versions, and that every process's named subscription saw every event.
 */
async function writers(t, { processes, dispatchers, each, aggregates }, during = async () => {}) {
  const schema = freshSchema();
  const setup = new PostgresEventStore({ connectionString: url, schema, createSchema: true });
  await setup.createSchema();
  await setup.close();
  const child = fileURLToPath(new URL('./writer-child.mjs', import.meta.url));
  const total = processes * dispatchers * each;
  const runs = Promise.all(Array.from({ length: processes }, (_, i) => promisify(execFile)(process.execPath,
    [child, url, schema, ...[i, dispatchers, each, aggregates, total].map(String)], { timeout: 120000 })));
  await during(schema);
  const reports = (await runs).map(({ stdout }) => JSON.parse(stdout));
  const acknowledged = reports.flatMap((r) => r.acknowledged);
  const store = new PostgresEventStore({ connectionString: url, schema });
  const all = await store.readAll();
  const ids = all.map((x) => x.event._id);
  assert.equal(new Set(ids).size, ids.length, 'no event twice');
  assert.deepEqual([...acknowledged].sort(), [...ids].sort(), 'every acknowledged event, and nothing else');
  assert.equal(ids.length, total);
  for (let a = 0; a < aggregates; a++) {
    const versions = (await store.readStream('Account', `shared-${a}`)).map((e) => e._version);
    assert.deepEqual(versions, versions.map((_, i) => i + 1), 'dense versions');
  }
  for (const report of reports) assert.equal(report.seen, total, `process ${report.index}'s subscription saw every event`);
  t.diagnostic(`conflicts retried: ${reports.map((r) => r.conflicts).join('/')}; failures retried: ${reports.map((r) => r.failures).join('/')}`);
  return { reports, store };
}

describe('PostgresEventStore', () => {
  it('creates its schema idempotently and works over a pg.Pool you own', async () => {
    const pool = new pg.Pool({ connectionString: url });
    const schema = freshSchema();
    const store = new PostgresEventStore({ pool, schema });
    await store.createSchema();
    await store.createSchema();
    await store.append(accountEvents(2));
    assert.equal((await store.readAll()).length, 2);
    await store.close();
    assert.equal((await pool.query('select 1 as one')).rows[0].one, 1, 'the pool stays open');
    await pool.end();
  });

  it('rehydrates with native and JS reducers alike, with snapshots', async () => {
    const service = createService({ EventStore: freshStore() });
    for (let seed = 1; seed <= 10; seed++) {
      const { definition, events, AggregateID } = randomCase(seed, 30 + seed);
      await service.dispatch(events);
      const native = await service.rehydrate('Account', AggregateID, new NativeReducer({ ...definition, snapshotEvery: 7 }));
      const js = await service.rehydrate('Account', AggregateID, oracle(definition), definition.initialState);
      assert.deepEqual(native, js);
      assert.deepEqual(await service.rehydrate('Account', AggregateID, new NativeReducer({ ...definition, snapshotEvery: 7 })), js);
    }
    await service.close();
  });

  it('folds stored events natively as read, and calls a stored event changed outside atomservices STORE_CORRUPT', async () => {
    const EventStore = freshStore();
    const service = createService({ EventStore });
    const { definition, events, AggregateID } = randomCase(3, 40);
    await service.dispatch(events);
    const reducer = new NativeReducer(definition);
    assert.deepEqual(await service.rehydrate('Account', AggregateID, reducer), await service.rehydrate('Account', AggregateID, oracle(definition), definition.initialState));
    const pool = new pg.Pool({ connectionString: url });
    await pool.query(`UPDATE ${EventStore.schema}.atomservices_events SET body = '{"changed":true}' WHERE version = 7`);
    await pool.end();
    await assert.rejects(service.rehydrate('Account', AggregateID, reducer), { code: 'STORE_CORRUPT' });
    await service.close();
  });

  it('answers STORE_CLOSED to calls after close() once it was used, and close() waits for the calls in flight', async () => {
    const store = freshStore();
    await store.append(accountEvents(1));
    // More calls than the pool has connections, some still waiting for one when close() starts.
    const inFlight = Array.from({ length: 30 }, (_, i) => store.readStream('Account', `a-${i}`).then(() => 'read', (e) => e.code));
    const appending = Array.from({ length: 5 }, () => store.append(accountEvents(1)).then(() => 'stored', (e) => e.code));
    await store.close();
    for (const outcome of await Promise.all([...inFlight, ...appending])) assert.ok(['read', 'stored', 'STORE_CLOSED'].includes(outcome), outcome);
    for (const call of [() => store.append(accountEvents(1)), () => store.readAll(), () => store.getVersion('Account', 'a'), () => store.getCheckpoint('c')]) {
      await assert.rejects(call(), { code: 'STORE_CLOSED' });
    }
  });

  it('refuses bad options and reports an unreachable server as STORE_FAILURE with its cause', async () => {
    for (const options of [undefined, {}, { connectionString: '' }, { connectionString: url, pool: {} }, { pool: {} },
      { connectionString: url, schema: 'Robert"); drop table x; --' }, { connectionString: url, schema: 'user' },
      { connectionString: url, schema: 's'.repeat(38) }, { connectionString: url, createSchema: 'yes' }]) {
      assert.throws(() => new PostgresEventStore(options), { code: 'INVALID_ARGUMENT' });
    }
    const store = new PostgresEventStore({ connectionString: 'postgres://nobody:wrong@127.0.0.1:1/none', createSchema: true });
    const error = await store.append(accountEvents(1)).catch((e) => e);
    assert.equal(error.code, 'STORE_FAILURE');
    assert.ok(error.cause, 'the cause is attached');
    await store.close();
  });

  it('fails cleanly while the server is away, stores no partial batch, and recovers', async () => {
    const target = new URL(url);
    const sockets = new Set();
    let up = true;
    const proxy = createServer((client) => {
      if (!up) return client.destroy();
      const server = connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(server);
      client.pipe(server).pipe(client);
      const drop = () => { client.destroy(); server.destroy(); };
      client.on('error', drop); server.on('error', drop);
    });
    await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = new URL(url);
    proxied.port = String(proxy.address().port);
    const store = new PostgresEventStore({ connectionString: proxied.href, schema: freshSchema(), createSchema: true });
    await store.append(accountEvents(1));
    up = false;
    for (const socket of sockets) socket.destroy();
    const lost = accountEvents(3);
    const error = await store.append(lost).catch((e) => e);
    assert.equal(error.code, 'STORE_FAILURE');
    up = true;
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      recovered = await store.append(accountEvents(1)).then(() => true, () => false);
    }
    assert.ok(recovered, 'the store works again once the server is back');
    const all = (await store.readAll()).map((x) => x.event._id);
    assert.equal(all.length, 2);
    assert.ok(lost.every((e) => !all.includes(e._id)), 'nothing of the failed batch');
    await store.close();
    proxy.close();
  });

  it('is not held back by transactions that cannot add events, and is by one that can', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('CREATE DATABASE atomservices_other').catch((error) => {
      if (error.code !== '42P04') throw error;  // already there
    });
    await admin.end();
    const otherUrl = new URL(url);
    otherUrl.pathname = '/atomservices_other';
    // Open transactions that hold a transaction id: one in another database, one here that
    // never touches the events.
    const elsewhere = new pg.Client({ connectionString: otherUrl.href });
    const here = new pg.Client({ connectionString: url });
    for (const client of [elsewhere, here]) {
      await client.connect();
      await client.query('BEGIN');
      await client.query('SELECT pg_current_xact_id()');
    }
    const EventStore = freshStore();
    const service = createService({ EventStore });
    const seen = [];
    const stop = service.subscribe({ from: 'start' }, (event) => { seen.push(event._id); });
    const events = accountEvents(3);
    await service.dispatch(events);
    // Made after the dispatch, so catching up means handling these events.
    const counts = service.project({ key: (event) => event.AggregateID, reducer: (n) => n + 1, initialState: 0 });
    await counts.ready();
    assert.equal(counts.size, 1, 'the projection caught up');
    assert.equal(counts.get(events[0].AggregateID), 3);
    assert.equal(await EventStore.getLastPosition(), 3);
    assert.equal((await EventStore.readAll()).length, 3);
    for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, events.map((e) => e._id), 'the subscription got every event');

    // A transaction that read the events table and holds an id may still add events: what
    // commits after it stays hidden until it ends, so no reader skips a position.
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    await writer.query('BEGIN');
    await writer.query(`SELECT count(*) FROM ${EventStore.schema}.atomservices_events`);
    await writer.query('SELECT pg_current_xact_id()');
    await EventStore.append(accountEvents(1));
    assert.equal(await EventStore.getLastPosition(), 3, 'the newer event waits for the older transaction');
    await writer.query('COMMIT');
    assert.equal(await EventStore.getLastPosition(), 4);
    await writer.end();

    for (const client of [elsewhere, here]) {
      await client.query('ROLLBACK');
      await client.end();
    }
    stop();
    await service.close();
  });

  it('wakes the stores that watch, in any process, after a commit, and sends no NOTIFY when none watches', async () => {
    const schema = freshSchema();
    const notifies = [];
    const inner = new pg.Pool({ connectionString: url });
    // The writer's pool, counting the NOTIFY statements it is sent.
    const pool = {
      query(query, values) {
        if (typeof query === 'string' && query.includes('pg_notify')) notifies.push(query);
        return inner.query(query, values);
      },
      connect: () => inner.connect(),
      end: () => inner.end(),
    };
    const writer = new PostgresEventStore({ pool, schema, createSchema: true });
    const watcher = new PostgresEventStore({ connectionString: url, schema });
    let unwatch = () => {};
    try {
      await writer.append(accountEvents(2));
      assert.equal(notifies.length, 0, 'nobody watches: no NOTIFY');
      let wakes = 0;
      let woken;
      const listening = new Promise((resolve) => { woken = resolve; });
      unwatch = watcher.watch(() => { wakes++; woken(); });
      await listening;  // its first wake comes once it listens
      const before = wakes;
      const heard = new Promise((resolve) => { woken = resolve; });
      await writer.append(accountEvents(1));
      // Bounded, so that a lost announcement fails the test rather than hangs it.
      let timer;
      await Promise.race([heard, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('the watcher heard nothing in 10 s')), 10000); })])
        .finally(() => clearTimeout(timer));
      assert.ok(wakes > before, 'the watcher heard the append');
      assert.ok(notifies.length >= 1, 'the commit was announced');
    } finally {
      unwatch();
      await watcher.close();
      await writer.close();
      await inner.end();
    }
  });

  it('shows a dispatch at once to its aggregate\'s reads, and to global reads once every event before it committed', async () => {
    const store = freshStore();
    await Promise.all(Array.from({ length: 50 }, async (_, d) => {
      for (const event of accountEvents(8, `reader-${d}`)) {
        const { lastPosition } = await store.append([event]);
        assert.equal(await store.getVersion('Account', event.AggregateID), event._version, 'getVersion at once');
        assert.equal((await store.readStream('Account', event.AggregateID)).at(-1)._id, event._id, 'readStream at once');
        // Global reads show it once the groups that took earlier positions committed too.
        for (const started = Date.now(); await store.getLastPosition() < lastPosition;) {
          if (Date.now() - started > 10000) assert.fail(`position ${lastPosition} never became readable`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const [at] = await store.readAll({ fromPosition: lastPosition, limit: 1 });
        assert.equal(at.event._id, event._id, 'lastPosition is the position of this dispatch\'s event, in a group too');
      }
    }));
    await store.close();
  });

  it('stops listening once its last subscription stopped, and listens again for the next', async () => {
    const store = freshStore();
    const service = createService({ EventStore: store });
    await store.append(accountEvents(1));
    const probe = new pg.Pool({ connectionString: url });
    const listening = async () => Number((await probe.query('SELECT count(*) AS n FROM pg_stat_activity WHERE query = $1',
      [`LISTEN atomservices_${store.schema}`])).rows[0].n);
    // Bounded waits: the connection is opened and closed in the background.
    const until = async (want, what) => {
      for (const started = Date.now(); await listening() !== want;) {
        if (Date.now() - started > 10000) assert.fail(what);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      const stop = service.subscribe({}, () => {});
      await until(1, 'a subscription listens');
      stop();
      await until(0, 'no connection listens once the last subscription stopped');
      const seen = [];
      const again = service.subscribe({}, (event) => { seen.push(event._id); });
      await until(1, 'the next subscription listens again');
      const [next] = accountEvents(1);
      const other = new PostgresEventStore({ connectionString: url, schema: store.schema });
      await other.append([next]);
      await other.close();
      for (const started = Date.now(); !seen.includes(next._id);) {
        if (Date.now() - started > 10000) assert.fail('the new subscription hears another store\'s append');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      again();
    } finally {
      await service.close();
      await probe.end();
    }
  });

  it('never lets a reader pass an event that commits after it, however often it reads while writers commit', async () => {
    // The window is short: a writer that has just committed drops its locks one at a time, and
    // a reader that catches it between two must still wait for it. Readers read without pause
    // while 3 × 30 dispatchers commit one event each at a time; each reader goes on from the
    // last position it saw, as a subscription does, and must end with every event.
    const schema = freshSchema();
    const writers = Array.from({ length: 3 }, () => new PostgresEventStore({ connectionString: url, schema }));
    await writers[0].createSchema();
    const each = 15;
    let writing = true;
    const written = Promise.all(writers.flatMap((store, s) => Array.from({ length: 30 }, async (_, d) => {
      for (const event of accountEvents(each, `w${s}-${d}`)) await store.append([event]);
    }))).finally(() => { writing = false; });
    const follow = async () => {
      const reader = new PostgresEventStore({ connectionString: url, schema });
      const seen = [];
      for (let from = 1, last = false; !last;) {
        last = !writing;  // one read more after the writers are done
        const page = await reader.readAll({ fromPosition: from });
        for (const { position } of page) seen.push(position);
        if (page.length > 0) from = page.at(-1).position + 1;
      }
      await reader.close();
      return seen;
    };
    const [, ...followed] = await Promise.all([written, follow(), follow(), follow()]);
    const all = (await writers[0].readAll()).map((x) => x.position);
    assert.equal(all.length, 3 * 30 * each);
    for (const seen of followed) assert.deepEqual(seen, all, 'a reader saw every event, in order');
    for (const store of writers) await store.close();
  });

  it('keeps every event exactly once with 8 processes × 50 dispatchers on shared aggregates, and every named subscription sees all', async (t) => {
    const { reports, store } = await writers(t, { processes: 8, dispatchers: 50, each: 3, aggregates: 40 });
    assert.ok(reports.some((r) => r.conflicts > 0), 'writers raced for the same versions');
    await store.close();
  });

  it('keeps every guarantee while the server restarts mid-run', async (t) => {
    const { reports, store } = await writers(t, { processes: 4, dispatchers: 20, each: 10, aggregates: 20 }, async (schema) => {
      const pool = new pg.Pool({ connectionString: url });
      pool.on('error', () => {});
      // Restart once a tenth of the events are in, while the writers are busy.
      for (let stored = 0; stored < 80; await new Promise((r) => setTimeout(r, 20))) {
        stored = Number((await pool.query(`SELECT count(*) AS n FROM ${schema}.atomservices_events`)).rows[0].n);
      }
      await pool.end();
      await restartServer();
    });
    assert.ok(reports.some((r) => r.failures > 0), 'the restart hit dispatches in flight');
    await store.close();
  });

  it('runs handlers only for the new events of a batch that retries some, when another dispatch shares its group', async () => {
    const store = freshStore();
    const handled = [];
    const service = createService({ EventStore: store, EventHandlers: [{ EventName: '*', handle: (e) => { handled.push(e._id); } }] });
    const [stored, ...fresh] = accountEvents(3, 'mixed');
    await new Promise((resolve) => service.dispatch([stored], resolve));  // its handler done too
    handled.length = 0;
    const [before, after] = [accountEvents(3, 'before'), accountEvents(3, 'after')];
    const others = [...before, ...after];
    const paced = accountEvents(1, 'pacer');
    const pacer = service.dispatch(paced);  // in flight: the next three travel together after it
    // The mixed batch between two others, so its new events are not the group's newest.
    await Promise.all([pacer, service.dispatch(before), service.dispatch([stored, ...fresh]), service.dispatch(after)]);
    await new Promise((resolve) => setTimeout(resolve, 50));  // eventual handlers start after the dispatches resolved
    assert.deepEqual(handled.sort(), [...paced, ...fresh, ...others].map((e) => e._id).sort(),
      'each new event handled once, the retried one not at all');
    await service.close();
  });

  it('stores the dispatches of a group that can be stored and refuses only the others, each with its own error', async () => {
    // A pool that holds the first calls back, so the later dispatches wait and travel as one group.
    const inner = new pg.Pool({ connectionString: url });
    const groups = [];
    let holding = false;
    let open;
    const gate = new Promise((resolve) => { open = resolve; });
    const pool = {
      async query(query, values) {
        // A group a unique index refused is sent again, careful ($3): that is the same group.
        if (typeof query === 'object' && query.text.includes('atomservices_append_group') && !query.values[2]) {
          // Each call's dispatches, by the aggregate of their first event.
          let at = 0;
          groups.push(query.values[0].map((count) => {
            const rows = query.values[1].split('\x1e');
            const aggregate = rows[at].split('\x1f')[2];
            at += count;
            return aggregate;
          }));
          if (holding && groups.length <= 4) await gate;
        }
        return inner.query(query, values);
      },
      connect: () => inner.connect(),
      end: () => inner.end(),
    };
    const store = new PostgresEventStore({ pool, schema: freshSchema(), createSchema: true });
    const [taken] = accountEvents(1, 'taken');
    await store.append([taken]);
    groups.length = 0;
    holding = true;
    const pacers = Array.from({ length: 4 }, (_, i) => store.append(accountEvents(1, `pacer-${i}`)));
    const good = Array.from({ length: 6 }, (_, i) => accountEvents(2, `good-${i}`));
    const conflicting = accountEvents(1, 'taken');  // version 1 again
    const halfBad = [...accountEvents(2, 'half'), { ...accountEvents(3, 'half')[2], _version: 4 }];
    const reused = [{ ...accountEvents(1, 'other')[0], _id: taken._id }];
    const retried = [taken];
    // Each refused dispatch between two that can be stored, so that whichever way the waiting
    // dispatches are split into calls, each refused one travels with one stored.
    const sent = [good[0], conflicting, good[1], halfBad, good[2], reused, good[3], retried, good[4], good[5]];
    const results = sent.map((events) => store.append(events).then((r) => r, (e) => e));
    open();
    await Promise.all(pacers);
    const [g0, conflict, g1, half, g2, duplicate, g3, retry, g4, g5] = await Promise.all(results);
    assert.equal(groups.flat().length, 14, 'every dispatch went once');
    for (const refused of ['taken', 'half', 'other']) {
      assert.ok(groups.some((g) => g.includes(refused) && g.some((a) => a.startsWith('good-'))),
        `${refused} went in one call with dispatches that were stored (calls: ${groups.map((g) => g.join(' ')).join(' | ')})`);
    }
    for (const r of [g0, g1, g2, g3, g4, g5]) assert.equal(r.appended, 2);
    assert.equal(conflict.code, 'CONCURRENCY_CONFLICT');
    assert.equal(conflict.actualVersion, 1);
    assert.equal(half.code, 'CONCURRENCY_CONFLICT');
    assert.equal(half.index, 2);
    assert.equal(duplicate.code, 'DUPLICATE_EVENT_ID');
    assert.equal(retry.appended, 0, 'a retried event is a no-op');
    const stored = (await store.readAll()).map((x) => x.event.AggregateID);
    assert.equal(stored.length, 1 + 4 + 12);
    assert.ok(!stored.includes('half') && !stored.includes('other'), 'nothing of a refused dispatch');
    for (let i = 0; i < 6; i++) assert.deepEqual((await store.readStream('Account', `good-${i}`)).map((e) => e._version), [1, 2]);
    await store.close();
    await inner.end();
  });
});
