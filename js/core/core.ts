// The WebAssembly core as the JS layer sees it, and the one way to call it.
import { AtomServicesError, fromCore } from './errors.js';

/** JSON text in the core's output buffer, valid until the next core call: read it with callCoreJson. */
export type CoreOutput = Uint8Array;

/** A store living inside the core (bound from C++ in src/bindings/). */
export interface CoreStore {
  /** Appends the events in the input buffer; returns the newest position after them. */
  append(bytes: number): number;
  readStream(request: string): CoreOutput;
  readAll(request: string): CoreOutput;
  version(request: string): number;
  getEvent(id: string): CoreOutput | undefined;
  lastPosition(): number;
  rehydrate(definition: string, request: string): CoreOutput;
  getSnapshot(request: string): string | undefined;
  putSnapshot(request: string, stateBytes: number): void;
  getCheckpoint(name: string): number | undefined;
  putCheckpoint(name: string, position: number): void;
  delete(): void;
}

/** Makes written bytes durable; the core calls it (see src/bindings/). */
export interface Syncer {
  syncFile(fd: number): void;
  syncDirectory(path: string): void;
}

/** A segment store inside the core, over a directory of the core's file system. */
export interface DurableCoreStore extends CoreStore {
  open(directory: string, sizes: { segmentBytes: number; maxMergedBytes: number; cacheBytes: number; sealAtCloseBytes: number }, autoMerge: boolean, syncer: Syncer): void;
  /** Checks closed segment n whole (checksums, and its index against it); returns its events. */
  verifySegment(n: number): number;
  closedSegments(): number;
  sync(): void;
  compact(): void;
  close(): void;
  stats(): { events: number; files: number; bytes: number; tornBytesCut: number; cacheHits: number; cacheMisses: number; cacheBytes: number; indexFiles: number; indexMemory: number };
  corruption(): { file: string; offset: number; reason: string } | undefined;
}

export interface CoreLimits {
  maxNameChars: number;
  maxDepth: number;
  maxEventBytes: number;
  maxBatchEvents: number;
  maxBatchBytes: number;
  /** One read's answer: a read asked for more gives what fits (at least one event). */
  maxAnswerBytes: number;
}

export interface CoreModule {
  HEAPU8: Uint8Array;
  MemoryStore: new () => CoreStore;
  DurableStore: new () => DurableCoreStore;
  /** Emscripten's file system: used through core-fs.ts only. */
  FS: unknown;
  reserveInput(bytes: number): number;
  validateEvents(bytes: number): number;
  /** The events validated, one row each (split by U+001E): _id, AggregateType, AggregateID, _version and the canonical JSON, split by U+001F. */
  eventRows(bytes: number): CoreOutput;
  checkStreamQuery(request: string): void;
  checkGlobalQuery(request: string): void;
  checkName(what: string, value: string): void;
  checkRehydrateQuery(request: string): void;
  reducerIdentity(definition: string): string;
  /** Folds a page of events (JSON in the input buffer) from `start` at `startVersion`; `at` ('' for none) cuts it in time; `snapshots`: report the snapshots due. */
  foldEvents(definition: string, start: string, startVersion: number, at: string, snapshots: boolean, eventBytes: number): CoreOutput;
  /** The same for events as the core stored them (a JSON array read back from a store written in JS), not validated again. */
  foldStored(definition: string, start: string, startVersion: number, at: string, snapshots: boolean, eventBytes: number): CoreOutput;
  /** Throws the core's CONCURRENCY_CONFLICT for events[index] (a store written in JS refusing an append). */
  throwConflict(index: number, AggregateType: string, AggregateID: string, version: number, actual: number): never;
  /** Throws the core's DUPLICATE_EVENT_ID for events[index]. */
  throwDuplicate(index: number, eventId: string): never;
  /** The key a snapshot is stored under: a reducer's key and the upcasters' fingerprint. */
  snapshotKey(reducerKey: string, upcasters: string): string;
  /** How many of the events (JSON in the input buffer) a time cut at `at` keeps. */
  eventsWithin(eventBytes: number, at: string): number;
  /** `count` random UUIDs (v4) joined, 36 characters each. */
  newUuids(count: number): string;
  limits(): CoreLimits;
}

let loaded: CoreModule | undefined;
let loadedLimits: CoreLimits | undefined;

/** Called once by the package entry (Node or browser) after the module is instantiated. */
export function setCore(module: CoreModule): void {
  loaded = module;
  loadedLimits = module.limits();
}

function core(): CoreModule {
  if (!loaded) {
    throw new AtomServicesError('INTERNAL', 'the WebAssembly core is not loaded; import atomservices through its package entry');
  }
  return loaded;
}

export function limits(): CoreLimits {
  core();
  return loadedLimits as CoreLimits;
}

