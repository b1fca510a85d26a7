import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, searchForWorkspaceRoot, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Workaround: atomservices 0.16 declares `"sideEffects": false`, but its browser entry
 * (dist/esm/browser.js) has one: its top-level await loads the WebAssembly core. A
 * production build therefore drops the entry (the app imports only re-exported names) and
 * the page fails with "the WebAssembly core is not loaded". Marking the entry as having
 * side effects keeps it. Remove this plugin once the package lists the entry in
 * `sideEffects` (e.g. ["./dist/esm/browser.js", "./dist/node.mjs", "./dist/cjs/node.js"]).
 */
function keepAtomservicesEntry(): Plugin {
  return {
    name: 'keep-atomservices-entry',
    transform(code, id) {
      if (/[\\/]dist[\\/]esm[\\/]browser\.js$/.test(id) && code.includes('setCore(')) {
        return { code, map: null, moduleSideEffects: true };
      }
      return undefined;
    },
  };
}

// The package is linked (`"atomservices": "file:.."`), so its files live outside this folder:
// let the dev server read its built dist/ (an app installing it from the registry needs nothing).
const packageDist = `${realpathSync(`${here}node_modules/atomservices`)}/dist`;

// atomservices is an ES module with top-level await that loads its .wasm through
// `new URL('atomservices.wasm', import.meta.url)`: build for ES2022, and let Vite serve the
// package as it is instead of pre-bundling it (which would move the module away from its .wasm).
export default defineConfig({
  plugins: [keepAtomservicesEntry()],
  build: { target: 'es2022' },
  optimizeDeps: { exclude: ['atomservices'] },
  server: { fs: { allow: [searchForWorkspaceRoot(here), packageDist] } },
});
