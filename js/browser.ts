// Browser (and bundler) entry, an ES module: top-level await makes the core ready before
// any importing code runs, so EventBuilder is synchronous from the first line.
import createCore from '../wasm/atomservices.mjs';
import { setCore, type CoreModule } from './core.js';

setCore((await createCore()) as CoreModule);

export * from './index.js';
