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

  it('refuses bad options and reports an unreachable server as STORE_FAILURE with its cause', async () => {
    for (const options of [undefined, {}, { connectionString: '' }, { connectionString: url, pool: {} }, { pool: {} },
      { connectionString: url, schema: 'Robert"); drop table x; --' }, { connectionString: url, createSchema: 'yes' }]) {
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

  it(`keeps every event exactly once with 4 processes appending to shared aggregates, and every named subscription sees all`, async (t) => {
    const schema = freshSchema();
    const setup = new PostgresEventStore({ connectionString: url, schema, createSchema: true });
    await setup.createSchema();
    await setup.close();
    const child = fileURLToPath(new URL('./writer-child.mjs', import.meta.url));
    const PROCESSES = 4;
    const EACH = 60;
    const runs = await Promise.all(Array.from({ length: PROCESSES }, (_, i) =>
      promisify(execFile)(process.execPath, [child, url, schema, String(i), String(EACH), String(PROCESSES * EACH)], { timeout: 60000 })));
    const reports = runs.map(({ stdout }) => JSON.parse(stdout));
    const acknowledged = reports.flatMap((r) => r.acknowledged);
    const store = new PostgresEventStore({ connectionString: url, schema });
    const all = await store.readAll();
    const ids = all.map((x) => x.event._id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    assert.deepEqual([...acknowledged].sort(), [...ids].sort(), 'every acknowledged event, and nothing else');
    for (let a = 0; a < 3; a++) {
      const versions = (await store.readStream('Account', `shared-${a}`)).map((e) => e._version);
      assert.deepEqual(versions, versions.map((_, i) => i + 1), 'dense versions');
    }
    for (const report of reports) assert.equal(report.seen, PROCESSES * EACH, `process ${report.index}'s subscription saw every event`);
    t.diagnostic(`conflicts retried: ${reports.map((r) => r.conflicts).join('/')}`);
    await store.close();
  });
});
