#!/usr/bin/env node
// Many WebSocket subscribers of one gateway entity in one Node.js process,
// for tests/bench/gateway_bench.sh: each delta's delivery latency (receipt
// wall time minus the delta's `ts`, the source commit time) into one
// histogram.
//
//   node gateway_bench_clients.mjs --url ws://HOST:PORT/sync/ENTITY --token T
//       [--all N] [--subset M --rows R --key id] [--batch 0|1] [--threads K]
//       [--connecting C]
//
// --all N: N clients of every row, `from=now` (changes only: a snapshot of
// every row for each of them would be the connect phase's whole cost).
// --subset M: M clients each of its own range of the keys 1..R
// (`where=id >= A AND id < B`, the ranges splitting 1..R evenly), each
// taking the snapshot of its rows first. --batch 1 adds `batch=1` (as
// client.js does). --threads K spreads the clients over K worker threads
// (K event loops; default 1). --connecting C: handshakes in flight at most
// (default 50). A client the gateway closes (4008, a slow client) connects
// again at once, `from=now`, and is counted.
//
// Commands on standard input, one per line; each answered with one JSON
// line on standard output:
//   start LABEL  empties the histogram and the counters  -> {"started":LABEL}
//   stop         -> {"label", "deltas", "messages", "bytes", "wall_s",
//                    "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
//                    "closes", "errors", "open"}
//   quit         closes every client and exits.
// First line, once every client has had its up-to-date:
//   {"ready":N,"connect_s":S}
//
// Latency per delta: a message's receipt time (performance.timeOrigin +
// performance.now(), taken when the message event runs) minus the `ts` of
// each delta in it. The text is scanned for `"ts":"` rather than parsed
// with JSON.parse, so that the client's own CPU goes to receiving; a real
// application would also parse. Microseconds of `ts` are kept (Date.parse
// alone would keep milliseconds).
import {performance} from 'node:perf_hooks';
import readline from 'node:readline';
import {Worker, isMainThread, parentPort, workerData} from 'node:worker_threads';
import {fileURLToPath} from 'node:url';

import {loadWs} from '../gateway/js/ws_lib.mjs';

// Histogram: 10 us buckets up to 10 s, then one overflow bucket.
const kBucketUs = 10;
const kBuckets = 1000000;

function parseArgs(argv) {
  const opts = {all: 0, subset: 0, rows: 0, key: 'id', batch: 1, threads: 1, connecting: 50};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    opts[name] = ['url', 'token', 'key'].includes(name) ? value : Number(value);
  }
  if (!opts.url || !opts.token) throw new Error('--url and --token are required');
  if (opts.subset > 0 && !(opts.rows >= opts.subset)) throw new Error('--rows must be >= --subset');
  return opts;
}

// The query of client `index` of the whole set (all-rows clients first);
// `again`: a connection after the gateway closed the first, from=now.
function clientQuery(opts, index, again) {
  const params = [`token=${encodeURIComponent(opts.token)}`];
  if (opts.batch) params.push('batch=1');
  if (index < opts.all || again) params.push('from=now');
  if (index >= opts.all) {
    const i = index - opts.all;
    const lo = 1 + Math.floor((i * opts.rows) / opts.subset);
    const hi = 1 + Math.floor(((i + 1) * opts.rows) / opts.subset);
    params.push(`where=${encodeURIComponent(`${opts.key} >= ${lo} AND ${opts.key} < ${hi}`)}`);
  }
  return params.join('&');
}

// ---------------------------------------------------------------- worker --
function runWorker({opts, indexes}) {
  const WebSocket = loadWs();
  let hist = new Uint32Array(kBuckets + 1);
  let deltas = 0, messages = 0, bytes = 0, closes = 0, errors = 0, maxUs = 0;
  let open = 0, ready = 0;
  const readySent = {done: false};
  let prefix = '', prefixMs = 0;  // the last "YYYY-MM-DDTHH:MM:SS" parsed

  // Epoch microseconds of "YYYY-MM-DDTHH:MM:SS.ffffffZ" starting at `at`.
  function tsMicros(text, at) {
    const p = text.substring(at, at + 19);
    if (p !== prefix) {
      prefix = p;
      prefixMs = Date.parse(p + 'Z');
    }
    let us = 0, digits = 0, j = at + 19;
    if (text.charCodeAt(j) === 46) {  // '.'
      for (j++; digits < 6; j++, digits++) {
        const c = text.charCodeAt(j) - 48;
        if (c < 0 || c > 9) break;
        us = us * 10 + c;
      }
      while (digits < 6) { us *= 10; digits++; }
    }
    return prefixMs * 1000 + us;
  }

  function onMessage(data) {
    const nowUs = (performance.timeOrigin + performance.now()) * 1000;
    const text = typeof data === 'string' ? data : data.toString('utf8');
    messages++;
    bytes += text.length;
    let at = text.indexOf('"ts":"');
    while (at >= 0) {
      let us = nowUs - tsMicros(text, at + 6);
      if (us < 0) us = 0;
      if (us > maxUs) maxUs = us;
      const b = Math.floor(us / kBucketUs);
      hist[b < kBuckets ? b : kBuckets]++;
      deltas++;
      at = text.indexOf('"ts":"', at + 6);
    }
  }

  function connect(index, first) {
    const query = clientQuery(opts, index, !first);
    return new Promise((resolve) => {
      const ws = new WebSocket(`${opts.url}?${query}`, {perMessageDeflate: false});
      let upToDate = false, opened = false;
      ws.on('open', () => {
        opened = true;
        open++;
      });
      ws.on('message', (data) => {
        if (!upToDate) {
          const text = data.toString('utf8');
          if (text.includes('"up-to-date"')) {
            upToDate = true;
            resolve(true);
          }
          return;
        }
        onMessage(data);
      });
      ws.on('error', () => { errors++; });
      ws.on('close', () => {
        if (opened) open--;
        if (!upToDate) resolve(false);
        if (stopping) return;
        closes++;
        setTimeout(() => connect(index, false), upToDate ? 0 : 500);
      });
      sockets.set(index, ws);
    });
  }

  const sockets = new Map();
  let stopping = false;

  async function connectAll() {
    let next = 0;
    async function lane() {
      while (next < indexes.length) {
        const index = indexes[next++];
        if (await connect(index, true)) ready++;
      }
    }
    const lanes = [];
    for (let i = 0; i < Math.max(1, Math.ceil(opts.connecting / opts.threads)); i++) {
      lanes.push(lane());
    }
    await Promise.all(lanes);
    parentPort.postMessage({ready});
  }

  parentPort.on('message', (cmd) => {
    if (cmd.cmd === 'start') {
      hist = new Uint32Array(kBuckets + 1);
      deltas = messages = bytes = closes = errors = maxUs = 0;
      parentPort.postMessage({started: true});
    } else if (cmd.cmd === 'stop') {
      const h = hist;
      hist = new Uint32Array(kBuckets + 1);
      parentPort.postMessage(
          {hist: h, deltas, messages, bytes, closes, errors, maxUs, open}, [h.buffer]);
    } else if (cmd.cmd === 'quit') {
      stopping = true;
      for (const ws of sockets.values()) ws.terminate();
      parentPort.postMessage({quit: true});
    }
  });
  connectAll();
}

