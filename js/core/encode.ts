// JSON encoding at the boundary. JSON cannot hold some JS values (BigInt, functions,
// NaN, cycles, Map...) and JSON.stringify would drop or mangle them silently: refuse them
// here with the path to the value. Every rule about events themselves lives in the core.
import { AtomServicesError, type ErrorCode } from './errors.js';
import { limits } from './core.js';

class Unencodable extends Error {}

// Deeper data takes the careful path, which also reports cycles and the core's depth limit.
const PLAIN_DEPTH = 32;

const PLAIN_DATA = 'events hold plain data: objects, arrays, strings, finite numbers, booleans and null';

function objectProblem(value: object): string | undefined {
  if (Array.isArray(value)) return undefined;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return undefined;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'is an invalid Date, which JSON would store as null; use a valid Date or null' : undefined;
  }
  if (value instanceof Map) return 'is a Map, which JSON would store as {}; convert it with Object.fromEntries(map)';
  if (value instanceof Set) return 'is a Set, which JSON would store as {}; convert it with Array.from(set)';
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return 'is binary data, which JSON cannot hold faithfully; encode it as text (base64)';
  }
  const kind = typeof prototype?.constructor === 'function' && prototype.constructor.name ? prototype.constructor.name : 'object';
  return `is ${/^[AEIOUaeiou]/.test(kind) ? 'an' : 'a'} ${kind}, which JSON would not give back as it was; ${PLAIN_DATA}`;
}

function problemOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint': return 'is a BigInt, which JSON cannot hold; store it as a string';
    case 'function': return 'is a function; events hold data only';
    case 'symbol': return 'is a symbol; events hold data only';
    case 'number': return Number.isFinite(value) ? undefined : `is ${value}, which JSON cannot hold; use null or a finite number`;
    case 'object': return value === null ? undefined : objectProblem(value);
    default: return undefined;
  }
}

// The holder's own value is checked too: JSON.stringify calls toJSON (a Buffer's, say)
// before the replacer sees the result.
function refuse(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  const problem = (original !== value && typeof original === 'object' && original !== null && objectProblem(original)) || problemOf(value);
  if (problem) throw new Unencodable(problem);
  return value;
}

function pathTo(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (parent === '') return key;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function messageOf(thrown: unknown): string {
  try {
    return thrown instanceof Error ? thrown.message : String(thrown);
  } catch {
    return 'an error that cannot be shown';
  }
}

/** What JSON.stringify would write for `value`: the result of its toJSON, when it has one (Dates do). */
function converted(value: object, key: string | number): unknown {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' && !(value instanceof Date) ? toJSON.call(value, String(key)) : value;
}

/** Finds the first value JSON cannot hold, walking no deeper than the core would accept. */
function diagnose(value: unknown, key: string | number, path: string, ancestors: object[], depthLeft: number): string | undefined {
  try {
    return diagnoseValue(value, key, path, ancestors, depthLeft);
  } catch (thrown) {
    return `${path || 'the arguments'} could not be read (${messageOf(thrown)}); pass plain data, not a Proxy that throws`;
  }
}

function diagnoseValue(value: unknown, key: string | number, path: string, ancestors: object[], depthLeft: number): string | undefined {
  const problem = problemOf(value);
  if (problem) return `${path} ${problem}`;
  if (typeof value !== 'object' || value === null || value instanceof Date) return undefined;
  let json: unknown;
  try {
    json = converted(value, key);
  } catch (thrown) {
    return `${path} could not be encoded: its toJSON threw (${messageOf(thrown)})`;
  }
  if (json !== value) {
    const found = diagnose(json, key, path, ancestors, depthLeft);
    return found && `${found} (returned by toJSON)`;
  }
  if (ancestors.includes(value)) return `${path} refers back to one of its parents (a cycle); events must be trees of plain data`;
  if (depthLeft === 0) return `${path} nests deeper than ${limits().maxDepth} levels; flatten the data`;
  ancestors.push(value);
  const keys: (string | number)[] = Array.isArray(value) ? Array.from(value, (_, i) => i) : Object.keys(value);
  for (const childKey of keys) {
    let child: unknown;
    try {
      child = (value as Record<string | number, unknown>)[childKey];
    } catch (thrown) {
      return `${pathTo(path, childKey)} could not be read: its getter threw (${messageOf(thrown)})`;
    }
    if (child === undefined) continue;
    const found = diagnose(child, childKey, pathTo(path, childKey), ancestors, depthLeft - 1);
    if (found) return found;
  }
  ancestors.pop();
  return undefined;
}

/**
 * True when JSON.stringify alone encodes `value` faithfully: plain objects and arrays of
 * strings, booleans, null and finite numbers. Anything else (toJSON, Map, a cycle, deep
 * nesting...) goes through the replacer, which is several times slower per value.
 */
function isPlainData(value: unknown, depthLeft: number): boolean {
  switch (typeof value) {
    case 'string': case 'boolean': case 'undefined': return true;
    case 'number': return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depthLeft === 0) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainData(value[i], depthLeft - 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) if (!isPlainData((value as Record<string, unknown>)[key], depthLeft - 1)) return false;
      return true;
    }
    default: return false;
  }
}

