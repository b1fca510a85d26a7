// The event log as a live timeline: a virtual list over the store's global order (only the
// visible rows exist, read with readAll in pages), following new events while scrolled to
// the bottom.
import type { IEvent, IEventStore, PositionedEvent } from 'atomservices';
import { formatCents } from '../domain/money';
import { byId, clock, count, el, shortId } from './dom';

const ROW_PX = 28;
const PAGE = 100;
const OVERSCAN = 10;
const MAX_PAGES = 60;

export class Timeline {
  readonly #viewport = byId('log-viewport');
  readonly #spacer = byId('log-spacer');
  readonly #rows = byId('log-rows');
  readonly #pages = new Map<number, PositionedEvent[]>();
  #total = 0;
  #scheduled = false;
  #following = true;

  constructor(private readonly store: IEventStore, private readonly ownerOf: (id: string) => string | undefined) {
    this.#viewport.addEventListener('scroll', () => {
      this.#following = this.#atBottom();
      this.#schedule();
    });
    byId('log-latest').addEventListener('click', () => this.#scrollToEnd());
  }

  /** The log now holds `position` events. */
  grow(position: number): void {
    if (position <= this.#total) return;
    this.#total = position;
    this.#schedule();
  }

  /** Re-reads the rows on screen (e.g. once owner names are known). */
  refresh(): void {
    this.#schedule();
  }

  #atBottom(): boolean {
    const v = this.#viewport;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - ROW_PX;
  }

  #scrollToEnd(): void {
    this.#following = true;
    this.#viewport.scrollTop = this.#viewport.scrollHeight;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      void this.#render();
    });
  }

  async #render(): Promise<void> {
    byId('log-count').textContent = `${count(this.#total)} event${this.#total === 1 ? '' : 's'}`;
    this.#spacer.style.height = `${this.#total * ROW_PX}px`;
    if (this.#following) this.#viewport.scrollTop = this.#viewport.scrollHeight;
    byId('log-latest').hidden = this.#following || this.#total === 0;
    const first = Math.max(1, Math.floor(this.#viewport.scrollTop / ROW_PX) + 1 - OVERSCAN);
    const last = Math.min(this.#total, Math.ceil((this.#viewport.scrollTop + this.#viewport.clientHeight) / ROW_PX) + OVERSCAN);
    const items = await this.#read(first, last);
    this.#rows.style.transform = `translateY(${(first - 1) * ROW_PX}px)`;
    this.#rows.replaceChildren(...items.map((item) => this.#row(item)));
  }

  /** Events at positions first..last, from cached pages of the store's global order. */
  async #read(first: number, last: number): Promise<PositionedEvent[]> {
    const items: PositionedEvent[] = [];
    for (let page = Math.floor((first - 1) / PAGE); page * PAGE < last; page++) {
      items.push(...(await this.#page(page)).filter((item) => item.position >= first && item.position <= last));
    }
    return items;
  }

  async #page(page: number): Promise<PositionedEvent[]> {
    const cached = this.#pages.get(page);
    const expected = Math.min(PAGE, this.#total - page * PAGE);
    if (cached && cached.length >= expected) return cached;
    const items = await this.store.readAll({ fromPosition: page * PAGE + 1, limit: PAGE });
    if (this.#pages.size >= MAX_PAGES) this.#pages.delete(this.#pages.keys().next().value!);
    this.#pages.set(page, items);
    return items;
  }

  #row({ position, event }: PositionedEvent): HTMLElement {
    const row = el('div', 'log-row');
    row.dataset.position = String(position);
    const account = el('span', 'account', this.ownerOf(event.AggregateID) ?? shortId(event.AggregateID));
    account.title = `${event.AggregateType} ${event.AggregateID}`;
    const payload = el('span', 'payload', JSON.stringify(event.payloads));
    payload.title = describeAmount(event) ?? '';
    row.append(
      el('span', 'pos', `#${count(position)}`),
      el('span', 'ver', `v${count(event._version)}`),
      el('span', `name ${event.EventName}`, event.EventName),
      account,
      el('span', 'time', clock(event._createdAt)),
      payload,
    );
    return row;
  }
}

/** "+12.50" for a deposit, "−12.50" for a withdrawal (the row's tooltip). */
function describeAmount(event: IEvent): string | undefined {
  const amount = (event.payloads as { amountCents?: unknown })?.amountCents;
  if (typeof amount !== 'number') return undefined;
  return `${event.EventName === 'MoneyWithdrawn' ? '−' : '+'}${formatCents(amount)}`;
}