/** Runs a core call; whatever it throws comes out as an AtomServicesError. */
export function callCore<T>(body: (module: CoreModule) => T): T {
  try {
    return body(core());
  } catch (thrown) {
    throw fromCore(thrown);
  }
}

const decoder = new TextDecoder();

/**
 * A store written in JS that has the core check every event it appends (and every query it
 * is given) sets this key to
 * true, so the service does not validate the events a second time.
 */
export const validatesEvents = Symbol.for('atomservices.validatesEvents');
export interface CoreValidating {
  readonly [validatesEvents]: true;
}

/**
 * A core store's append of events already encoded by encodeEvents (`count` of them): the
 * service, which encodes them for its handlers' copies, does not have them encoded twice.
 */
export const appendsEncoded = Symbol.for('atomservices.appendEncoded');

/**
 * A store written in JS that keeps each event as the text the core made of it (the JSON in
 * eventRows) and can give a page of a stream as the JSON array of those texts has this
 * method, so a native fold hands the text to the core as it is (foldStored).
 */
export const readsStreamText = Symbol.for('atomservices.readStreamText');
export interface StreamTextReader {
  [readsStreamText](AggregateType: string, AggregateID: string, options?: { fromVersion?: number; toVersion?: number; limit?: number }): Promise<string>;
}

/** The error the core raises for what `raise` asks of it (an error made by the core, not thrown). */
export function coreError(raise: (module: CoreModule) => never): AtomServicesError {
  try {
    callCore(raise);
  } catch (error) {
    return error as AtomServicesError;
  }
  return new AtomServicesError('INTERNAL', 'the core did not raise the error it was asked for');
}

/** Runs a core call that answers text in its output buffer, and decodes it (a copy). */
export function callCoreText(body: (module: CoreModule) => CoreOutput): string {
  return decoder.decode(callCore(body));
}

/** Runs a core call that answers JSON in its output buffer, and parses it (a copy: nothing points into the core after). */
export function callCoreJson<T>(body: (module: CoreModule) => CoreOutput): T {
  return parseOutput(callCore(body));
}

/** Parses JSON in the core's output buffer (a copy: nothing points into the core after). */
export function parseOutput<T>(output: CoreOutput): T {
  return JSON.parse(decoder.decode(output)) as T;
}

/** Checks a name (EventName, AggregateType, ...) in the core; a giant is refused before it crosses. */
export function checkName(what: string, value: string): void {
  const { maxNameChars } = limits();
  if (value.length > maxNameChars * 2) {  // a character is at most two UTF-16 units
    throw new AtomServicesError('INVALID_ARGUMENT', `${what} must be at most ${maxNameChars} characters, got ${value.length}`, { field: what });
  }
  // Crossing into the core as UTF-8 would turn an unpaired surrogate into another character.
  if (!wellFormed(value)) throw new AtomServicesError('INVALID_ARGUMENT', `${what} must be valid Unicode text (it holds an unpaired surrogate)`, { field: what });
  callCore((core) => core.checkName(what, value));
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function wellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(text) : !UNPAIRED_SURROGATE.test(text);
}

const encoder = new TextEncoder();
const DIRECT_ENCODE_CHARS = 1 << 20;
const MIN_INPUT_BYTES = 64 << 10;
// A view of the core's input buffer, kept between calls: the buffer only moves when it
// grows, and the view dies when the memory grows (a new ArrayBuffer).
let input: Uint8Array | undefined;

function inputView(module: CoreModule, capacity: number): Uint8Array {
  if (input === undefined || input.length < capacity || input.buffer !== module.HEAPU8.buffer) {
    const size = Math.max(capacity, MIN_INPUT_BYTES);
    const at = module.reserveInput(size);
    // HEAPU8 is read after reserveInput, which may have grown (and so replaced) the memory.
    input = module.HEAPU8.subarray(at, at + size);
  }
  return input;
}

/** Writes text as UTF-8 into the core's input buffer (one copy) and returns its length in bytes. */
export function writeInput(module: CoreModule, text: string): number {
  if (text.length <= DIRECT_ENCODE_CHARS) {
    return encoder.encodeInto(text, inputView(module, text.length * 3)).written as number;
  }
  const bytes = encoder.encode(text);
  inputView(module, bytes.length).set(bytes);
  return bytes.length;
}

const UUID_BATCH = 64;
let uuids = '';
let uuidAt = 0;

/** A random UUID (v4) from the core's generator, fetched in batches. */
export function newUuid(): string {
  if (uuidAt === uuids.length) {
    uuids = callCore((core) => core.newUuids(UUID_BATCH));
    uuidAt = 0;
  }
  uuidAt += 36;
  return uuids.slice(uuidAt - 36, uuidAt);
}

let stampedAt = Number.NaN;
let stamp = '';

/** Now, as ISO-8601 UTC with milliseconds (the format the core checks). */
export function nowIso(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}
