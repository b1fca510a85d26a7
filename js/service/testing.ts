// given / when / then for reducers and projections, for users' unit tests:
//   given([opened, deposited]).when(accountReducer, { balance: 0 }).thenExpect({ balance: 5 });
// Synchronous, no store involved. Native reducers fold in the core exactly as rehydrate does.
import { eventFilter } from './event-filter.js';
import { callCoreJson, writeInput } from '../core/core.js';
import { encodeEvents } from '../core/encode.js';
import { difference, render } from '../core/deep-equal.js';
import { invalidArgument } from '../core/errors.js';
import { NativeReducer } from '../core/native-reducer.js';
import type { IEvent, IReducer, ProjectionDefinition } from '../types.js';

export class ExpectationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectationError';
  }
}

function expectSame(actual: unknown, expected: unknown, what: string, root: string): void {
  const found = difference(actual, expected, root);
  if (found) {
    throw new ExpectationError(`${what} differs at ${found}\n  expected: ${render(expected)}\n  actual:   ${render(actual)}`);
  }
}

export interface Folded<S> {
  state: S;
  version: number;
  /** Throws an ExpectationError unless the state deep-equals `expected`. */
  thenExpect(expected: S): Folded<S>;
}

export interface Projected<S> {
  states: Map<string, S>;
  /** Throws an ExpectationError unless the states per key deep-equal `expected`. */
  thenExpect(expected: Record<string, S>): Projected<S>;
}

function fold<S, E extends IEvent>(events: readonly E[], reducer: IReducer<S, E> | NativeReducer<S>, initialState: S | undefined): Folded<S> {
  let state: S;
  let version = 0;
  if (reducer instanceof NativeReducer) {
    const json = encodeEvents(events);
    ({ state, version } = callCoreJson<{ state: S; version: number }>((core) => core.foldEvents(reducer.definition, '', 0, '', false, writeInput(core, json))));
  } else if (typeof reducer === 'function') {
    state = initialState as S;
    for (const event of events) {
      state = reducer(state, event);
      version = event._version;
    }
  } else {
    throw invalidArgument('reducer', 'must be a function (state, event) => state or a NativeReducer');
  }
  const folded: Folded<S> = { state, version, thenExpect: (expected) => { expectSame(state, expected, 'the state', 'state'); return folded; } };
  return folded;
}

function project<S, E extends IEvent>(events: readonly E[], definition: ProjectionDefinition<S, E>): Projected<S> {
  const wanted = eventFilter(definition.EventName, definition.AggregateType);
  const states = new Map<string, S>();
  for (const event of events) {
    if (!wanted(event)) continue;
    const key = definition.key ? definition.key(event) : event.AggregateID;
    states.set(key, definition.reducer(states.has(key) ? states.get(key) as S : structuredClone(definition.initialState), event));
  }
  const projected: Projected<S> = {
    states,
    thenExpect: (expected) => { expectSame(Object.fromEntries(states), expected, 'the projection', 'states'); return projected; },
  };
  return projected;
}

/** Starts a test from the events that happened. */
export function given<E extends IEvent>(events: readonly E[]) {
  if (!Array.isArray(events)) throw invalidArgument('events', 'must be an array of events');
  return {
    /** Folds the events with a reducer (JS or native). */
    when: <S>(reducer: IReducer<S, E> | NativeReducer<S>, initialState?: S): Folded<S> => fold(events, reducer, initialState),
    /** Folds the events into a projection's states. */
    whenProjected: <S>(definition: ProjectionDefinition<S, E>): Projected<S> => project(events, definition),
  };
}
