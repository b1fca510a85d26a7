// Kills Chromium right after dispatches resolved, `rounds` times on one profile, then
// reopens the store: every acknowledged event must be there once, with dense versions.
// The same routine for every browser store (`kind` names its class).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchPersistent, openPage } from './harness.mjs';

export async function killAndRecover(t, { server, profile, kind, rounds }) {
  const acknowledged = [];
  for (let round = 0; round < rounds; round++) {
    const context = await launchPersistent(profile);
    const page = await openPage(context, server.url);
    await page.exposeFunction('acknowledge', (id) => { acknowledged.push(id); });
    const killAfter = 5 + Math.floor(Math.random() * 20);
    // Four writers dispatch concurrently; each acknowledged id is reported before the next dispatch.
    void page.evaluate(async ({ killAfter, kind }) => {
      const { createService, EventBuilder } = window.atomservices;
      const service = createService({ EventStore: new window.atomservices[kind]({ name: 'kill-test' }) });
      const build = EventBuilder({ EventName: 'Noted', AggregateType: 'Note' });
      let acknowledged = 0;
      const writer = async (w) => {
        let version = await service.getVersion('Note', `w${w}`);
        for (;;) {
          const event = build({ _version: ++version, _createdBy: 'test', AggregateID: `w${w}`, payloads: { version } });
          await service.dispatch(event);
          await window.acknowledge(event._id);
          if (++acknowledged === killAfter) window.killNow = true;
        }
      };
      await Promise.all([0, 1, 2, 3].map(writer));
    }, { killAfter, kind }).catch(() => {});
    await page.waitForFunction(() => window.killNow === true, null, { timeout: 30000 });
    execFileSync('pkill', ['-KILL', '-f', profile]);
    await context.close().catch(() => {});
  }
  const context = await launchPersistent(profile);
  const page = await openPage(context, server.url);
  const stored = await page.evaluate(async (kind) => {
    const store = new window.atomservices[kind]({ name: 'kill-test' });
    const all = await store.readAll();
    const dense = [0, 1, 2, 3].every((w) => {
      const versions = all.filter((x) => x.event.AggregateID === `w${w}`).map((x) => x.event._version);
      return versions.every((v, i) => v === i + 1);
    });
    await store.close();
    return { ids: all.map((x) => x.event._id), dense };
  }, kind);
  await context.close();
  const missing = acknowledged.filter((id) => !stored.ids.includes(id));
  assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged events are missing`);
  assert.equal(new Set(stored.ids).size, stored.ids.length, 'nothing stored twice');
  assert.ok(stored.dense, 'versions are dense');
  assert.ok(acknowledged.length >= 5 * rounds);
  t.diagnostic(`kills ${rounds}, acknowledged ${acknowledged.length}, recovered ${stored.ids.length}`);
}
