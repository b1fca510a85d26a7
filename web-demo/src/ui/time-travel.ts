// Time travel: the selected account's state at any earlier version, rehydrated with the
// native reducer and `toVersion`, next to the event that made that version.
import type { IService } from 'atomservices';
import type { Accounts } from '../app/accounts';
import { accountReducer, type AccountState } from '../domain/account';
import { ACCOUNT } from '../domain/events';
import { formatCents } from '../domain/money';
import { byId, clock, count, el, ms } from './dom';

export function mountTimeTravel(service: IService, accounts: Accounts): void {
  const slider = byId<HTMLInputElement>('travel-slider');
  const view = { accountId: '', max: 0, shown: 0, request: 0 };

  const show = async (version: number) => {
    const request = ++view.request;
    const started = performance.now();
    const [{ state }, [event]] = await Promise.all([
      service.rehydrate(ACCOUNT, view.accountId, accountReducer, { toVersion: version }),
      service.getEvents(ACCOUNT, view.accountId, { fromVersion: version, toVersion: version }),
    ]);
    if (request !== view.request) return; // a newer position was asked for meanwhile
    view.shown = version;
    renderState(state, accounts.states.get(view.accountId)?.state);
    byId('travel-label').textContent = `version ${count(version)} of ${count(view.max)}`;
    byId('travel-event').textContent = event
      ? `v${event._version} ${event.EventName} ${JSON.stringify(event.payloads)} at ${clock(event._createdAt)} by ${event._createdBy}` : '';
    byId('travel-note').textContent = `rehydrated to v${count(version)} with the NativeReducer in ${ms(performance.now() - started)}`;
  };

  slider.addEventListener('input', () => void show(Number(slider.value)));
  accounts.onChange(() => {
    const id = accounts.selected ?? '';
    const max = accounts.states.get(id)?.version ?? 0;
    if (id === view.accountId && max === view.max) return;
    const following = id !== view.accountId || view.shown === view.max;
    Object.assign(view, { accountId: id, max });
    byId('travel-title').textContent = id ? `${accounts.ownerOf(id)} · ${id.slice(0, 8)}` : 'Select an account';
    byId('time-travel').classList.toggle('empty', max === 0);
    slider.max = String(Math.max(max, 1));
    if (max === 0) return;
    if (following) slider.value = String(max);
    void show(Number(slider.value));
  });
}

function renderState(state: AccountState, now: AccountState | undefined): void {
  const rows: Array<[string, string, string?]> = [
    ['Owner', state.owner],
    ['Balance', formatCents(state.balanceCents), now && now.balanceCents !== state.balanceCents ? `now ${formatCents(now.balanceCents)}` : undefined],
    ['Status', state.status, now && now.status !== state.status ? `now ${now.status}` : undefined],
    ['Deposits', count(state.deposits)],
    ['Withdrawals', count(state.withdrawals)],
    ['Last change', state.updatedAt ? clock(state.updatedAt) : ''],
  ];
  byId('travel-state').replaceChildren(...rows.flatMap(([term, value, note]) => {
    const dd = el('dd', '', value);
    if (note) dd.append(el('span', 'now', note));
    return [el('dt', '', term), dd];
  }));
}
