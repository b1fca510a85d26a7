// The bulk generator's panel: a button per size, a progress bar, and the measured times.
import type { Accounts } from '../app/accounts';
import type { Feed } from '../app/feed';
import type { Ledger } from '../app/ledger';
import { generate, type BulkProgress, type BulkResult } from '../app/bulk';
import { byId, busy, count, el, ms, setProgress } from './dom';
import type { Activity } from './activity';

const BATCH = 1000;

export function mountBulk({ service, store }: Ledger, feed: Feed, accounts: Accounts, activity: Activity): void {
  const settle = async () => feed.reached(await store.getLastPosition());
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('#bulk button[data-count]')];
  const bar = byId('bulk-progress');
  const label = byId('bulk-label');
  const report = ({ phase, done, total }: BulkProgress) => {
    setProgress(bar, done, total);
    label.textContent = `${phase} ${count(done)} / ${count(total)}`;
  };
  const slider = byId<HTMLInputElement>('travel-slider');
  for (const button of buttons) {
    button.addEventListener('click', () => busy([...buttons, slider], async () => {
      const total = Number(button.dataset.count);
      const entry = activity.start(`Bulk: ${count(total)} events in batches of ${count(BATCH)}`);
      await accounts.pause();
      try {
        const result = await generate(service, total, BATCH, report, settle);
        await accounts.resume();
        label.textContent = `done: ${count(total)} events`;
        byId('bulk-results').prepend(resultItem(result));
        accounts.select(result.accountId);
        entry.done(`${count(total)} events stored`);
      } catch (error) {
        label.textContent = 'failed';
        entry.failed(error);
        await accounts.resume();
      }
    }));
  }
}

function resultItem(result: BulkResult): HTMLElement {
  const perSecond = Math.round(result.events / (result.writeMs / 1000));
  const item = el('li', 'bulk-result');
  item.append(
    el('strong', '', `${count(result.events)} events`),
    el('span', '', ` written in ${ms(result.writeMs)} (${count(result.batches)} batches, ${count(perSecond)} events/s)`),
    el('br'),
    el('span', '', `rehydrated (best of 3): NativeReducer ${ms(result.nativeMs)} · JS reducer ${ms(result.jsMs)}`),
  );
  item.dataset.events = String(result.events);
  return item;
}
