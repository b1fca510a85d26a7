import { callCore } from './core.js';
import { encodeRequest } from './encode.js';
import { invalidArgument } from './errors.js';

/** One change to the state, applied for each matching event. */
export interface ReducerOperation {
  /**
   * set: state[path] = operand · unset: delete state[path] · add / subtract: a number ±=
   * operand · increment: += operand (default 1) · push: append operand to a list · remove:
   * drop list items equal to operand · merge: copy operand's fields into an object ·
   * min / max: keep the smaller / larger number.
   */
  op: 'set' | 'unset' | 'add' | 'subtract' | 'increment' | 'push' | 'remove' | 'merge' | 'min' | 'max';
  /** Where in the state, as a dot path: "balance", "totals.eur". Missing objects on the way are created. */
  path: string;
  /** Where the operand comes from in the event, as a dot path: "payloads.amount", "_version". */
  from?: string;
  /** A constant operand, instead of `from`. */
  value?: unknown;
}

export interface NativeReducerDefinition<S> {
  /** An object: operations address its fields by path. */
  initialState: S & object;
  /** Per EventName ("*" for every event), the operations to apply in order. */
  on: Record<string, readonly ReducerOperation[]>;
  /** Save a snapshot every this many events (opt-in). */
  snapshotEvery?: number;
}

/**
 * A reducer declared as data and run inside the WebAssembly core: rehydration folds the
 * events there, without a JS call per event. An operation whose `from` field is missing in
 * an event, or whose operand has the wrong type, changes nothing. Invalid definitions are
 * refused here, with the place and the reason.
 */
export class NativeReducer<S = Record<string, unknown>> {
  /** A hash of the definition's meaning; snapshots are kept under it. */
  readonly identity: string;
  readonly initialState: S;
  readonly snapshotEvery: number | undefined;
  /** The definition as the core reads it. */
  readonly definition: string;

  constructor(definition: NativeReducerDefinition<S>) {
    if (typeof definition !== 'object' || definition === null) {
      throw invalidArgument('definition', 'must be an object { initialState, on, snapshotEvery? }');
    }
    this.definition = encodeRequest(definition);
    this.identity = callCore((core) => core.reducerIdentity(this.definition));
    this.initialState = JSON.parse(JSON.stringify(definition.initialState ?? {}));
    this.snapshotEvery = definition.snapshotEvery;
  }
}
