import { checkName, newUuid, nowIso } from '../core/core.js';
import { AtomServicesError, invalidArgument } from '../core/errors.js';
import type { IEvent } from '../types.js';

/** What EventBuilder needs to know about an event type. */
export interface EventDefinition<E extends IEvent> {
  EventName: E['EventName'];
  AggregateType: E['AggregateType'];
}

/** What a caller gives to build one event; the builder adds the rest. */
export type EventInput<E extends IEvent> = {
  _version: number;
  _createdBy: string;
  payloads: E['payloads'];
  /** Default: a new UUID (a new aggregate). */
  AggregateID?: string;
  metadata?: E['metadata'];
};

const INPUT_KEYS = new Set(['_version', '_createdBy', 'payloads', 'AggregateID', 'metadata']);

function checkDefinitionName(field: 'EventName' | 'AggregateType', value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument(field, `must be a string, got ${value === null ? 'null' : typeof value}`);
  checkName(field, value);
  return value;
}

function checkInput(input: unknown): asserts input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AtomServicesError('INVALID_ARGUMENT',
      `an event input must be an object with _version, _createdBy and payloads, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`);
  }
  for (const key in input) {
    if (!INPUT_KEYS.has(key)) {
      throw invalidArgument(key, 'is not part of an event input; use _version, _createdBy, payloads, AggregateID or metadata');
    }
  }
}

/**
 * Makes a factory for one event type. Each call stamps a new `_id` (UUID v4) and
 * `_createdAt`, and a new `AggregateID` when none is given. The event is validated in
 * full when it is dispatched or appended.
 */
export function EventBuilder<E extends IEvent>(definition: EventDefinition<E>): (input: EventInput<E>) => E {
  if (typeof definition !== 'object' || definition === null) {
    throw invalidArgument('definition', 'must be an object like { EventName: "UserCreated", AggregateType: "User" }');
  }
  const EventName = checkDefinitionName('EventName', definition.EventName);
  const AggregateType = checkDefinitionName('AggregateType', definition.AggregateType);
  return (input) => {
    checkInput(input);
    const event: IEvent = {
      _id: newUuid(),
      _createdAt: nowIso(),
      _version: input._version,
      _createdBy: input._createdBy,
      EventName,
      AggregateType,
      AggregateID: input.AggregateID === undefined ? newUuid() : input.AggregateID,
      payloads: input.payloads,
    };
    if (input.metadata !== undefined) event.metadata = input.metadata as Record<string, unknown>;
    return event as E;
  };
}
