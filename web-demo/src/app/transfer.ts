// Export of the event log to a JSON file, and import of such a file into a fresh store.
// An import is checked in full in a MemoryEventStore first (the same rules as IndexedDB:
// the event contract and dense versions), so an invalid file changes nothing.
import {
  AtomServicesError, IndexedDBEventStore, MemoryEventStore, createService, type IEvent, type IEventStore,
} from 'atomservices';

export const FORMAT = 'atomservices-demo/ledger';
export const BATCH = 1000;
const READ_PAGE = 5000;

export interface LedgerFile {
  format: typeof FORMAT;
  ledger: string;
  exportedAt: string;
  count: number;
  events: IEvent[];
}

/** A file that cannot be imported; `code` says why, `byStore` whether the store's rules refused it. */
export class ImportError extends Error {
  constructor(readonly code: string, message: string, readonly byStore = false) {
    super(message);
  }
}

export type Progress = (done: number, total: number) => void;

/** The whole log, in global order, as the text of a ledger file. */
export async function exportLog(store: IEventStore & { getLastPosition(): Promise<number> }, ledger: string, progress: Progress): Promise<Blob> {
  const total = await store.getLastPosition();
  const header = { format: FORMAT, ledger, exportedAt: new Date().toISOString(), count: total };
  const parts = [JSON.stringify(header).slice(0, -1), ',"events":[\n'];
  for (let from = 1; from <= total; from += READ_PAGE) {
    const page = await store.readAll({ fromPosition: from, limit: READ_PAGE });
    parts.push((from > 1 ? ',\n' : '') + page.map((item) => JSON.stringify(item.event)).join(',\n'));
    progress(Math.min(from + READ_PAGE - 1, total), total);
  }
  parts.push('\n]}\n');
  return new Blob(parts, { type: 'application/json' });
}

/** Reads a ledger file's text; throws ImportError when it is not one. */
export function parseLedgerFile(text: string): LedgerFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ImportError('NOT_JSON', `The file is not JSON: ${(error as Error).message}`);
  }
  const file = data as Partial<LedgerFile> | null;
  if (typeof file !== 'object' || file === null || file.format !== FORMAT || !Array.isArray(file.events)) {
    throw new ImportError('NOT_A_LEDGER', `The file is not a ledger export (expected an object with "format": "${FORMAT}" and an "events" list).`);
  }
  if (file.count !== file.events.length) {
    throw new ImportError('INCOMPLETE', `The file says it holds ${file.count} events but holds ${file.events.length}.`);
  }
  if (file.events.length === 0) throw new ImportError('EMPTY', 'The file holds no events.');
  return file as LedgerFile;
}

/** Appends the events in batches; an error names the event's place in the file. */
async function appendAll(append: (batch: IEvent[]) => Promise<unknown>, events: IEvent[], progress: Progress): Promise<void> {
  for (let from = 0; from < events.length; from += BATCH) {
    try {
      await append(events.slice(from, from + BATCH));
    } catch (error) {
      if (!(error instanceof AtomServicesError)) throw error;
      const place = error.index === undefined ? '' : ` (event ${from + error.index + 1} of the file)`;
      throw new ImportError(error.code, `${error.message}${place}`, true);
    }
    progress(Math.min(from + BATCH, events.length), events.length);
  }
}

/** Checks every event as the store would, in memory: throws ImportError on the first problem. */
export async function checkInMemory(events: IEvent[], progress: Progress): Promise<void> {
  const memory = new MemoryEventStore();
  try {
    await appendAll((batch) => memory.append(batch), events, progress);
  } finally {
    await memory.close();
  }
}

/** Dispatches the events, in batches, into the store `name`, which must be empty. */
export async function importInto(name: string, events: IEvent[], progress: Progress): Promise<void> {
  const store = new IndexedDBEventStore({ name, wait: false });
  const service = createService({ EventStore: store });
  try {
    if ((await store.getLastPosition()) !== 0) throw new ImportError('NOT_EMPTY', `The ledger "${name}" is not empty.`);
    await appendAll((batch) => service.dispatch(batch), events, progress);
  } finally {
    await service.close();
  }
}