/** JSON.stringify that refuses what JSON cannot hold, with `code` and the path in the message. */
export function encode(value: unknown, rootPath: string, code: ErrorCode): string {
  try {
    if (isPlainData(value, PLAIN_DEPTH)) return JSON.stringify(value) ?? 'null';
    return JSON.stringify(value, refuse) ?? 'null';
  } catch (thrown) {
    // Depth: events nest 2 levels above payloads; leave room so the core reports the limit.
    const found = diagnose(value, '', rootPath, [], limits().maxDepth + 3);
    if (found) {
      const field = found.startsWith('the arguments ') ? '' : found.slice(0, found.indexOf(' '));  // the path
      throw new AtomServicesError(code, found, { field });
    }
    throw new AtomServicesError(code, `${rootPath || 'the arguments'} cannot be encoded as JSON: ${messageOf(thrown)}`, {}, thrown);
  }
}

/** Encodes a batch of events, refusing what the core could never see as an event. */
export function encodeEvents(events: readonly unknown[]): string {
  const { maxBatchEvents, maxBatchBytes } = limits();
  if (events.length > maxBatchEvents) {
    throw new AtomServicesError('INVALID_BATCH', `a batch holds at most ${maxBatchEvents} events, got ${events.length}; dispatch it in parts`);
  }
  for (let i = 0; i < events.length; i++) {
    const type = typeof events[i];
    if (type === 'undefined' || type === 'function' || type === 'symbol') {
      throw new AtomServicesError('INVALID_EVENT', `events[${i}] must be an event object, got ${type}`, { index: i, field: '' });
    }
  }
  const json = encodeBatch(events);
  if (json.length > maxBatchBytes) {
    throw new AtomServicesError('EVENT_TOO_LARGE', `the batch is over ${maxBatchBytes} bytes of JSON; dispatch it in parts and keep large data outside events`);
  }
  return json;
}

/** encode() of a batch, its errors given as the core gives its own: `index` and the field within that event. */
function encodeBatch(events: readonly unknown[]): string {
  try {
    return encode(events, 'events', 'INVALID_EVENT');
  } catch (error) {
    const at = error instanceof AtomServicesError ? /^events\[(\d+)\]\.?(.*)$/.exec(error.field ?? '') : null;
    if (at) Object.assign(error as AtomServicesError, { index: Number(at[1]), field: at[2] });
    throw error;
  }
}

/** Encodes the arguments of a call for the core, which validates them. */
export function encodeRequest(request: object): string {
  const json = encode(request, '', 'INVALID_ARGUMENT');
  // Arguments are names, numbers and small definitions: refuse a giant before it crosses.
  const { maxEventBytes } = limits();
  if (json.length > maxEventBytes) {
    throw new AtomServicesError('INVALID_ARGUMENT', `the arguments are over ${maxEventBytes} bytes of JSON; names hold at most ${limits().maxNameChars} characters`);
  }
  return json;
}
