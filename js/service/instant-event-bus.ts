import { checkHandler, handlerFailed, handlerFilter } from './handlers.js';
import { invalidArgument, kindOf, type HandlerFailure } from '../core/errors.js';
import type { IEvent, IEventBus, IEventHandler } from '../types.js';

/**
 * A local, in-memory bus. For each event in order, it runs the matching handlers together
 * and waits until all of them settled; a failing handler never stops the others.
 */
export class InstantEventBus implements IEventBus {
  #handlers: { handler: IEventHandler; wants: (event: IEvent) => boolean }[] = [];

  /** False when publishing would run nothing. */
  get hasHandlers(): boolean {
    return this.#handlers.length > 0;
  }

  subscribe(handler: IEventHandler): () => void {
    checkHandler(handler, 'handler');
    const entry = { handler, wants: handlerFilter(handler) };  // one entry per subscription, even of the same handler
    this.#handlers = [...this.#handlers, entry];
    return () => {
      this.#handlers = this.#handlers.filter((e) => e !== entry);
    };
  }

  async publish(events: readonly IEvent[]): Promise<void> {
    if (!Array.isArray(events)) throw invalidArgument('events', `must be an array of events, got ${kindOf(events)}`);
    events.forEach((event, i) => {
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidArgument(`events[${i}]`, `must be an event, got ${kindOf(event)}`);
    });
    const failures: HandlerFailure[] = [];
    for (const event of events) {
      const matching = this.#handlers.filter((e) => e.wants(event)).map((e) => e.handler);
      if (matching.length === 0) continue;
      const results = await Promise.allSettled(matching.map(async (h) => h.handle(event)));
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') return;
        const handler = matching[i] as IEventHandler;
        failures.push({ handler: handler.name ?? handler.EventName, EventName: event.EventName, eventId: event._id, error: result.reason });
      });
    }
    if (failures.length > 0) throw handlerFailed(failures);
  }
}
