// The ledger's events and their builders. AggregateType "Account"; AggregateID a UUID.
import { EventBuilder, type IEvent } from 'atomservices';

export const ACCOUNT = 'Account';

/** Where an event came from: the forms (its handlers print a receipt) or the bulk generator. */
export interface LedgerMetadata extends Record<string, unknown> {
  source: 'ui' | 'bulk';
}

export interface AccountOpened extends IEvent<{ owner: string }, LedgerMetadata> {}
export interface MoneyDeposited extends IEvent<{ amountCents: number }, LedgerMetadata> {}
export interface MoneyWithdrawn extends IEvent<{ amountCents: number }, LedgerMetadata> {}
export interface AccountClosed extends IEvent<Record<string, never>, LedgerMetadata> {}

export type AccountEvent = AccountOpened | MoneyDeposited | MoneyWithdrawn | AccountClosed;

export const accountOpened = EventBuilder<AccountOpened>({ EventName: 'AccountOpened', AggregateType: ACCOUNT });
export const moneyDeposited = EventBuilder<MoneyDeposited>({ EventName: 'MoneyDeposited', AggregateType: ACCOUNT });
export const moneyWithdrawn = EventBuilder<MoneyWithdrawn>({ EventName: 'MoneyWithdrawn', AggregateType: ACCOUNT });
export const accountClosed = EventBuilder<AccountClosed>({ EventName: 'AccountClosed', AggregateType: ACCOUNT });
