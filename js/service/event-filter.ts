// Which events a handler, a subscription or a projection takes: the one filter all three use.
import type { IEvent } from '../types.js';

/** `EventName`: a name, several, or undefined for all; `AggregateType`: one, or undefined for all. */
export function eventFilter(EventName: string | readonly string[] | undefined, AggregateType: string | undefined): (event: IEvent) => boolean {
  const names = EventName === undefined ? undefined : new Set(typeof EventName === 'string' ? [EventName] : EventName);
  return (event) => (names === undefined || names.has(event.EventName)) &&
    (AggregateType === undefined || AggregateType === event.AggregateType);
}
