#!/usr/bin/env node
// Pushes through the gateway as fast as it answers, for
// tests/bench/gateway_bench.sh: `POST /sync/ENTITY` of single-row updates,
// INFLIGHT requests at once over keep-alive connections (http.Agent), for
// SECONDS.
//
//   node gateway_bench_push.mjs --url http://HOST:PORT/sync/ENTITY --token T
//       --rows R [--seconds S] [--inflight N] [--key id] [--column v] [--start V]
//
// Request k updates row 1 + (k mod R): {"op":"update","key":{KEY:id},
// "changes":{COLUMN:{"new":START+k}}} (no "old": nothing to compare, as
// the lines given to `deltabridge push` by the same script).
//
// Prints one JSON line: {"pushes", "seconds", "rate", "p50_ms", "p99_ms",
// "max_ms", "statuses": {STATUS: COUNT}, "sockets"}. Exit 1 when any answer
// was not 200.
import http from 'node:http';
import {performance} from 'node:perf_hooks';

const opts = {seconds: 10, inflight: 8, key: 'id', column: 'v', start: 1000000};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i].replace(/^--/, '');
  opts[name] = ['url', 'token', 'key', 'column'].includes(name) ? argv[i + 1] : Number(argv[i + 1]);
}
if (!opts.url || !opts.token || !opts.rows) {
  process.stderr.write('usage: gateway_bench_push.mjs --url URL --token T --rows R ...\n');
  process.exit(64);
}

const url = new URL(opts.url);
const agent = new http.Agent({keepAlive: true, maxSockets: opts.inflight});
const latencies = [];
const statuses = {};
let sent = 0;
const sockets = new Set();

function post(k) {
  const body = JSON.stringify({
    op: 'update',
    key: {[opts.key]: 1 + (k % opts.rows)},
    changes: {[opts.column]: {new: opts.start + k}},
  });
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({
      agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        'Authorization': `Bearer ${opts.token}`,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      },
    }, (res) => {
      sockets.add(res.socket);
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
        resolve();
      });
    });
    req.on('error', (e) => {
      statuses[e.code || 'error'] = (statuses[e.code || 'error'] || 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

const start = performance.now();
const deadline = start + opts.seconds * 1000;
async function lane() {
  while (performance.now() < deadline) await post(sent++);
}
await Promise.all(Array.from({length: opts.inflight}, lane));
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => +latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * q) - 1)]
                      .toFixed(2);
const ok = Object.keys(statuses).every((s) => s === '200');
process.stdout.write(JSON.stringify({
  pushes: latencies.length, seconds: +seconds.toFixed(2),
  rate: Math.round(latencies.length / seconds), p50_ms: at(0.5), p99_ms: at(0.99),
  max_ms: +latencies[latencies.length - 1].toFixed(2), statuses, sockets: sockets.size,
}) + '\n');
agent.destroy();
process.exit(ok ? 0 : 1);
