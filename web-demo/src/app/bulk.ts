// The bulk generator: one new account with `total` events (an opening, then deposits and
// withdrawals that keep the balance positive), dispatched in batches; then the account is
// rehydrated with the native reducer and with the JS reducer, each timed.
import type { IService } from 'atomservices';
import { EMPTY_ACCOUNT, accountReducer, jsAccountReducer } from '../domain/account';
import { ACCOUNT, accountOpened, moneyDeposited, moneyWithdrawn, type AccountEvent } from '../domain/events';

export interface BulkProgress {
  phase: 'writing' | 'rehydrating';
  done: number;
  total: number;
}

export interface BulkResult {
  accountId: string;
  events: number;
  batches: number;
  writeMs: number;
  nativeMs: number;
  jsMs: number;
  balanceCents: number;
}

const metadata = { source: 'bulk' as const };

/** Makes the events of versions from..to of the account, tracking its balance. */
function* movements(accountId: string, from: number, to: number, account: { balanceCents: number }): Generator<AccountEvent> {
  for (let version = from; version <= to; version++) {
    const amountCents = 100 + Math.floor(Math.random() * 50_000);
    const base = { _version: version, _createdBy: 'bulk-generator', AggregateID: accountId, metadata, payloads: { amountCents } };
    if (Math.random() < 0.3 && amountCents <= account.balanceCents) {
      account.balanceCents -= amountCents;
      yield moneyWithdrawn(base);
    } else {
      account.balanceCents += amountCents;
      yield moneyDeposited(base);
    }
  }
}

async function write(service: IService, total: number, batchSize: number, report: (p: BulkProgress) => void) {
  const opening = accountOpened({ _version: 1, _createdBy: 'bulk-generator', metadata, payloads: { owner: `Bulk ${total.toLocaleString('en-US')}` } });
  const accountId = opening.AggregateID;
  const account = { balanceCents: 0 };
  let batches = 0;
  for (let first = 1; first <= total; first += batchSize) {
    const last = Math.min(first + batchSize - 1, total);
    const batch = [...movements(accountId, Math.max(first, 2), last, account)];
    await service.dispatch(first === 1 ? [opening, ...batch] : batch);
    batches++;
    report({ phase: 'writing', done: last, total });
  }
  return { accountId, batches, balanceCents: account.balanceCents };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

const ROUNDS = 3;

/**
 * Writes the events, waits for `settle` (the page catching up with them), then times both
 * rehydrations without snapshots, alternating, best of ROUNDS each.
 */
export async function generate(
  service: IService, total: number, batchSize: number, report: (p: BulkProgress) => void, settle: () => Promise<void>,
): Promise<BulkResult> {
  const [written, writeMs] = await timed(() => write(service, total, batchSize, report));
  await settle();
  const { accountId } = written;
  let nativeMs = Infinity;
  let jsMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const onProgress = ({ done }: { done: number }) => report({ phase: 'rehydrating', done: round * total + done, total: ROUNDS * total });
    const [native, nativeRound] = await timed(() => service.rehydrate(ACCOUNT, accountId, accountReducer, { snapshots: false, onProgress }));
    const [js, jsRound] = await timed(() => service.rehydrate(ACCOUNT, accountId, jsAccountReducer, EMPTY_ACCOUNT, { onProgress }));
    if (native.state.balanceCents !== written.balanceCents || js.state.balanceCents !== written.balanceCents) {
      throw new Error('a rehydrated balance differs from the generated one');
    }
    nativeMs = Math.min(nativeMs, nativeRound);
    jsMs = Math.min(jsMs, jsRound);
  }
  return { ...written, events: total, writeMs, nativeMs, jsMs };
}
