// One subscription over the whole log, from its start: catches up, then follows new events.
// The timeline and the accounts listen to it.
import type { IEvent, IService } from 'atomservices';

export type FeedListener = (event: IEvent, position: number) => void;

export class Feed {
  #listeners: FeedListener[] = [];
  #stop: (() => void) | undefined;
  /** The position of the newest event delivered. */
  position = 0;

  /** Resolves once the feed delivered the event at `position`. */
  reached(position: number): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    return new Promise((resolve) => {
      const check: FeedListener = (_, at) => {
        if (at < position) return;
        this.#listeners = this.#listeners.filter((l) => l !== check);
        resolve();
      };
      this.#listeners.push(check);
    });
  }

  listen(listener: FeedListener): void {
    this.#listeners.push(listener);
  }

  start(service: IService): void {
    this.#stop = service.subscribe({ from: 'start' }, (event, position) => {
      this.position = position;
      for (const listener of this.#listeners) listener(event, position);
    });
  }

  stop(): void {
    this.#stop?.();
  }
}
