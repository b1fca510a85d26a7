// The accounts table: each account's current state (rehydrated with the native reducer).
// Clicking a row selects the account for the forms and the time-travel slider.
import type { Accounts } from '../app/accounts';
import { formatCents } from '../domain/money';
import { byId, el } from './dom';

export function mountAccounts(accounts: Accounts): void {
  const body = byId('accounts-body');
  const summary = byId('accounts-summary');
  body.addEventListener('click', (click) => {
    const row = (click.target as HTMLElement).closest<HTMLTableRowElement>('tr[data-id]');
    if (row) accounts.select(row.dataset.id);
  });
  accounts.onChange(() => {
    body.replaceChildren(...[...accounts.owners.keys()].map((id) => accountRow(accounts, id)));
    summary.textContent = summarize(accounts);
  });
}

function accountRow(accounts: Accounts, id: string): HTMLTableRowElement {
  const account = accounts.states.get(id);
  const row = el('tr');
  row.dataset.id = id;
  if (id === accounts.selected) row.classList.add('selected');
  const status = account?.state.status ?? 'loading';
  const owner = el('td', 'owner', accounts.ownerOf(id) ?? '');
  owner.title = id;
  row.append(
    owner,
    el('td', 'num', account ? formatCents(account.state.balanceCents) : '…'),
    el('td', '', ''),
    el('td', 'num', account ? `v${account.version.toLocaleString('en-US')}` : ''),
  );
  row.cells[2].append(el('span', `pill ${status}`, status));
  return row;
}

function summarize(accounts: Accounts): string {
  let open = 0;
  let held = 0;
  for (const { state } of accounts.states.values()) {
    if (state.status === 'open') open++;
    held += state.balanceCents;
  }
  const n = accounts.owners.size;
  return n === 0 ? 'No accounts yet: open one.' : `${n} account${n === 1 ? '' : 's'}, ${open} open · ${formatCents(held)} held in total`;
}
