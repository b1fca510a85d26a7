// The forms: open an account, deposit, withdraw, close; the consistency switch; and two
// buttons that provoke errors the store catches (a stale write, an event JSON cannot hold).
import type { IService } from 'atomservices';
import type { Accounts } from '../app/accounts';
import { decide, staleDeposit, unserializableDeposit, type Command } from '../domain/commands';
import { RECEIPT_MS, type ReceiptPrinter } from '../app/receipts';
import { byId, el } from './dom';
import type { Dispatcher, Mode } from './dispatcher';

const MODE_HELP: Record<Mode, string> = {
  eventual: 'dispatch(event) resolves once the event is durable in IndexedDB; the receipt handler runs afterwards, in the background.',
  strong: `dispatch(event, notified): notified runs after the store and every handler finished (the receipt handler takes ~${RECEIPT_MS} ms).`,
};

interface Context {
  service: IService;
  accounts: Accounts;
  dispatcher: Dispatcher;
  receipts: ReceiptPrinter;
  teller: () => string;
}

export function mountCommands(context: Context): void {
  mountModeSwitch(context.dispatcher);
  mountOpenForm(context);
  mountMoveForm(context);
  mountProvocations(context);
  const failing = byId<HTMLInputElement>('fail-handler');
  failing.addEventListener('change', () => { context.receipts.failing = failing.checked; });
}

function mountModeSwitch(dispatcher: Dispatcher): void {
  const help = byId('mode-help');
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
    input.addEventListener('change', () => {
      dispatcher.mode = input.value as Mode;
      help.textContent = MODE_HELP[dispatcher.mode];
    });
    if (input.checked) dispatcher.mode = input.value as Mode;
  }
  help.textContent = MODE_HELP[dispatcher.mode];
}

function mountOpenForm({ service, accounts, dispatcher, teller }: Context): void {
  const owner = byId<HTMLInputElement>('owner');
  byId('open-form').addEventListener('submit', async (submit) => {
    submit.preventDefault();
    const command: Command = { kind: 'open', owner: owner.value };
    const event = await dispatcher.run(`Open an account for “${owner.value.trim()}”`, () => decide(service, command, teller()));
    if (!event) return;
    owner.value = '';
    accounts.select(event.AggregateID);
  });
}

function mountMoveForm({ service, accounts, dispatcher, teller }: Context): void {
  const select = byId<HTMLSelectElement>('account-select');
  const amount = byId<HTMLInputElement>('amount');
  // The chosen account is the app's, not the list's: the list may not show a new account yet.
  const chosen = () => accounts.selected ?? '';
  const owner = () => accounts.ownerOf(chosen()) ?? 'no account';
  const run = (title: string, command: Command) => dispatcher.run(title, () => decide(service, command, teller()));
  select.addEventListener('change', () => accounts.select(select.value || undefined));
  accounts.onChange(() => fillAccountSelect(select, accounts));
  byId('move-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    const kind = (submit as SubmitEvent).submitter?.dataset.kind ?? 'deposit';
    if (kind === 'close') {
      void run(`Close ${owner()}'s account`, { kind: 'close', accountId: chosen() });
    } else if (kind === 'deposit' || kind === 'withdraw') {
      const title = `${kind === 'deposit' ? 'Deposit' : 'Withdraw'} ${amount.value || '(nothing)'} ${kind === 'deposit' ? 'to' : 'from'} ${owner()}`;
      void run(title, { kind, accountId: chosen(), amount: amount.value });
    }
  });
}

function fillAccountSelect(select: HTMLSelectElement, accounts: Accounts): void {
  if (select.options.length !== accounts.owners.size + 1) {
    select.replaceChildren(el('option', '', 'Choose an account…'));
    select.options[0].value = '';
    for (const [id, owner] of accounts.owners) {
      const option = el('option', '', owner);
      option.value = id;
      select.append(option);
    }
  }
  for (const option of select.options) {
    const closed = accounts.states.get(option.value)?.state.status === 'closed';
    option.textContent = `${accounts.ownerOf(option.value) ?? 'Choose an account…'}${closed ? ' (closed)' : ''}`;
  }
  select.value = accounts.selected ?? '';
}

function mountProvocations({ service, accounts, dispatcher, teller }: Context): void {
  const selected = () => accounts.selected ?? '';
  const owner = () => accounts.ownerOf(selected()) ?? 'no account';
  byId('stale-btn').addEventListener('click', () => {
    void dispatcher.run(`Stale write: deposit 1.00 to ${owner()} with an old _version`, () => staleDeposit(service, selected(), teller()));
  });
  byId('nan-btn').addEventListener('click', () => {
    void dispatcher.run(`Deposit NaN to ${owner()} (the app's checks skipped)`, () => unserializableDeposit(service, selected(), teller()));
  });
}
