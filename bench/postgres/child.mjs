// One process of the multi-process case: opens its store, says "ready", waits for "go",
// runs its dispatchers and prints how many events it stored.
import { createInterface } from 'node:readline';
import { atomservices, concurrent, emmett, handWritten } from './stores.mjs';

const [kind, url, name, writers, each] = process.argv.slice(2);
const open = { atomservices: () => atomservices(url, name), emmett: () => emmett(url), 'hand-written pg': () => handWritten(url, name) };
const store = await open[kind]();
// Warm, like the one-process cases (which run after the stores did other work): connections
// open, statements prepared, the code compiled.
await concurrent(store, Number(writers), Number(each));
console.log('ready');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== 'go') continue;
  const cpu = process.cpuUsage();
  const events = await concurrent(store, Number(writers), Number(each));
  const { user, system } = process.cpuUsage(cpu);
  console.log(JSON.stringify({ events, cpuMicros: user + system }));
  break;
}
lines.close();
await store.close();
