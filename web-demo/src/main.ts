// The ledger demo: opens the active ledger's IndexedDB store, shared by every tab of the
// page (or explains why it cannot),
// then mounts the panels.
import './styles.css';
import { Accounts } from './app/accounts';
import { Feed } from './app/feed';
import { openLedger, type Ledger } from './app/ledger';
import { activeLedger, useLedger } from './app/ledgers';
import { mountAccounts } from './ui/accounts-panel';
import { Activity } from './ui/activity';
import { mountBulk } from './ui/bulk-panel';
import { mountCommands } from './ui/commands-panel';
import { Dispatcher } from './ui/dispatcher';
import { byId } from './ui/dom';
import { mountLedgerPicker, mountTeller, ready, showFailure, showLoaded, showOpening } from './ui/status';
import { mountTimeTravel } from './ui/time-travel';
import { Timeline } from './ui/timeline';
import { mountTransfer } from './ui/transfer-panel';

const teller = mountTeller();

async function start(): Promise<void> {
  const name = activeLedger();
  useLedger(name);
  mountLedgerPicker(name);
  showOpening(name);
  try {
    mount(await openLedger(name));
  } catch (error) {
    showFailure(error);
  }
}

function mount(ledger: Ledger): void {
  const { service, store } = ledger;
  const activity = new Activity(byId('activity-list'));
  const feed = new Feed();
  const accounts = new Accounts(service, feed);
  const timeline = new Timeline(store, (id) => accounts.ownerOf(id));
  feed.listen((_, position) => timeline.grow(position));
  accounts.onChange(() => timeline.refresh());
  const dispatcher = new Dispatcher(ledger, activity);
  mountCommands({ service, accounts, dispatcher, receipts: ledger.receipts, teller });
  mountAccounts(accounts);
  mountTimeTravel(service, accounts);
  mountBulk(ledger, feed, accounts, activity);
  mountTransfer(store, ledger.name, activity);
  showLoaded(ledger, async () => {
    feed.stop();
    await service.close();
  });
  feed.start(service);
  ready();
}

void start();
