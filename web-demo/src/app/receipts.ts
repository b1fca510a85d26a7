// An event handler with a visible side effect: it "prints a receipt" for each event made in
// the forms, which takes a while. Strong dispatches wait for it; eventual ones do not.
import type { IEvent, IEventHandler } from 'atomservices';
import type { LedgerMetadata } from '../domain/events';

export const RECEIPT_MS = 400;

export interface ReceiptPrinter {
  handler: IEventHandler;
  /** When true, the handler throws (to show HANDLER_FAILED). */
  failing: boolean;
  /** Called once a receipt is printed. */
  onPrinted: (event: IEvent) => void;
}

export function receiptPrinter(): ReceiptPrinter {
  const printer: ReceiptPrinter = {
    failing: false,
    onPrinted: () => {},
    handler: {
      EventName: '*',
      AggregateType: 'Account',
      name: 'receipt-printer',
      handle: async (event) => {
        if ((event.metadata as LedgerMetadata | undefined)?.source !== 'ui') return;
        await new Promise((resolve) => setTimeout(resolve, RECEIPT_MS));
        if (printer.failing) throw new Error('the receipt printer is out of paper');
        printer.onPrinted(event);
      },
    },
  };
  return printer;
}
