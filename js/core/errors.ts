import { ERROR_CODES, type ErrorCode } from './generated/error-codes.js';

export { ERROR_CODES };
export type { ErrorCode };

/** One handler that failed while handling one event. */
export interface HandlerFailure {
  /** The handler's `name`, or `EventName` when it has none. */
  handler: string;
  EventName: string;
  eventId: string;
  error: unknown;
}

/** Structured facts an error may carry, beside its code and message. */
export interface AtomServicesErrorDetails {
  /** The field or option at fault, e.g. `events[0]._version` → `_version`. */
  field?: string;
  /** The index of the event at fault in the batch. */
  index?: number;
  /** CONCURRENCY_CONFLICT: the version the event expected the aggregate to be at. */
  expectedVersion?: number;
  /** CONCURRENCY_CONFLICT: the version the aggregate is at. */
  actualVersion?: number;
  AggregateType?: string;
  AggregateID?: string;
  eventId?: string;
  /** HANDLER_FAILED: every handler that failed, with its error. */
  failures?: HandlerFailure[];
}

/** Every error atomservices raises: a stable `code` and a message that says what to fix. */
export class AtomServicesError extends Error implements AtomServicesErrorDetails {
  readonly code: ErrorCode;
  declare field?: string;
  declare index?: number;
  declare expectedVersion?: number;
  declare actualVersion?: number;
  declare AggregateType?: string;
  declare AggregateID?: string;
  declare eventId?: string;
  declare failures?: HandlerFailure[];

  constructor(code: ErrorCode, message: string, details: AtomServicesErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AtomServicesError';
    this.code = code;
    Object.assign(this, details);
  }
}

/** Turns what the WebAssembly core threw ({ code, message, details }) into an AtomServicesError. */
export function fromCore(thrown: unknown): AtomServicesError {
  if (thrown instanceof AtomServicesError) return thrown;
  if (isCoreError(thrown)) {
    return new AtomServicesError(thrown.code as ErrorCode, thrown.message, JSON.parse(thrown.details));
  }
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  return new AtomServicesError('INTERNAL', `the WebAssembly core failed: ${text}`, {}, thrown);
}

function isCoreError(value: unknown): value is { code: string; message: string; details: string } {
  const candidate = value as { code?: unknown; details?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.code === 'string' &&
    Object.prototype.hasOwnProperty.call(ERROR_CODES, candidate.code) && typeof candidate.details === 'string';
}

/** An error from a store that is not ours becomes STORE_FAILURE with the original as `cause`. */
export function asStoreError(thrown: unknown): AtomServicesError {
  if (thrown instanceof AtomServicesError) return thrown;
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  return new AtomServicesError('STORE_FAILURE', `the event store failed: ${text}`, {}, thrown);
}

/**
 * The same error, with the stack of the code that awaits it now. An error made elsewhere
 * (a shared lazy open, a group flush) shows none of its caller's frames; a copy made at
 * the public boundary does, through the engine's async stack traces.
 */
export function atCaller(error: unknown): unknown {
  if (!(error instanceof AtomServicesError)) return error;
  const copy = new AtomServicesError(error.code, error.message, {}, error.cause);
  Object.assign(copy, error);  // the details
  return copy;
}

/** What a wrong value is, for a message: "null", "an array", "a Date", "number"... */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value;
}

export function invalidArgument(field: string, problem: string): AtomServicesError {
  return new AtomServicesError('INVALID_ARGUMENT', `${field} ${problem}`, { field });
}

export function storeClosed(what: string): AtomServicesError {
  return new AtomServicesError('STORE_CLOSED', `the ${what} is closed; create a new one to go on`);
}
