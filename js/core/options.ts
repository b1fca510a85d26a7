// The one check of an options object: an object whose keys are all known. The messages name
// the options, so a typo says what was meant.
import { invalidArgument } from './errors.js';

function list(keys: readonly string[]): string {
  return keys.length < 2 ? keys.join('') : `${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}`;
}

/**
 * Refuses what is not a plain object, and keys not in `keys`. `field` names the object in
 * errors; `prefix` is put before a key's name ("options." for options.toVersion).
 */
export function checkOptionKeys(value: unknown, field: string, keys: readonly string[], what: string, prefix = `${field}.`): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(field, `must be an object { ${keys.map((k) => `${k}?`).join(', ')} }`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw invalidArgument(`${prefix}${key}`, `is not ${what}; use ${list(keys)}`);
  }
}
