// Deep equality that tells apart what JSON text would blur: Dates by their time, Maps and
// Sets by their entries, -0 from 0, a key holding undefined from a missing key.

/** A value as JSON text that also shows what JSON would hide (undefined, -0, Dates, Maps, Sets). */
export function render(value: unknown, ancestors: object[] = []): string {
  switch (typeof value) {
    case 'undefined': return 'undefined';
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'string': return JSON.stringify(value);
    case 'function': return `[function ${value.name || '(anonymous)'}]`;
    case 'object': break;
    default: return String(value);
  }
  if (value === null) return 'null';
  if (ancestors.includes(value)) return '[cycle]';
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`;
  const inner = [...ancestors, value];
  if (value instanceof Map) return `Map{${[...value].map(([k, v]) => `${render(k, inner)}=>${render(v, inner)}`).join(',')}}`;
  if (value instanceof Set) return `Set[${[...value].map((v) => render(v, inner)).join(',')}]`;
  if (Array.isArray(value)) return `[${value.map((v) => render(v, inner)).join(',')}]`;
  const kind = kindOf(value);
  const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${render(v, inner)}`);
  return `${kind === 'object' ? '' : kind}{${members.join(',')}}`;
}

function show(value: unknown): string {
  const text = render(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'array';
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return 'object';
  return typeof prototype.constructor === 'function' ? prototype.constructor.name : 'object';
}

function at(path: string, key: string): string {
  if (/^(0|[1-9]\d*)$/.test(key)) return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function differs(path: string, actual: unknown, expected: unknown): string {
  return `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

function ownKeysDifference(actual: object, expected: object, path: string, seen: Map<object, object>): string | undefined {
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!Object.prototype.hasOwnProperty.call(a, key)) return `${at(path, key)}: expected ${show(e[key])}, but the key is missing`;
    const found = difference(a[key], e[key], at(path, key), seen);
    if (found) return found;
  }
  for (const key of Object.keys(a)) {
    if (!Object.prototype.hasOwnProperty.call(e, key)) return `${at(path, key)}: expected no such key, got ${show(a[key])}`;
  }
  return undefined;
}

function mapDifference(actual: Map<unknown, unknown>, expected: Map<unknown, unknown>, path: string, seen: Map<object, object>): string | undefined {
  for (const [key, value] of expected) {
    if (!actual.has(key)) return `${path}: expected an entry for ${show(key)}, but there is none`;
    const found = difference(actual.get(key), value, `${path}.get(${show(key)})`, seen);
    if (found) return found;
  }
  for (const key of actual.keys()) {
    if (!expected.has(key)) return `${path}: expected no entry for ${show(key)}, got one`;
  }
  return undefined;
}

function setDifference(actual: Set<unknown>, expected: Set<unknown>, path: string, seen: Map<object, object>): string | undefined {
  const inside = (set: Set<unknown>, item: unknown) => set.has(item) || [...set].some((other) => !difference(other, item, path, new Map(seen)));
  for (const item of expected) if (!inside(actual, item)) return `${path}: expected it to hold ${show(item)}, but it does not`;
  for (const item of actual) if (!inside(expected, item)) return `${path}: expected it not to hold ${show(item)}, but it does`;
  return undefined;
}

/**
 * Where `actual` and `expected` first differ, as "path: expected X, got Y", or undefined
 * when they are deeply equal. Objects must have the same prototype and own keys.
 */
export function difference(actual: unknown, expected: unknown, path = 'value', seen = new Map<object, object>()): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return differs(path, actual, expected);
  }
  if (kindOf(actual) !== kindOf(expected) || Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) {
    return `${path}: expected ${kindOf(expected)} ${show(expected)}, got ${kindOf(actual)} ${show(actual)}`;
  }
  if (seen.get(actual) === expected) return undefined;  // a cycle already being compared
  seen.set(actual, expected);
  if (actual instanceof Date) return Object.is(actual.getTime(), (expected as Date).getTime()) ? undefined : differs(path, actual, expected);
  if (actual instanceof RegExp) return String(actual) === String(expected) ? undefined : differs(path, actual, expected);
  if (actual instanceof Map) return mapDifference(actual, expected as Map<unknown, unknown>, path, seen);
  if (actual instanceof Set) return setDifference(actual, expected as Set<unknown>, path, seen);
  if (Array.isArray(actual) && actual.length !== (expected as unknown[]).length) {
    return `${path}: expected ${(expected as unknown[]).length} items, got ${actual.length}`;
  }
  return ownKeysDifference(actual, expected, path, seen);
}
