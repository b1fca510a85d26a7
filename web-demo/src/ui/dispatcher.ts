// Dispatches the events the forms build, in the chosen consistency mode, and reports each
// step in the activity list.
import { AtomServicesError, type IEvent } from 'atomservices';
import type { Ledger } from '../app/ledger';
import type { Activity, ActivityEntry } from './activity';

export type Mode = 'eventual' | 'strong';

export class Dispatcher {
  mode: Mode = 'eventual';
  /** Eventual dispatches whose handlers have not finished yet, by event id. */
  readonly #pending = new Map<string, ActivityEntry>();

  constructor(private readonly ledger: Ledger, private readonly activity: Activity) {
    ledger.receipts.onPrinted = (event) => this.#settle(event._id, (entry) => entry.handled(false, event._version));
    ledger.service.onError((error) => this.#handlerFailed(error));
  }

  /** Builds the event (the ledger's rules may refuse it), dispatches it, and reports. */
  async run(title: string, build: () => Promise<IEvent>): Promise<IEvent | undefined> {
    const mode = this.mode;
    const entry = this.activity.start(title, mode);
    try {
      const event = await build();
      return mode === 'strong' ? await this.#strong(event, entry) : await this.#eventual(event, entry);
    } catch (error) {
      entry.failed(error);
      return undefined;
    }
  }

  async #eventual(event: IEvent, entry: ActivityEntry): Promise<IEvent> {
    this.#pending.set(event._id, entry);
    try {
      await this.ledger.service.dispatch(event);
    } catch (error) {
      this.#pending.delete(event._id);
      throw error;
    }
    entry.stored(event._version);
    return event;
  }

  async #strong(event: IEvent, entry: ActivityEntry): Promise<IEvent | undefined> {
    const error = await new Promise<AtomServicesError | undefined>((notified) => {
      void this.ledger.service.dispatch(event, notified);
    });
    if (!error) {
      entry.handled(true, event._version);
      return event;
    }
    entry.failed(error);
    return error.code === 'HANDLER_FAILED' ? event : undefined;
  }

  #handlerFailed(error: AtomServicesError): void {
    for (const failure of error.failures ?? []) this.#settle(failure.eventId, (entry) => entry.failed(error));
  }

  #settle(eventId: string, report: (entry: ActivityEntry) => void): void {
    const entry = this.#pending.get(eventId);
    if (!entry) return;
    this.#pending.delete(eventId);
    report(entry);
  }
}
