// Which ledgers (IndexedDB stores) this browser knows, and which one the page opens.
const KNOWN = 'atomservices-demo:ledgers';
const ACTIVE = 'atomservices-demo:active';
export const DEFAULT_LEDGER = 'ledger';

export function knownLedgers(): string[] {
  try {
    const names: unknown = JSON.parse(localStorage.getItem(KNOWN) ?? '[]');
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

export function activeLedger(): string {
  return localStorage.getItem(ACTIVE) ?? DEFAULT_LEDGER;
}

/** Remembers `name` and makes it the ledger the page opens. */
export function useLedger(name: string): void {
  const names = knownLedgers();
  if (!names.includes(name)) localStorage.setItem(KNOWN, JSON.stringify([...names, name]));
  localStorage.setItem(ACTIVE, name);
}

/** A ledger name not used yet: "ledger-2", "ledger-3", ... */
export function unusedLedgerName(taken: string[] = knownLedgers()): string {
  for (let n = 2; ; n++) {
    if (!taken.includes(`${DEFAULT_LEDGER}-${n}`)) return `${DEFAULT_LEDGER}-${n}`;
  }
}
