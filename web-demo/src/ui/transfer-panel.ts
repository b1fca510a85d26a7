// Export the log to a JSON file; import such a file into a fresh ledger, then open it.
import type { IEvent, IndexedDBEventStore, OPFSEventStore } from 'atomservices';
import { knownLedgers, unusedLedgerName, useLedger } from '../app/ledgers';
import { ImportError, checkInMemory, exportLog, importInto, parseLedgerFile, type Progress } from '../app/transfer';
import { byId, busy, count, ms, setProgress } from './dom';
import type { Activity } from './activity';

export function mountTransfer(store: IndexedDBEventStore | OPFSEventStore, ledger: string, activity: Activity): void {
  const exportButton = byId<HTMLButtonElement>('export-btn');
  const importButton = byId<HTMLButtonElement>('import-btn');
  const file = byId<HTMLInputElement>('import-file');
  const bar = byId('transfer-progress');
  const label = byId('transfer-label');
  const progress = (what: string) => (done: number, total: number) => {
    setProgress(bar, done, total);
    label.textContent = `${what} ${count(done)} / ${count(total)}`;
  };

  exportButton.addEventListener('click', () => busy([exportButton, importButton], async () => {
    const entry = activity.start('Export the event log to JSON');
    try {
      const blob = await exportLog(store, ledger, progress('exported'));
      download(blob, `${ledger}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
      entry.done(`downloaded ${(blob.size / 1024).toFixed(0)} KiB`);
    } catch (error) {
      entry.failed(error);
    }
  }));

  importButton.addEventListener('click', () => file.click());
  file.addEventListener('change', () => busy([exportButton, importButton], async () => {
    const chosen = file.files?.[0];
    file.value = '';
    if (chosen) await importFile(chosen, activity, progress);
  }));
}

async function importFile(chosen: File, activity: Activity, progress: (what: string) => Progress): Promise<void> {
  const entry = activity.start(`Import ${chosen.name}`);
  const started = performance.now();
  let checked = false;
  try {
    const { events } = parseLedgerFile(await chosen.text());
    await checkInMemory(events, progress('checked'));
    checked = true;
    const name = await importIntoFreshLedger(events, (name) => progress(`written to "${name}"`));
    entry.done(`${count(events.length)} events imported into the new ledger "${name}" in ${ms(performance.now() - started)}; opening it`);
    useLedger(name);
    setTimeout(() => location.reload(), 600);
  } catch (error) {
    entry.failed(error);
    byId('transfer-label').textContent = checked ? 'import failed while writing the new ledger' : 'import refused: nothing was written';
  }
}

/** Imports into the first unused ledger name whose store is empty; resolves to that name. */
async function importIntoFreshLedger(events: IEvent[], progress: (name: string) => Progress): Promise<string> {
  const taken = knownLedgers();
  for (;;) {
    const name = unusedLedgerName(taken);
    try {
      await importInto(name, events, progress(name));
      return name;
    } catch (error) {
      if (!(error instanceof ImportError && error.code === 'NOT_EMPTY') || taken.length > 100) throw error;
      taken.push(name); // a store of that name exists already (made in another tab, say)
    }
  }
}

function download(blob: Blob, name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
