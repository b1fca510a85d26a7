// A minimal event store written by hand in plain JS, implementing IEventStore. It exists to
// prove that the contract is enough: the service and the conformance suite work over it.
// It reports contract errors as AtomServicesError, with the codes the contract names.
import { AtomServicesError } from 'atomservices';

function conflict(event, actual) {
  return new AtomServicesError('CONCURRENCY_CONFLICT', `${event.AggregateType}/${event.AggregateID} is at version ${actual}`,
    { expectedVersion: event._version - 1, actualVersion: actual });
}

export class JsEventStore {
  #log = [];          // [{ position, event, json }]
  #streams = new Map();  // key -> array of log entries
  #ids = new Map();   // _id -> log entry
  #snapshots = new Map();  // key\0type\0id -> [{ version, state }] by version
  #checkpoints = new Map();
  #closed = false;

  #check() {
    if (this.#closed) throw new AtomServicesError('STORE_CLOSED', 'the store is closed');
  }

  async append(events) {
    this.#check();
    const next = new Map();
    const fresh = [];
    const seen = new Map();
    for (const event of events) {
      const json = JSON.stringify(event);
      const stored = this.#ids.get(event._id) ?? seen.get(event._id);
      if (stored) {
        if (stored.json !== json) throw new AtomServicesError('DUPLICATE_EVENT_ID', `${event._id} is stored with other content`);
        continue;
      }
      const key = `${event.AggregateType}\0${event.AggregateID}`;
      const current = next.get(key) ?? (this.#streams.get(key)?.length ?? 0);
      if (event._version !== current + 1) throw conflict(event, current);
      next.set(key, event._version);
      const entry = { key, event: structuredClone(event), json };
      seen.set(event._id, entry);
      fresh.push(entry);
    }
    for (const entry of fresh) {
      entry.position = this.#log.length + 1;
      this.#log.push(entry);
      this.#ids.set(entry.event._id, entry);
      if (!this.#streams.has(entry.key)) this.#streams.set(entry.key, []);
      this.#streams.get(entry.key).push(entry);
    }
    return { appended: fresh.length, lastPosition: this.#log.length };
  }

  async readStream(AggregateType, AggregateID, { fromVersion = 1, toVersion = Infinity, limit = Infinity, direction = 'forward' } = {}) {
    this.#check();
    const stream = (this.#streams.get(`${AggregateType}\0${AggregateID}`) ?? [])
      .filter((e) => e.event._version >= fromVersion && e.event._version <= toVersion);
    if (direction === 'backward') stream.reverse();
    return stream.slice(0, limit).map((e) => structuredClone(e.event));
  }

  async readAll({ fromPosition = 1, limit = Infinity } = {}) {
    this.#check();
    return this.#log.slice(fromPosition - 1, fromPosition - 1 + limit)
      .map((e) => ({ position: e.position, event: structuredClone(e.event) }));
  }

  async getVersion(AggregateType, AggregateID) {
    this.#check();
    return this.#streams.get(`${AggregateType}\0${AggregateID}`)?.length ?? 0;
  }

  async getEvent(id) {
    this.#check();
    const entry = this.#ids.get(id);
    return entry && structuredClone(entry.event);
  }

  async getLastPosition() {
    this.#check();
    return this.#log.length;
  }

  async getSnapshot(key, AggregateType, AggregateID, maxVersion = Infinity) {
    this.#check();
    const saved = (this.#snapshots.get(`${key}\0${AggregateType}\0${AggregateID}`) ?? []).filter((s) => s.version <= maxVersion);
    const newest = saved.at(-1);
    return newest && { version: newest.version, state: structuredClone(newest.state) };
  }

  async putSnapshot(key, AggregateType, AggregateID, version, state) {
    this.#check();
    const id = `${key}\0${AggregateType}\0${AggregateID}`;
    const saved = (this.#snapshots.get(id) ?? []).filter((s) => s.version !== version);
    saved.push({ version, state: structuredClone(state) });
    this.#snapshots.set(id, saved.sort((a, b) => a.version - b.version));
  }

  async getCheckpoint(name) {
    this.#check();
    return this.#checkpoints.get(name);
  }

  async putCheckpoint(name, position) {
    this.#check();
    // The contract's rule for names: 1 to 256 characters, none of them a control character.
    if (typeof name !== 'string' || name === '' || [...name].length > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
      throw new AtomServicesError('INVALID_ARGUMENT', 'name must be 1 to 256 characters, without control characters');
    }
    this.#checkpoints.set(name, position);
  }

  async close() {
    this.#closed = true;
  }
}