// ------------------------------------------------------------------ main --
function percentile(hist, total, q) {
  if (total === 0) return null;
  const want = Math.ceil(total * q);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen >= want) return ((b + 1) * kBucketUs) / 1000;  // the bucket's upper edge, ms
  }
  return null;
}

async function runMain() {
  const opts = parseArgs(process.argv.slice(2));
  const total = opts.all + opts.subset;
  const threads = Math.max(1, Math.min(opts.threads, total));
  const workers = [];
  const t0 = performance.now();
  for (let t = 0; t < threads; t++) {
    const indexes = [];
    for (let i = t; i < total; i += threads) indexes.push(i);
    workers.push(new Worker(fileURLToPath(import.meta.url), {workerData: {opts, indexes}}));
  }
  // Each worker's answers, in order.
  const inbox = workers.map(() => []);
  const waiting = workers.map(() => []);
  workers.forEach((w, t) => {
    w.on('message', (m) => {
      if (waiting[t].length) waiting[t].shift()(m);
      else inbox[t].push(m);
    });
    w.on('error', (e) => {
      process.stderr.write(`worker ${t}: ${e.stack || e}\n`);
      process.exit(1);
    });
  });
  const next = (t) => new Promise((resolve) => {
    if (inbox[t].length) resolve(inbox[t].shift());
    else waiting[t].push(resolve);
  });
  const all = async (cmd) => {
    workers.forEach((w) => w.postMessage(cmd));
    return Promise.all(workers.map((_, t) => next(t)));
  };
  const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

  const readies = await Promise.all(workers.map((_, t) => next(t)));
  say({ready: readies.reduce((a, r) => a + r.ready, 0),
       connect_s: +((performance.now() - t0) / 1000).toFixed(2)});

  let label = '', started = 0;
  const rl = readline.createInterface({input: process.stdin});
  for await (const line of rl) {
    const [cmd, ...rest] = line.trim().split(/\s+/);
    if (cmd === 'start') {
      await all({cmd: 'start'});
      label = rest.join(' ');
      started = performance.now();
      say({started: label});
    } else if (cmd === 'stop') {
      const parts = await all({cmd: 'stop'});
      const wall = (performance.now() - started) / 1000;
      const hist = new Float64Array(kBuckets + 1);
      const sum = {deltas: 0, messages: 0, bytes: 0, closes: 0, errors: 0, open: 0, maxUs: 0};
      for (const p of parts) {
        for (let b = 0; b <= kBuckets; b++) hist[b] += p.hist[b];
        for (const k of ['deltas', 'messages', 'bytes', 'closes', 'errors', 'open']) sum[k] += p[k];
        sum.maxUs = Math.max(sum.maxUs, p.maxUs);
      }
      say({label, deltas: sum.deltas, messages: sum.messages, bytes: sum.bytes,
           wall_s: +wall.toFixed(2), p50_ms: percentile(hist, sum.deltas, 0.5),
           p90_ms: percentile(hist, sum.deltas, 0.9), p99_ms: percentile(hist, sum.deltas, 0.99),
           p999_ms: percentile(hist, sum.deltas, 0.999), max_ms: +(sum.maxUs / 1000).toFixed(2),
           closes: sum.closes, errors: sum.errors, open: sum.open});
    } else if (cmd === 'quit') {
      break;
    }
  }
  await all({cmd: 'quit'});
  setTimeout(() => process.exit(0), 200);
}

if (isMainThread) {
  runMain().catch((e) => {
    process.stderr.write(`gateway_bench_clients: ${e.stack || e}\n`);
    process.exit(1);
  });
} else {
  runWorker(workerData);
}
