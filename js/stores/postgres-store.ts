// PostgreSQL: an IEventStore that many Node processes share. The database enforces the
// rules: dense versions checked in a server-side function and guarded by a unique index,
// idempotent retries by _id, each dispatch all-or-nothing. Dispatches made at the same time
// share one call of that function and one commit (group commit, postgres-groups.ts). Global
// order for readers: events are numbered by a sequence in the order of their transactions,
// and a read returns only events whose transaction is older than every transaction still
// able to add events (horizonSql), so an event that commits after a later-numbered one is
// never skipped by a subscription.
import { callCore, callCoreText, checkName, coreError, readsStreamText, validatesEvents, writeInput, type CoreValidating, type StreamTextReader } from '../core/core.js';
import { encode, encodeEvents, encodeRequest } from '../core/encode.js';
import { AtomServicesError, asStoreError, invalidArgument, storeClosed } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';
import { AppendGroups, type GroupAnswer } from './postgres-groups.js';
import { horizonSql, isSchemaName, LISTENERS_LOCK, schemaSql } from './postgres-schema.js';
import type { AppendResult, IEvent, IEventStore, PositionedEvent, ReadAllOptions, ReadStreamOptions, Snapshot } from '../types.js';

/** The parts of a pg.Pool the store uses (so the typings need no @types/pg). */
export interface PgPool {
  query(text: string | PgQuery, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on?(event: 'error', listener: () => void): unknown;
}

/** A named (prepared) statement, as pg takes it; rows as arrays with rowMode 'array'. */
export interface PgQuery {
  name: string;
  text: string;
  values: unknown[];
  rowMode?: 'array';
}

export interface PgClient {
  query(text: string): Promise<unknown>;
  on(event: 'notification' | 'error', listener: () => void): unknown;
  /** `true` closes the connection instead of returning it to the pool. */
  release(destroy?: boolean): void;
}

export interface PostgresEventStoreOptions {
  /** A connection string (the npm package `pg` must be installed), or... */
  connectionString?: string;
  /** ...a pg.Pool you own (not ended by close()). */
  pool?: PgPool;
  /** The schema holding the store's tables: a lowercase identifier of at most 37 characters, no reserved word (default "public"). */
  schema?: string;
  /** Create the tables and functions on first use (idempotent). Default false: call createSchema(). */
  createSchema?: boolean;
}

// Rows as objects by column, or as arrays (rowMode 'array').
/** How long an idempotent statement is tried again after losing its connection, and how often. */
const RETRY_MS = 20_000;
const RETRY_PAUSE_MS = 100;

/** True when the error says the connection or the server went away, not that the statement failed. */
function lostConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (/^(08|57P0)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))) return true;
  return error instanceof Error && /connection terminated|not queryable|connection timeout/i.test(error.message);
}

interface Row { [column: string | number]: unknown }

/** One dispatch's events, as the core writes them for the server (see atomservices_append_group). */
interface EventRows {
  rows: string;
  count: number;
  bytes: number;
  /** The aggregates it appends to. */
  streams: string[];
}

/** The aggregates events append to, each once. */
function streamsOf(events: readonly IEvent[]): string[] {
  if (events.length === 1) return [`${events[0]!.AggregateType}\x1f${events[0]!.AggregateID}`];
  return [...new Set(events.map((e) => `${e.AggregateType}\x1f${e.AggregateID}`))];
}

/** An event's columns: _id, AggregateType, AggregateID, _version. */
function columns({ rows }: EventRows, index: number): [id: string, type: string, aggregate: string, version: number] {
  const [id, type, aggregate, version] = rows.split('\x1e')[index]!.split('\x1f');
  return [id!, type!, aggregate!, Number(version)];
}

