// Errors as readable messages: who refused (the app's rules, the store, a handler), the
// code, and what it means here.
import { AtomServicesError } from 'atomservices';
import { LedgerError } from '../domain/commands';
import { ImportError } from '../app/transfer';

export interface Explained {
  by: 'ledger rules' | 'atomservices' | 'atomservices (import check)' | 'import';
  code: string;
  text: string;
  detail?: string;
}

function explainLibrary(error: AtomServicesError): string {
  switch (error.code) {
    case 'CONCURRENCY_CONFLICT':
      return `Stale write refused: the event was built for version ${error.expectedVersion} of the account, but the account is already at version ${error.actualVersion}. Nothing was written; reload the account and try again.`;
    case 'INVALID_EVENT':
      return 'The event breaks the event contract; nothing was written.';
    case 'HANDLER_FAILED':
      return `The event is stored, but a handler failed: ${(error.failures ?? []).map((f) => `${f.handler}: ${String((f.error as Error)?.message ?? f.error)}`).join('; ')}.`;
    case 'STORE_LOCKED':
      return 'This ledger is open in another tab.';
    default:
      return error.message;
  }
}

export function explain(error: unknown): Explained {
  if (error instanceof LedgerError) return { by: 'ledger rules', code: error.code, text: error.message };
  if (error instanceof ImportError) {
    return { by: error.byStore ? 'atomservices (import check)' : 'import', code: error.code, text: error.message };
  }
  if (error instanceof AtomServicesError) {
    const text = explainLibrary(error);
    return { by: 'atomservices', code: error.code, text, detail: text === error.message ? undefined : error.message };
  }
  return { by: 'atomservices', code: 'ERROR', text: String((error as Error)?.message ?? error) };
}
