// A module worker using the same store as the pages. It says "ready" once it listens:
// a message posted before the module (with its top-level await) finished would be lost.
import * as atomservices from '/dist/esm/browser.js';
import { writeFor } from './writer.js';
import { dispatchMany, race } from './dispatcher.js';

const jobs = { writeFor: ({ name, ms, wait }) => writeFor(atomservices, name, 'worker', ms, wait), dispatchMany: (options) => dispatchMany(atomservices, options), race: (options) => race(atomservices, options) };

self.onmessage = async ({ data: { job = 'writeFor', ...options } }) => {
  try {
    self.postMessage(await jobs[job](options));
  } catch (error) {
    self.postMessage({ error: String(error?.stack ?? error) });
  }
};
self.postMessage('ready');
