// A module worker writing to the same store as the pages. It says "ready" once it listens:
// a message posted before the module (with its top-level await) finished would be lost.
import * as atomservices from '/dist/esm/browser.js';
import { writeFor } from './writer.js';

self.onmessage = async ({ data: { name, ms } }) => {
  try {
    self.postMessage(await writeFor(atomservices, name, 'worker', ms));
  } catch (error) {
    self.postMessage({ error: String(error?.stack ?? error) });
  }
};
self.postMessage('ready');
