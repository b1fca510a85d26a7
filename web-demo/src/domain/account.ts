// An account's state, folded from its events: once as data (a NativeReducer, folded inside
// the WebAssembly core) and once as a plain JS reducer (to compare their speed).
import { NativeReducer, type IEvent } from 'atomservices';

export interface AccountState {
  owner: string;
  status: 'none' | 'open' | 'closed';
  balanceCents: number;
  deposits: number;
  withdrawals: number;
  openedAt: string;
  updatedAt: string;
}

export const EMPTY_ACCOUNT: AccountState = {
  owner: '', status: 'none', balanceCents: 0, deposits: 0, withdrawals: 0, openedAt: '', updatedAt: '',
};

export const accountReducer = new NativeReducer<AccountState>({
  initialState: EMPTY_ACCOUNT,
  on: {
    AccountOpened: [
      { op: 'set', path: 'owner', from: 'payloads.owner' },
      { op: 'set', path: 'status', value: 'open' },
      { op: 'set', path: 'openedAt', from: '_createdAt' },
    ],
    MoneyDeposited: [
      { op: 'add', path: 'balanceCents', from: 'payloads.amountCents' },
      { op: 'increment', path: 'deposits' },
    ],
    MoneyWithdrawn: [
      { op: 'subtract', path: 'balanceCents', from: 'payloads.amountCents' },
      { op: 'increment', path: 'withdrawals' },
    ],
    AccountClosed: [{ op: 'set', path: 'status', value: 'closed' }],
    '*': [{ op: 'set', path: 'updatedAt', from: '_createdAt' }],
  },
  snapshotEvery: 1000,
});

/** The same fold in JS. */
export function jsAccountReducer(state: AccountState, event: IEvent): AccountState {
  const payloads = event.payloads as { owner?: string; amountCents?: number };
  const next = { ...state, updatedAt: event._createdAt };
  switch (event.EventName) {
    case 'AccountOpened': return { ...next, owner: payloads.owner ?? '', status: 'open', openedAt: event._createdAt };
    case 'MoneyDeposited': return { ...next, balanceCents: next.balanceCents + (payloads.amountCents ?? 0), deposits: next.deposits + 1 };
    case 'MoneyWithdrawn': return { ...next, balanceCents: next.balanceCents - (payloads.amountCents ?? 0), withdrawals: next.withdrawals + 1 };
    case 'AccountClosed': return { ...next, status: 'closed' };
    default: return next;
  }
}
