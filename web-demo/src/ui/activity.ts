// The activity list: one entry per dispatch, showing each step as it happens (stored,
// handlers done) or the error, with its code.
import { el, ms } from './dom';
import { explain } from './errors';

const MAX_ENTRIES = 40;

export class ActivityEntry {
  readonly #item: HTMLLIElement;
  readonly #steps: HTMLElement;
  readonly #started = performance.now();

  constructor(item: HTMLLIElement) {
    this.#item = item;
    this.#steps = item.querySelector('.steps')!;
  }

  #step(text: string, kind: 'ok' | 'wait' | 'bad'): void {
    this.#steps.querySelector('.wait')?.remove();
    this.#steps.append(el('span', `step ${kind}`, text));
  }

  #elapsed(): string {
    return ms(performance.now() - this.#started);
  }

  /** Eventual: the store acknowledged; handlers still run. */
  stored(version: number): void {
    this.#step(`✓ v${version} stored in IndexedDB · ${this.#elapsed()}`, 'ok');
    this.#step('handlers running…', 'wait');
    this.#item.dataset.state = 'stored';
  }

  /** The handlers finished (eventual: reported by the handler; strong: by `notified`). */
  handled(strong: boolean, version: number): void {
    this.#step(`${strong ? `✓ v${version} stored and handled` : '✓ handlers done'} · ${this.#elapsed()}`, 'ok');
    this.#item.dataset.state = 'handled';
  }

  done(text: string): void {
    this.#step(`✓ ${text} · ${this.#elapsed()}`, 'ok');
    this.#item.dataset.state = 'done';
  }

  failed(error: unknown): void {
    const { by, code, text, detail } = explain(error);
    this.#steps.querySelector('.wait')?.remove();
    this.#item.classList.add(code === 'HANDLER_FAILED' ? 'warning' : 'error');
    this.#item.dataset.state = 'failed';
    this.#item.dataset.code = code;
    const message = el('div', 'message');
    message.append(el('code', 'code', code), el('span', 'by', ` refused by ${by} · `), el('span', '', text));
    if (detail) message.append(el('div', 'detail', detail));
    this.#item.append(message);
  }
}

export class Activity {
  #entries = 0;

  constructor(private readonly list: HTMLElement) {}

  /** Adds an entry at the top; `mode` labels it eventual or strong. */
  start(title: string, mode?: string): ActivityEntry {
    const item = el('li', 'entry');
    item.dataset.seq = String(++this.#entries);
    item.dataset.state = 'started';
    const head = el('div', 'title');
    if (mode) head.append(el('span', `mode ${mode}`, mode));
    head.append(el('span', '', title));
    item.append(head, el('div', 'steps'));
    this.list.prepend(item);
    while (this.list.children.length > MAX_ENTRIES) this.list.lastElementChild!.remove();
    return new ActivityEntry(item);
  }
}
