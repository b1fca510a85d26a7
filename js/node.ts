// Node entry (CommonJS). The core is instantiated synchronously, so everything works
// right after require() or import.
import { setCore, type CoreModule } from './core/core.js';
import { FileEventStore } from './stores/file-store.js';
import { setDefaultStore } from './service/service.js';

const createCore = require('../wasm/atomservices.cjs') as (module: object) => unknown;
const core = {} as CoreModule;
createCore(core);
setCore(core);

setDefaultStore(() => new FileEventStore({ directory: '.atomservices' }));

export * from './index.js';
export { FileEventStore } from './stores/file-store.js';
export type { FileEventStoreOptions } from './stores/file-store.js';
