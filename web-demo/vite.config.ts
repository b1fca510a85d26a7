import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, searchForWorkspaceRoot } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The package is linked (`"atomservices": "file:.."`), so its files live outside this folder:
// let the dev server read its built dist/ (an app installing it from the registry needs nothing).
const packageDist = `${realpathSync(`${here}node_modules/atomservices`)}/dist`;

// atomservices is an ES module with top-level await that loads its .wasm through
// `new URL('atomservices.wasm', import.meta.url)`: build for ES2022, and let Vite serve the
// package as it is instead of pre-bundling it (which would move the module away from its .wasm).
export default defineConfig({
  build: { target: 'es2022' },
  optimizeDeps: { exclude: ['atomservices'] },
  server: { fs: { allow: [searchForWorkspaceRoot(here), packageDist] } },
});
