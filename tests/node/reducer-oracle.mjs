// A plain JS reading of native reducer definitions: the oracle the core's fold is checked
// against, and the generator of random event streams to check it on.
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
// JSON equality: objects match by their members, in any key order.
function sameJson(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return a === b;
}

function operandOf(op, event) {
  if ('value' in op) return op.value;
  if (op.from === undefined) return op.op === 'increment' ? 1 : undefined;
  let node = event;
  for (const key of op.from.split('.')) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function parentOf(state, path, create) {
  let node = state;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node)) return undefined;
    if (!Object.hasOwn(node, key)) {
      if (!create) return undefined;
      node[key] = {};
    }
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

function apply(state, op, operand) {
  if (op.op !== 'unset' && operand === undefined) return;
  const path = op.path.split('.');
  const parent = parentOf(state, path, op.op !== 'unset');
  if (!parent) return;
  const key = path.at(-1);
  const current = Object.hasOwn(parent, key) ? parent[key] : undefined;
  switch (op.op) {
    case 'set': parent[key] = clone(operand); break;
    case 'unset': delete parent[key]; break;
    case 'add': case 'subtract': case 'increment':
      if (typeof operand !== 'number') return;
      parent[key] = (typeof current === 'number' ? current : 0) + (op.op === 'subtract' ? -operand : operand);
      break;
    case 'min': case 'max':
      if (typeof operand !== 'number') return;
      if (typeof current !== 'number') parent[key] = operand;
      else parent[key] = op.op === 'min' ? (operand < current ? operand : current) : (operand > current ? operand : current);
      break;
    case 'push':
      if (current === undefined) parent[key] = [];
      else if (!Array.isArray(current)) return;
      parent[key].push(clone(operand));
      break;
    case 'remove':
      if (!Array.isArray(current)) return;
      parent[key] = current.filter((item) => !sameJson(item, operand));
      break;
    case 'merge':
      if (!isObject(operand)) return;
      if (!isObject(current)) parent[key] = clone(operand);
      else Object.assign(current, clone(operand));
      break;
    default: throw new Error(`unknown op ${op.op}`);
  }
}

/** The JS reducer that means what `definition` means. */
export function oracle(definition) {
  return (state, event) => {
    const next = clone(state);
    for (const ops of [definition.on[event.EventName] ?? [], definition.on['*'] ?? []]) {
      for (const op of ops) apply(next, op, operandOf(op, event));
    }
    return next;
  };
}

/** A small seeded random generator (mulberry32), so a failing stream can be replayed. */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

const NAMES = ['Opened', 'Deposited', 'Withdrew', 'Tagged', 'Untagged', 'Renamed', 'Closed', 'Audited'];
const TAGS = ['red', 'green', { color: 'blue' }, 7, null, ['x']];

function randomPayloads(r) {
  const payloads = {};
  if (r.next() < 0.9) payloads.amount = r.pick([r.int(1000), r.next() * 100, -r.int(50), 0.1, 1e-7, 2 ** 40]);
  if (r.next() < 0.7) payloads.tag = r.pick(TAGS);
  if (r.next() < 0.5) payloads.owner = r.pick(['ada', 'grace', 'ken']);
  if (r.next() < 0.4) payloads.profile = r.pick([{ city: 'Oslo' }, { city: 'Lima', zip: '15001' }, 'not an object']);
  if (r.next() < 0.2) payloads.nested = { deep: { value: r.int(10) } };
  return payloads;
}

/** A random definition exercising every operation, and a random stream for it. */
export function randomCase(seed, length) {
  const r = random(seed);
  const definition = {
    initialState: { balance: 0, tags: [], profile: {} },
    on: {
      Opened: [{ op: 'set', path: 'owner', from: 'payloads.owner' }, { op: 'set', path: 'open', value: true }],
      Deposited: [{ op: 'add', path: 'balance', from: 'payloads.amount' }, { op: 'increment', path: 'stats.deposits' },
        { op: 'max', path: 'stats.largest', from: 'payloads.amount' }],
      Withdrew: [{ op: 'subtract', path: 'balance', from: 'payloads.amount' }, { op: 'min', path: 'stats.smallest', from: 'payloads.amount' }],
      Tagged: [{ op: 'push', path: 'tags', from: 'payloads.tag' }],
      Untagged: [{ op: 'remove', path: 'tags', from: 'payloads.tag' }],
      Renamed: [{ op: 'merge', path: 'profile', from: 'payloads.profile' }, { op: 'set', path: 'deep.value', from: 'payloads.nested.deep.value' }],
      Closed: [{ op: 'unset', path: 'owner' }, { op: 'set', path: 'open', value: false }, { op: 'increment', path: 'stats.closures', value: 2 }],
      '*': [{ op: 'set', path: 'lastEvent', from: 'EventName' }, { op: 'increment', path: 'stats.events' }],
    },
  };
  const AggregateID = `agg-${seed}`;
  const events = Array.from({ length }, (_, i) => ({
    _id: crypto.randomUUID(),
    _createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60000).toISOString(),
    _version: i + 1,
    _createdBy: 'property-test',
    EventName: r.pick(NAMES),
    AggregateType: 'Account',
    AggregateID,
    payloads: randomPayloads(r),
  }));
  return { definition, events, AggregateID };
}
