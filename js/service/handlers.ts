import { eventFilter } from './event-filter.js';
import { checkName } from '../core/core.js';
import { AtomServicesError, invalidArgument, type HandlerFailure } from '../core/errors.js';
import type { IEvent, IEventHandler } from '../types.js';

/** Refuses anything that is not a usable handler, naming what is wrong. */
export function checkHandler(handler: unknown, where: string): asserts handler is IEventHandler {
  if (typeof handler !== 'object' || handler === null) {
    throw invalidArgument(where, 'must be a handler object { EventName, handle(event) }');
  }
  const { EventName, AggregateType, name, handle } = handler as Record<string, unknown>;
  if (typeof EventName !== 'string') throw invalidArgument(`${where}.EventName`, 'must be a string (an event name, or "*" for every event)');
  checkName(`${where}.EventName`, EventName);
  if (AggregateType !== undefined) {
    if (typeof AggregateType !== 'string') throw invalidArgument(`${where}.AggregateType`, 'must be a string when given');
    checkName(`${where}.AggregateType`, AggregateType);
  }
  if (name !== undefined && typeof name !== 'string') throw invalidArgument(`${where}.name`, 'must be a string when given');
  if (typeof handle !== 'function') throw invalidArgument(`${where}.handle`, 'must be a function (event) => void | Promise<void>');
}

/** The filter of a handler: EventName "*" takes every event. */
export function handlerFilter(handler: IEventHandler): (event: IEvent) => boolean {
  return eventFilter(handler.EventName === '*' ? undefined : handler.EventName, handler.AggregateType);
}

export function handlerFailed(failures: HandlerFailure[]): AtomServicesError {
  const shown = failures.slice(0, 5).map((f) => {
    const reason = f.error instanceof Error ? f.error.message : String(f.error);
    return `'${f.handler}' on ${f.EventName} ${f.eventId}: ${reason}`;
  });
  const more = failures.length > shown.length ? `; and ${failures.length - shown.length} more` : '';
  const count = failures.length === 1 ? '1 handler failed' : `${failures.length} handlers failed`;
  return new AtomServicesError('HANDLER_FAILED', `${count} (the events are stored): ${shown.join('; ')}${more}`,
    { failures }, failures[0]?.error);
}
