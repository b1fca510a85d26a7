// The ledger's rules, checked before an event is built. The store then adds its own:
// optimistic concurrency (each event's _version must be the account's version + 1).
import type { IService } from 'atomservices';
import { accountReducer, type AccountState } from './account';
import {
  ACCOUNT, accountClosed, accountOpened, moneyDeposited, moneyWithdrawn, type AccountEvent,
} from './events';
import { MAX_AMOUNT, formatCents, parseCents } from './money';

/** A command the ledger refused; `code` names the rule. */
export class LedgerError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export type Command =
  | { kind: 'open'; owner: string }
  | { kind: 'deposit' | 'withdraw'; accountId: string; amount: string }
  | { kind: 'close'; accountId: string };

export interface Account {
  state: AccountState;
  version: number;
}

export async function loadAccount(service: IService, accountId: string): Promise<Account> {
  if (!accountId) throw new LedgerError('ACCOUNT_NOT_FOUND', 'Choose an account first (or open one).');
  return service.rehydrate(ACCOUNT, accountId, accountReducer);
}

/** Checks the command against the account's current state and builds its event. */
export async function decide(service: IService, command: Command, teller: string): Promise<AccountEvent> {
  const base = { _createdBy: teller, metadata: { source: 'ui' as const } };
  if (command.kind === 'open') {
    return accountOpened({ ...base, _version: 1, payloads: { owner: checkOwner(command.owner) } });
  }
  const { state, version } = await loadAccount(service, command.accountId);
  checkOpen(state);
  const next = { ...base, _version: version + 1, AggregateID: command.accountId };
  if (command.kind === 'close') {
    if (state.balanceCents !== 0) {
      throw new LedgerError('BALANCE_NOT_ZERO', `${state.owner} still holds ${formatCents(state.balanceCents)}: withdraw it before closing the account.`);
    }
    return accountClosed({ ...next, payloads: {} });
  }
  const amountCents = checkAmount(command.amount);
  if (command.kind === 'deposit') return moneyDeposited({ ...next, payloads: { amountCents } });
  if (amountCents > state.balanceCents) {
    throw new LedgerError('INSUFFICIENT_FUNDS', `${state.owner} has ${formatCents(state.balanceCents)}; cannot withdraw ${formatCents(amountCents)}.`);
  }
  return moneyWithdrawn({ ...next, payloads: { amountCents } });
}

/** A deposit built as if the account had not moved since its previous version: a stale write. */
export async function staleDeposit(service: IService, accountId: string, teller: string): Promise<AccountEvent> {
  const { state, version } = await loadAccount(service, accountId);
  checkOpen(state);
  return moneyDeposited({
    _version: version, // already taken by the account's latest event
    _createdBy: teller, AggregateID: accountId,
    payloads: { amountCents: 100 }, metadata: { source: 'ui' },
  });
}

/** An event the app does not check: its amount is NaN, which JSON cannot hold. */
export async function unserializableDeposit(service: IService, accountId: string, teller: string): Promise<AccountEvent> {
  const { state, version } = await loadAccount(service, accountId);
  checkOpen(state);
  return moneyDeposited({
    _version: version + 1, _createdBy: teller, AggregateID: accountId,
    payloads: { amountCents: Number.NaN }, metadata: { source: 'ui' },
  });
}

function checkOwner(text: string): string {
  const owner = text.trim();
  if (owner.length === 0 || owner.length > 64) {
    throw new LedgerError('INVALID_OWNER', 'An account needs an owner name of 1 to 64 characters.');
  }
  return owner;
}

function checkOpen(state: AccountState): void {
  if (state.status === 'none') throw new LedgerError('ACCOUNT_NOT_FOUND', 'This account has no events: choose another one.');
  if (state.status === 'closed') throw new LedgerError('ACCOUNT_CLOSED', `${state.owner}'s account is closed: it takes no more deposits or withdrawals.`);
}

function checkAmount(text: string): number {
  const cents = parseCents(text);
  if (cents === undefined) {
    throw new LedgerError('INVALID_AMOUNT', `"${text}" is not an amount: enter a positive number with at most 2 decimals, up to ${MAX_AMOUNT}.`);
  }
  return cents;
}
