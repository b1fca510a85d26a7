// The accounts of the ledger: found in the log (AccountOpened events, through the feed),
// each one's current state rehydrated with the native reducer whenever it gets events.
import type { IEvent, IService } from 'atomservices';
import { loadAccount, type Account } from '../domain/commands';
import type { Feed } from './feed';

const REFRESH_MS = 150;

export class Accounts {
  /** Account id → owner, in the order the accounts were opened. */
  readonly owners = new Map<string, string>();
  readonly states = new Map<string, Account>();
  selected: string | undefined;
  #dirty = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #listeners: Array<() => void> = [];
  #paused = false;

  constructor(private readonly service: IService, feed: Feed) {
    feed.listen((event) => this.#seen(event));
  }

  /** `listener` runs after the list, a state or the selection changed. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  select(accountId: string | undefined): void {
    this.selected = accountId;
    this.#changed();
  }

  /**
   * Stops refreshing states until resume(), e.g. while the bulk generator writes. (It also
   * keeps rehydration from saving snapshots during a bulk write: with atomservices 0.16 a
   * snapshot saved while an IndexedDB append is in flight fails that append.)
   */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#running;
  }

  /** Refreshes what changed meanwhile; resolves once the states are current. */
  async resume(): Promise<void> {
    this.#paused = false;
    await this.#running;
    await this.#refresh();
  }

  ownerOf(accountId: string): string | undefined {
    return this.owners.get(accountId);
  }

  #seen(event: IEvent): void {
    if (event.EventName === 'AccountOpened') {
      this.owners.set(event.AggregateID, (event.payloads as { owner: string }).owner);
    }
    this.#dirty.add(event.AggregateID);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#paused || this.#timer || this.#dirty.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refresh();
    }, REFRESH_MS);
  }

  /** Rehydrates the accounts that got events, one refresh at a time. */
  #refresh(): Promise<void> {
    this.#running ??= this.#refreshDirty().finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
    return this.#running;
  }

  async #refreshDirty(): Promise<void> {
    while (this.#dirty.size && !this.#paused) {
      const ids = [...this.#dirty];
      this.#dirty.clear();
      try {
        for (const id of ids) this.states.set(id, await loadAccount(this.service, id));
      } catch (error) {
        console.warn('could not refresh the accounts:', error); // e.g. the ledger was closed
        return;
      }
      this.#changed();
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