export class PostgresEventStore implements IEventStore, CoreValidating, StreamTextReader {
  readonly [validatesEvents] = true as const;
  readonly schema: string;
  readonly #pool: PgPool;
  readonly #ownsPool: boolean;
  readonly #createSchema: boolean;
  #ready: Promise<void> | undefined;
  #closed = false;
  #listener: { client: Promise<PgClient> | undefined; listeners: Set<() => void> } | undefined;
  #announcing = false;
  #announceAgain = false;
  /** Statements in flight, settled or not: close() waits for them. */
  readonly #pending = new Set<Promise<void>>();
  readonly #groups = new AppendGroups<EventRows>((batches) => this.#appendGroup(batches));

  constructor(options: PostgresEventStoreOptions) {
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object { connectionString } or { pool }');
    checkOptionKeys(options, 'options', ['connectionString', 'pool', 'schema', 'createSchema'], 'a PostgresEventStore option');
    const { connectionString, pool, schema = 'public', createSchema = false } = options;
    if ((connectionString === undefined) === (pool === undefined)) throw invalidArgument('options', 'needs exactly one of connectionString and pool');
    if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString === '')) {
      throw invalidArgument('options.connectionString', 'must be a non-empty string like postgres://user:password@host:5432/database');
    }
    if (pool !== undefined && (typeof pool !== 'object' || pool === null || typeof (pool as PgPool).query !== 'function')) {
      throw invalidArgument('options.pool', 'must be a pg.Pool');
    }
    if (!isSchemaName(schema)) {
      throw invalidArgument('options.schema', 'must be a lowercase SQL identifier of at most 37 characters and no reserved word, like "public" or "events_2"');
    }
    if (typeof createSchema !== 'boolean') throw invalidArgument('options.createSchema', 'must be true or false');
    this.schema = schema;
    this.#createSchema = createSchema;
    this.#ownsPool = pool === undefined;
    this.#pool = pool ?? PostgresEventStore.#newPool(connectionString as string);
    // An idle connection the server closed (a restart) is dropped by the pool, and the next
    // statement opens a new one; unheard, its error would end the process.
    if (this.#ownsPool) this.#pool.on?.('error', () => {});
  }

  static #newPool(connectionString: string): PgPool {
    let pg: { Pool: new (options: { connectionString: string }) => PgPool };
    try {
      pg = require('pg');
    } catch (error) {
      throw new AtomServicesError('INVALID_ARGUMENT', 'PostgresEventStore needs the npm package pg: npm install pg', {}, error);
    }
    return new pg.Pool({ connectionString });
  }

  /** Creates the store's schema, tables and function; safe to call again. */
  async createSchema(): Promise<void> {
    await this.#query(schemaSql(this.schema), undefined, false);
  }

  /**
   * Runs a statement. Every statement but the schema's is idempotent (reads, upserts), so
   * one that lost its connection (the server restarting, say) is tried again for a while.
   */
  async #query(text: string | PgQuery, values?: unknown[], retry = true): Promise<Row[]> {
    for (const started = Date.now(); ;) {
      if (this.#closed) throw storeClosed('event store');
      try {
        return (await this.#send(text, values)).rows;
      } catch (error) {
        if (!retry || !lostConnection(error) || Date.now() - started > RETRY_MS) throw this.#translate(error);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }

  /**
   * Every statement goes through here, so that close() can wait for them before it ends the
   * pool (pg's pool, once ended, never answers the calls still waiting for a connection).
   */
  #send(text: string | PgQuery, values?: unknown[]): Promise<{ rows: Row[] }> {
    const sent = this.#pool.query(text, values);
    const settled = sent.then(() => {}, () => {});
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return sent;
  }

  #translate(error: unknown): AtomServicesError {
    if (error instanceof AtomServicesError) return error;  // STORE_CLOSED, say
    const text = error instanceof Error ? error.message : String(error);
    return asStoreError(new AtomServicesError('STORE_FAILURE', `PostgreSQL: ${text}`, {}, error));
  }

  #open(): Promise<void> {
    this.#ready ??= (this.#createSchema ? this.createSchema() : Promise.resolve()).catch((error) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  get #events(): string {
    return `${this.schema}.atomservices_events`;
  }

  async append(events: readonly IEvent[]): Promise<AppendResult> {
    if (!Array.isArray(events)) throw invalidArgument('events', 'must be an array of events');
    const json = encodeEvents(events);
    const rows = callCoreText((core) => core.eventRows(writeInput(core, json)));
    await this.#open();
    if (events.length === 0) return { appended: 0, lastPosition: await this.getLastPosition() };
    const batch: EventRows = { rows, count: events.length, bytes: rows.length, streams: streamsOf(events) };
    for (let attempt = 0; ; attempt++) {
      const { outcome, last, newest } = await this.#groups.add(batch).catch((error) => { throw this.#translate(error); });
      if (outcome === undefined || typeof outcome === 'number') {
        const appended = outcome ?? batch.count;
        // Some were stored before (a retry mixed with new events): the caller reads the new
        // ones back by position, so it gets their position once readers see them.
        const mixed = appended > 0 && appended < batch.count;
        return { appended, lastPosition: mixed ? await this.#readable(events, newest) : newest ?? last };
      }
      const [code, detail] = outcome;
      if (code === 'AS001') throw this.#duplicate(columns(batch, Number(detail)), Number(detail));
      if (code === 'AS002') {
        const [index, actual] = detail.split(':').map(Number);
        throw this.#conflict(columns(batch, index!), index!, actual!);
      }
      // A concurrent append took the same _id or version first: decide again, once, against it.
      if (attempt === 0) continue;
      const first = columns(batch, 0);
      throw this.#conflict(first, 0, await this.getVersion(first[1], first[2]));
    }
  }

  /**
   * The position of the newest of these events (`newest`, as the server answered, else read),
   * once readers see it: groups commit side by side, so one that took earlier positions may
   * still be committing.
   */
  async #readable(events: readonly IEvent[], newest: number | undefined): Promise<number> {
    const position = newest ?? Number((await this.#query(`SELECT max(position) AS position FROM ${this.#events} WHERE event_id = ANY($1::uuid[])`,
      [events.map((event) => event._id)]))[0]!.position);
    // Pauses that grow: a long transaction that touched the events table holds readers back.
    for (let pause = 2; await this.getLastPosition() < position; pause = Math.min(pause * 2, 100)) {
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    return position;
  }

  /** Sends a group of dispatches in one call of the server function (a prepared statement). */
  async #appendGroup(batches: readonly EventRows[]): Promise<GroupAnswer> {
    if (this.#closed) throw storeClosed('event store');
    const values = [batches.map((b) => b.count), batches.map((b) => b.rows).join('\x1e'), false];
    const call = async () => (await this.#send({
      name: `atomservices_append_group_${this.schema}`,
      text: `SELECT ${this.schema}.atomservices_append_group($1, $2, $3) AS answer`,
      values,
    })).rows[0]!.answer as GroupAnswer;
    let answer: GroupAnswer | undefined;
    try {
      try {
        answer = await call();
      } catch (error) {
        // A unique index refused the group (an event stored before, most likely a retry):
        // once more, careful, so that each dispatch gets its own answer.
        if ((error as { code?: unknown } | null)?.code !== '23505') throw error;
        values[2] = true;
        answer = await call();
      }
      return answer;
    } finally {
      // Also when the group stored nothing: while it was open, readers held back the events
      // of groups that committed after it took its positions; they can read them now.
      if (answer?.listened !== false) this.#announce();
    }
  }

  /**
   * Wakes the listeners of every process (LISTEN/NOTIFY) after a group committed, in a
   * statement of its own: a transaction that notifies holds a lock of the whole database
   * through its commit, so groups that notified would commit one at a time, in every process.
   * At most one announcement is in flight; groups that commit meanwhile get one more after
   * it. (A process that ends in between leaves the listeners to their poll.)
   */
  #announce(): void {
    if (this.#closed) return;
    if (this.#announcing) {
      this.#announceAgain = true;
      return;
    }
    this.#announcing = true;
    void this.#send(`SELECT pg_notify('atomservices_${this.schema}', '')`).catch(() => {}).finally(() => {
      this.#announcing = false;
      if (!this.#announceAgain) return;
      this.#announceAgain = false;
      this.#announce();
    });
  }

  // The core's own errors, as every other store refuses with them.
  #duplicate([id]: ReturnType<typeof columns>, index: number): AtomServicesError {
    return coreError((core) => core.throwDuplicate(index, id));
  }

  #conflict([, AggregateType, AggregateID, version]: ReturnType<typeof columns>, index: number, actual: number): AtomServicesError {
    return coreError((core) => core.throwConflict(index, AggregateType, AggregateID, version, actual));
  }

  async readStream(AggregateType: string, AggregateID: string, options: ReadStreamOptions = {}): Promise<IEvent[]> {
    return (await this.#streamRows(AggregateType, AggregateID, options)).map((r) => JSON.parse(r[0] as string));
  }

  /** A page of a stream as the JSON text of an array of the stored events (for a native fold). */
  async [readsStreamText](AggregateType: string, AggregateID: string, options: ReadStreamOptions = {}): Promise<string> {
    return `[${(await this.#streamRows(AggregateType, AggregateID, options)).map((r) => r[0]).join(',')}]`;
  }

  async #streamRows(AggregateType: string, AggregateID: string, options: ReadStreamOptions): Promise<Row[]> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID, options })));
    await this.#open();
    const { fromVersion = 1, toVersion = Number.MAX_SAFE_INTEGER, limit = null, direction = 'forward' } = options;
    const order = direction === 'backward' ? 'DESC' : 'ASC';
    return this.#query({
      name: `atomservices_stream_${order}_${this.schema}`,
      text: `SELECT body FROM ${this.#events} WHERE aggregate_type = $1 AND aggregate_id = $2 AND version BETWEEN $3 AND $4
        ORDER BY version ${order} LIMIT $5`,
      values: [AggregateType, AggregateID, fromVersion, toVersion, limit],
      rowMode: 'array',
    });
  }

  async readAll(options: ReadAllOptions = {}): Promise<PositionedEvent[]> {
    callCore((core) => core.checkGlobalQuery(encodeRequest(options)));
    await this.#open();
    const { fromPosition = 1, limit = null } = options;
    const rows = await this.#query({
      name: `atomservices_all_${this.schema}`,
      text: `SELECT position, body FROM ${this.#events} WHERE position >= $1 AND transaction_id < ${horizonSql(this.#events)}
        ORDER BY position LIMIT $2`,
      values: [fromPosition, limit],
      rowMode: 'array',
    });
    return rows.map((r) => ({ position: Number(r[0]), event: JSON.parse(r[1] as string) }));
  }

  async getVersion(AggregateType: string, AggregateID: string): Promise<number> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID })));
    await this.#open();
    const [row] = await this.#query(`SELECT COALESCE(max(version), 0) AS v FROM ${this.#events} WHERE aggregate_type = $1 AND aggregate_id = $2`,
      [AggregateType, AggregateID]);
    return Number(row!.v);
  }

  async getEvent(_id: string): Promise<IEvent | undefined> {
    if (typeof _id !== 'string') throw invalidArgument('_id', 'must be a string');
    await this.#open();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(_id)) return undefined;
    const [row] = await this.#query(`SELECT body FROM ${this.#events} WHERE event_id = $1`, [_id]);
    return row ? JSON.parse(row.body as string) : undefined;
  }

  async getLastPosition(): Promise<number> {
    await this.#open();
    const [row] = await this.#query(`SELECT COALESCE(max(position), 0) AS p FROM ${this.#events}
      WHERE transaction_id < ${horizonSql(this.#events)}`);
    return Number(row!.p);
  }

  async getSnapshot(key: string, AggregateType: string, AggregateID: string, maxVersion?: number): Promise<Snapshot | undefined> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID })));
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    await this.#open();
    const [row] = await this.#query(`SELECT version, state FROM ${this.schema}.atomservices_snapshots
      WHERE key = $1 AND aggregate_type = $2 AND aggregate_id = $3 AND version <= $4 ORDER BY version DESC LIMIT 1`,
    [key, AggregateType, AggregateID, maxVersion ?? Number.MAX_SAFE_INTEGER]);
    return row ? { version: Number(row.version), state: JSON.parse(row.state as string) } : undefined;
  }

  async putSnapshot(key: string, AggregateType: string, AggregateID: string, version: number, state: unknown): Promise<void> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID })));
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    if (!Number.isSafeInteger(version) || version < 1) throw invalidArgument('version', 'must be an integer ≥ 1');
    const json = encode(state, 'state', 'INVALID_ARGUMENT');
    await this.#open();
    await this.#query(`INSERT INTO ${this.schema}.atomservices_snapshots VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (key, aggregate_type, aggregate_id, version) DO UPDATE SET state = EXCLUDED.state`,
    [key, AggregateType, AggregateID, version, json]);
  }

  async getCheckpoint(name: string): Promise<number | undefined> {
    if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'must be a non-empty string');
    await this.#open();
    const [row] = await this.#query(`SELECT position FROM ${this.schema}.atomservices_checkpoints WHERE name = $1`, [name]);
    return row ? Number(row.position) : undefined;
  }

  async putCheckpoint(name: string, position: number): Promise<void> {
    if (typeof name !== 'string') throw invalidArgument('name', 'must be a string');
    checkName('name', name);  // the core's rule for names, as every store keeps it
    if (!Number.isSafeInteger(position) || position < 0) throw invalidArgument('position', 'must be an integer ≥ 0');
    await this.#open();
    await this.#query(`INSERT INTO ${this.schema}.atomservices_checkpoints VALUES ($1, $2)
      ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position`, [name, position]);
  }

  /**
   * Hears appends from every process through LISTEN/NOTIFY, on one connection of the pool
   * for as long as the store is open. A lost connection is opened again, and the listeners
   * are woken then (appends made meanwhile were not announced).
   */
  watch(listener: () => void): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener', 'must be a function');
    if (!this.#listener) {
      this.#listener = { client: undefined, listeners: new Set() };
      this.#listen();
    }
    const { listeners } = this.#listener;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listener?.listeners === listeners) this.#unlisten();
    };
  }

  /** Nobody listens any more: the connection that listened is closed (it kept the process alive). */
  #unlisten(): void {
    const state = this.#listener;
    this.#listener = undefined;
    void state?.client?.then((c) => c.release(true), () => {});
  }

  #listen(): void {
    const state = this.#listener;
    if (!state || this.#closed || state.client) return;  // unwatched, closed, or listening already
    const wake = () => { for (const l of state.listeners) l(); };
    let lost = false;
    // Once per connection: it is closed (not pooled: it listens), and another is opened.
    const drop = (c?: PgClient) => {
      if (lost || this.#listener !== state) return;  // released already, by close() or the last unwatch
      lost = true;
      if (state.client === client) state.client = undefined;  // so close() does not release it again
      c?.release(true);
      setTimeout(() => this.#listen(), RETRY_PAUSE_MS);
    };
    const client: Promise<PgClient> = this.#pool.connect().then(async (c) => {
      c.on('notification', wake);
      c.on('error', () => drop(c));
      try {
        // Held for as long as the connection listens: writers announce their commits while
        // some store holds it (a writer that saw none makes this wait until it committed).
        await c.query(`SELECT pg_advisory_lock_shared(${LISTENERS_LOCK}, hashtext('${this.schema}'))`);
        await c.query(`LISTEN atomservices_${this.schema}`);
      } catch (error) {
        drop(c);
        throw error;
      }
      wake();
      return c;
    });
    state.client = client;
    client.catch(() => drop());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#listener) {
      const client = await this.#listener.client?.catch(() => undefined);
      client?.release(true);  // it still listens: not back into the pool
      this.#listener = undefined;
    }
    // Statements in flight end (their retries and the groups waiting behind them see the
    // store closed) before the pool does.
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    if (this.#ownsPool) await this.#pool.end();
  }
}
