import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serve, launch } from './harness.mjs';

// A strict Content Security Policy: no eval of any kind, only this origin's scripts, the
// page's import map by its hash, and WebAssembly compilation.
const importMap = readFileSync(new URL('./smoke.html', import.meta.url), 'utf8').match(/<script type="importmap">(.*?)<\/script>/s)[1];
const STRICT_CSP = `script-src 'self' 'wasm-unsafe-eval' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'; object-src 'none'; base-uri 'none'`;

async function runSmokePage(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  await page.goto(`${url}/tests/browser/smoke.html`);
  await page.waitForFunction(() => window.smokeResult !== undefined, null, { timeout: 20000 });
  const result = await page.evaluate(() => window.smokeResult);
  await page.close();
  return { result, problems };
}

for (const [name, headers] of [['a plain page', {}], ['a page with a strict CSP', { 'content-security-policy': STRICT_CSP }]]) {
describe(`the ES module build in headless Chromium, on ${name}`, () => {
  let server;
  let browser;
  before(async () => { server = await serve(headers); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  it('imports the package from a page on 127.0.0.1 and dispatches events', async () => {
    const { result, problems } = await runSmokePage(browser, server.url);
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(problems, []);
    assert.equal(result.handled[0], result.firstId);
    assert.equal(result.handled.length, 2);
    assert.deepEqual(result.state, { email: 'b@example.com', count: 2 });
    assert.equal(result.version, 2);
    assert.deepEqual(result.conflict, { isError: true, code: 'CONCURRENCY_CONFLICT', actual: 2 });
    assert.equal(result.invalid.code, 'INVALID_EVENT');
    assert.match(result.invalid.message, /events\[0\]\.payloads\.n is NaN/);
  });
});
}
