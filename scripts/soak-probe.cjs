// Preloaded into the Gatehouse under soak (node --expose-gc --require scripts/soak-probe.cjs …):
// every SOAK_SAMPLE_MS it runs a full GC and appends the process's memory to
// SOAK_MEMORY_FILE as one JSON line. Heap after a full GC is the live heap, so a leak
// shows as a trend rather than hiding in the collector's sawtooth.
'use strict';
const { appendFileSync } = require('node:fs');

const { isMainThread } = require('node:worker_threads');

const file = process.env.SOAK_MEMORY_FILE;
const every = Number(process.env.SOAK_SAMPLE_MS || 3000);
// --require runs in worker threads too: only the main thread samples (and leaks, below).
if (file && isMainThread) {
  const timer = setInterval(() => {
    if (typeof global.gc === 'function') global.gc();
    const m = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }) + '\n');
  }, every);
  timer.unref();
}

// The soak's self-test: SOAK_LEAK_BYTES_PER_REQUEST retains that much per HTTP request, a
// leak the trend bound must catch (see docs/reliability.md). Never set outside that test.
const leak = Number(process.env.SOAK_LEAK_BYTES_PER_REQUEST || 0);
if (leak > 0 && isMainThread) {
  const retained = [];
  const http = require('node:http');
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, ...args) {
    if (event === 'request') retained.push(Buffer.alloc(leak, 120).toString('latin1')); // a flat string on the V8 heap
    return emit.call(this, event, ...args);
  };
}
