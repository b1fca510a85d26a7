// A small test runner for running the Node test suites' shared parts in Chromium:
// describe/it/beforeEach/afterEach and the assert functions they use.
const suites = [];
let current;

export function describe(name, body) {
  current = { name, tests: [], before: [], after: [] };
  suites.push(current);
  body();
  current = undefined;
}
export const it = (name, body) => current.tests.push({ name, body });
export const beforeEach = (body) => current.before.push(body);
export const afterEach = (body) => current.after.push(body);

function fail(message) {
  throw new Error(message);
}

function deepEqual(actual, expected, path = 'value') {
  if (Object.is(actual, expected)) return;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    fail(`${path}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) fail(`${path}: array vs object`);
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const key of keys) deepEqual(actual[key], expected[key], `${path}.${key}`);
}

function matches(error, expected) {
  if (typeof expected === 'function') return expected(error);
  return Object.entries(expected).every(([key, value]) => (value instanceof RegExp ? value.test(error?.[key]) : error?.[key] === value));
}

export const assert = {
  equal: (actual, expected, message) => { if (!Object.is(actual, expected)) fail(message ?? `${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`); },
  notEqual: (actual, expected, message) => { if (Object.is(actual, expected)) fail(message ?? `${JSON.stringify(actual)} === ${JSON.stringify(expected)}`); },
  ok: (value, message) => { if (!value) fail(message ?? 'expected a truthy value'); },
  deepEqual: (actual, expected) => deepEqual(actual, expected),
  match: (text, pattern) => { if (!pattern.test(text)) fail(`${text} does not match ${pattern}`); },
  async rejects(promise, expected) {
    try {
      await (typeof promise === 'function' ? promise() : promise);
    } catch (error) {
      if (expected && !matches(error, expected)) fail(`rejected with an unexpected error: ${error?.code} ${error?.message}`);
      return;
    }
    fail('expected a rejection');
  },
};

/** Runs every registered suite; resolves to [{ name, error? }]. */
export async function run() {
  const results = [];
  for (const suite of suites) {
    for (const test of suite.tests) {
      const name = `${suite.name} > ${test.name}`;
      try {
        for (const hook of suite.before) await hook();
        try {
          await test.body();
        } finally {
          for (const hook of suite.after) await hook();
        }
        results.push({ name });
      } catch (error) {
        results.push({ name, error: String(error?.stack ?? error) });
      }
    }
  }
  return results;
}
