// The header and the store banner: which ledger is open, how many events were loaded from
// IndexedDB, the write lock (one tab at a time), and the teller's name.
import { AtomServicesError } from 'atomservices';
import type { Ledger } from '../app/ledger';
import { knownLedgers, unusedLedgerName, useLedger } from '../app/ledgers';
import { byId, count, el, ms } from './dom';

export function mountLedgerPicker(active: string): void {
  const select = byId<HTMLSelectElement>('ledger-select');
  select.replaceChildren(...knownLedgers().map((name) => {
    const option = el('option', '', name);
    option.value = name;
    return option;
  }));
  select.value = active;
  select.onchange = () => switchTo(select.value);
  byId('new-ledger').onclick = () => switchTo(unusedLedgerName());
}

function switchTo(name: string): void {
  useLedger(name);
  location.reload();
}

/** The teller's name, kept in localStorage; events carry it in `_createdBy`. */
export function mountTeller(): () => string {
  const input = byId<HTMLInputElement>('teller');
  input.value = localStorage.getItem('atomservices-demo:teller') ?? 'ada';
  input.addEventListener('change', () => localStorage.setItem('atomservices-demo:teller', input.value));
  return () => input.value.trim() || 'anonymous';
}

type BannerKind = 'info' | 'ok' | 'warn' | 'error';

function banner(kind: BannerKind, state: string, ...content: Array<Node | string>): void {
  const box = byId('store-banner');
  box.className = `banner ${kind}`;
  box.dataset.state = state;
  box.replaceChildren(...content);
  document.body.dataset.store = state;
}

function button(id: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', 'small', text);
  b.id = id;
  b.addEventListener('click', onClick, { once: true });
  return b;
}

export function showOpening(name: string): void {
  banner('info', 'opening', `Opening the ledger “${name}”…`);
}

export function showLoaded(ledger: Ledger, onRelease: () => Promise<void>): void {
  const { events, ms: took } = ledger.loaded;
  const strong = el('strong', 'loaded', `${count(events)} event${events === 1 ? '' : 's'} loaded from ${ledger.where}`);
  banner('ok', 'open', strong,
    ` in ${ms(took)} (ledger “${ledger.name}”). Everything you do is stored there and survives a reload. Open it in another tab too: every tab takes commands and every timeline moves (one tab holds the store, the others send it their commands). `,
    button('release-btn', 'Close it here', () => void onRelease().then(() => showReleased(ledger.name))));
}

function showReleased(name: string): void {
  document.body.classList.add('inactive');
  banner('warn', 'released', `The ledger “${name}” is closed in this tab; other tabs go on with it. `,
    button('reopen-btn', 'Reopen here', () => location.reload()));
}

export function showFailure(error: unknown): void {
  const code = error instanceof AtomServicesError ? error.code : 'ERROR';
  banner('error', 'failed', el('code', 'code', code), ` The ledger could not be opened: ${(error as Error)?.message ?? error}`);
}

export function ready(): void {
  document.body.classList.remove('inactive');
}
