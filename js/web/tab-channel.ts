// What the tabs and workers sharing one IndexedDB store say to each other over a
// BroadcastChannel: followers send calls to the leader (the holder of the store's Web Lock),
// the leader answers them and tells everyone about new events. Many calls or answers made in
// one turn travel as one message.
import { AtomServicesError, asStoreError, type ErrorCode } from '../core/errors.js';

/** A store call forwarded by a follower; `id` is unique per follower. */
export interface TabCall {
  id: number;
  method: string;
  args: unknown[];
}

/** An error as it crosses: an AtomServicesError's code, message and details. */
export interface TabError {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

export type TabAnswer = { id: number; value: unknown } | { id: number; error: TabError };

export type TabMessage =
  /** A follower asks who leads. */
  | { type: 'hello' }
  /** A leader that opened the store; sent when it starts and in reply to hello. */
  | { type: 'leader'; leader: string }
  | { type: 'calls'; from: string; to: string; calls: TabCall[] }
  /** Answers, by follower. */
  | { type: 'answers'; answers: Record<string, TabAnswer[]> }
  /** Progress of a verify() call. */
  | { type: 'progress'; to: string; id: number; progress: unknown }
  /** Events up to `position` are durable. */
  | { type: 'appended'; position: number };

export const channelName = (store: string): string => `atomservices:${store}`;

const NOT_DETAILS = new Set(['name', 'message', 'stack', 'code', 'cause']);

export function toTabError(thrown: unknown): TabError {
  const error = asStoreError(thrown);
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (!NOT_DETAILS.has(key)) details[key] = value;
  return { code: error.code, message: error.message, details };
}

export function fromTabError({ code, message, details }: TabError): AtomServicesError {
  return new AtomServicesError(code, message, details);
}

/** Gathers items during one turn and hands them over together at its end. */
export class Batcher<T> {
  #items: T[] = [];
  readonly #send: (items: T[]) => void;

  constructor(send: (items: T[]) => void) {
    this.#send = send;
  }

  add(item: T): void {
    if (this.#items.push(item) === 1) queueMicrotask(() => this.flush());
  }

  flush(): void {
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#send(items);
  }
}

/** A random id naming a leader or a follower on the channel. */
export function tabId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
