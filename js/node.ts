// Node entry (CommonJS). The core is instantiated synchronously, so everything works
// right after require() or import.
import { setCore, type CoreModule } from './core.js';

const createCore = require('../wasm/atomservices.cjs') as (module: object) => unknown;
const core = {} as CoreModule;
createCore(core);
setCore(core);

export * from './index.js';
