// npm run bench: every Node benchmark, one after the other; each writes its section of
// bench/RESULTS.md.
const scenarios = ['./rehydrate.mjs'];
for (const scenario of scenarios) await import(scenario);
