import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventStore, FileEventStore } from 'atomservices';
import { storeConformance } from './store-conformance.mjs';
import { JsEventStore } from './js-event-store.mjs';
import { scratchDirectory } from './helpers-files.mjs';

const tests = { describe, it, beforeEach, afterEach, assert };

storeConformance('MemoryEventStore', () => new MemoryEventStore(), tests);
storeConformance('FileEventStore', () => new FileEventStore({ directory: scratchDirectory() }), tests);
storeConformance('a hand-written JS store', () => new JsEventStore(), tests);
