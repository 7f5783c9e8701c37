#!/usr/bin/env node
// A real client of the gateway for integration tests: prints what it
// receives, one JSON per line on stdout.
//
// Raw mode (the ws library, or Server-Sent Events with --sse):
//   node ws_subscriber.mjs URL [--token T] [--header 'K: V']... [--count N]
//       [--until-seq S] [--timeout-ms T] [--no-read-after N] [--sse]
//       [--last-event-id ID] [--print-ids] [--insecure]
//   URL: ws://HOST:PORT/sync/ENTITY?batch=1&from=... (http:// and https://
//   are turned into ws:// and wss://; with --sse the other way round).
//   Each message the gateway sends is printed as it came (a batch array is
//   printed one element per line). --token sends `Authorization: Bearer T`
//   (for ?token= put it in the URL).
//
// client.js mode (runs the shipped client in Node, globalThis.WebSocket = ws):
//   node ws_subscriber.mjs --client-js URL_OF_client.js --entity E [--url BASE]
//       [--token T] [--from F] [--where W] [--columns a,b] [--transport sse]
//       [--count N] [--until-seq S] [--timeout-ms T] [--push JSON]...
//       [--print-rows] [--insecure]
//   Lines: {"delta":{...}} for each onDelta call (with "own":true for a
//   delta of its own push), {"status":{...}} for each onStatus,
//   {"up_to_date":SEQ,"rows":N}, {"reset":{...}}, {"heartbeat":SEQ},
//   {"pushed":{...}} / {"push_error":{"status":S,"error":"..."}} for each
//   --push (sent after the first up-to-date, in order), and with
//   --print-rows {"rows":[{"id","table","key","values"}...]} before it
//   exits on --count or --until-seq. --count counts {"delta"} lines. Reads
//   commands from stdin, one JSON per line: {"push": DELTA} (or
//   {"push": DELTA, "entity": E}), {"rows": true}, {"quit": true}.
//
// Extra lines (both modes): {"closed":CODE,"reason":"..."} last when the
// server closes a WebSocket ({"ended":true} when it ends an SSE stream);
// {"paused":N} once --no-read-after stopped reading; {"http_status":S,
// "body":...} when the gateway refused the stream; {"error":"..."} when
// the connection failed; {"timeout":MS} at --timeout-ms.
//
// Exit status: 0 after --count messages or once an up-to-date or heartbeat
// reached --until-seq (client.js mode: also a delta), or when the server
// closed and neither was given; 1 when the server closed first; 2 when the
// stream was refused or could not be opened (client.js mode: the client
// stopped); 3 at --timeout-ms; 64 on bad usage. With --no-read-after it
// stays connected, reading nothing more, until killed.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import readline from 'node:readline';
import {fileURLToPath} from 'node:url';

import {loadWs} from './ws_lib.mjs';

const kUsage = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8')
                   .split('\n')
                   .filter((line) => line.startsWith('//'))
                   .map((line) => line.replace(/^\/\/ ?/, ''))
                   .join('\n');

function usage(message) {
  process.stderr.write(`ws_subscriber: ${message}\n\n${kUsage}\n`);
  process.exit(64);
}

function parseArgs(argv) {
  const args = {headers: [], push: [], positional: []};
  const valued = new Set(['--token', '--header', '--count', '--until-seq', '--timeout-ms',
                          '--no-read-after', '--last-event-id', '--client-js', '--entity',
                          '--url', '--from', '--where', '--columns', '--transport', '--push']);
  const flags = new Set(['--sse', '--print-ids', '--insecure', '--print-rows']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(kUsage + '\n');
      process.exit(0);
    }
    let name = arg;
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    if (valued.has(name)) {
      if (value === undefined) {
        if (i + 1 >= argv.length) usage(`${name} needs a value`);
        value = argv[++i];
      }
      if (name === '--header') args.headers.push(value);
      else if (name === '--push') args.push.push(value);
      else args[name.slice(2)] = value;
    } else if (flags.has(name)) {
      args[name.slice(2)] = true;
    } else if (arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      args.positional.push(arg);
    }
  }
  for (const name of ['count', 'until-seq', 'timeout-ms', 'no-read-after']) {
    if (args[name] !== undefined) {
      const number = Number(args[name]);
      if (!Number.isInteger(number) || number < 0) usage(`--${name} takes a number`);
      args[name] = number;
    }
  }
  return args;
}

function line(object) {
  process.stdout.write((typeof object === 'string' ? object : JSON.stringify(object)) + '\n');
}

function finish(status) {
  process.exit(status);
}

// The elements of a JSON text as their own texts: the elements of a
// top-level array, or the text itself. Keeps the gateway's bytes (a big
// number is not rounded through a double).
export function splitTopLevel(text) {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return [trimmed];
  const parts = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      if (depth === 1 && start < 0) start = i;
    } else if (c === '[' || c === '{') {
      if (depth === 1 && start < 0) start = i;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        if (start >= 0) parts.push(trimmed.slice(start, i).trim());
        break;
      }
    } else if (c === ',' && depth === 1) {
      parts.push(trimmed.slice(start, i).trim());
      start = -1;
    } else if (depth === 1 && start < 0 && !/\s/.test(c)) {
      start = i;
    }
  }
  return parts;
}

function tlsOptions(args) {
  return args.insecure ? {rejectUnauthorized: false} : {};
}

function headerObject(args) {
  const headers = {};
  if (args.token) headers.Authorization = `Bearer ${args.token}`;
  for (const header of args.headers) {
    const colon = header.indexOf(':');
    if (colon <= 0) usage(`--header takes 'Name: value', not ${JSON.stringify(header)}`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return headers;
}

// Counts messages and decides when the goal is reached.
class Goal {
  constructor(args) {
    this.count = args.count;
    this.untilSeq = args['until-seq'];
    this.seen = 0;
  }
  get given() {
    return this.count !== undefined || this.untilSeq !== undefined;
  }
  // Returns true when `message` (parsed) completes the goal.
  take(message, counts = true) {
    if (counts) this.seen++;
    if (this.count !== undefined && this.seen >= this.count) return true;
    if (this.untilSeq !== undefined && message && typeof message.seq === 'number' &&
        (message.control === 'up-to-date' || message.control === 'heartbeat') &&
        message.seq >= this.untilSeq) {
      return true;
    }
    return false;
  }
}

function startTimeout(args) {
  if (!args['timeout-ms']) return;
  setTimeout(() => {
    line({timeout: args['timeout-ms']});
    finish(3);
  }, args['timeout-ms']);
}

// Prints each message text (a batch array element by element); returns
// false once reading must stop.
// A socket that is not read keeps no event loop alive: this does, until
// the process is killed.
function stayAlive() {
  setInterval(() => {}, 1 << 30);
}

function makePrinter(args, goal, onGoal, onPause) {
  let paused = false;
  return (text) => {
    if (paused) return false;
    for (const raw of splitTopLevel(text)) {
      let message = null;
      try {
        message = JSON.parse(raw);
        line(raw.replace(/[\r\n]+/g, ' '));
      } catch (_) {
        line({invalid_json: raw});
      }
      if (goal.take(message)) {
        onGoal();
        return false;
      }
      if (args['no-read-after'] !== undefined && goal.seen >= args['no-read-after']) {
        paused = true;
        onPause();
        stayAlive();
        line({paused: goal.seen});
        return false;
      }
    }
    return true;
  };
}

function runWebSocket(args, url) {
  const WebSocket = loadWs();
  const goal = new Goal(args);
  const socket = new WebSocket(url, [], {headers: headerObject(args), ...tlsOptions(args)});
  let done = false;
  const print = makePrinter(args, goal, () => {
    done = true;
    socket.close(1000);
    finish(0);
  }, () => {
    done = true;
    // Never read again: the socket's buffers fill and the gateway sees a
    // client that does not keep up.
    socket.pause();
  });
  if (args['no-read-after'] === 0) {
    socket.on('upgrade', () => {
      done = true;
      socket.pause();
      stayAlive();
      line({paused: 0});
    });
  }
  socket.on('unexpected-response', (request, response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body = text;
      try {
        body = JSON.parse(text);
      } catch (_) {
        // Printed as a string.
      }
      line({http_status: response.statusCode, body});
      finish(2);
    });
  });
  socket.on('message', (data, isBinary) => {
    if (done) return;
    if (isBinary) {
      line({binary_bytes: data.length});
      return;
    }
    print(data.toString('utf8'));
  });
  socket.on('close', (code, reason) => {
    if (done) return;
    line({closed: code, reason: reason.toString('utf8')});
    finish(goal.given ? 1 : 0);
  });
  socket.on('error', (error) => {
    if (done) return;
    line({error: error.message});
    finish(2);
  });
}

function runSse(args, url) {
  const goal = new Goal(args);
  const target = new URL(url);
  const headers = {Accept: 'text/event-stream', ...headerObject(args)};
  if (args['last-event-id'] !== undefined) headers['Last-Event-ID'] = args['last-event-id'];
  const client = target.protocol === 'https:' ? https : http;
  let done = false;
  const request = client.get(target, {headers, ...tlsOptions(args)}, async (response) => {
    if (response.statusCode !== 200) {
      const chunks = [];
      for await (const chunk of response) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      let body = text;
      try {
        body = JSON.parse(text);
      } catch (_) {
        // Printed as a string.
      }
      line({http_status: response.statusCode, body});
      finish(2);
      return;
    }
    const {SseParser} = await import('../../../gateway/web/client.js');
    const parser = new SseParser();
    response.setEncoding('utf8');
    const print = makePrinter(args, goal, () => {
      done = true;
      request.destroy();
      finish(0);
    }, () => {
      done = true;
      response.pause();
    });
    if (args['no-read-after'] === 0) {
      done = true;
      response.pause();
      stayAlive();
      line({paused: 0});
    }
    response.on('data', (text) => {
      if (done) return;
      for (const event of parser.push(text)) {
        if (done) return;
        if (args['print-ids']) {
          let data = event.data;
          try {
            data = JSON.parse(event.data);
          } catch (_) {
            // Kept as text.
          }
          line({id: event.id, event: event.event, data});
          if (goal.take(typeof data === 'object' ? data : null)) {
            done = true;
            request.destroy();
            finish(0);
          }
        } else if (!print(event.data)) {
          return;
        }
      }
    });
    response.on('end', () => {
      if (done) return;
      line({ended: true});
      finish(goal.given ? 1 : 0);
    });
  });
  request.on('error', (error) => {
    if (done) return;
    line({error: error.message});
    finish(2);
  });
}

function fetchText(url, args) {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    client.get(target, tlsOptions(args), (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) {
          reject(new Error(`GET ${url}: HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
        } else {
          resolve(text);
        }
      });
    }).on('error', reject);
  });
}

function rowsLine(subscription) {
  const rows = [];
  for (const [id, row] of subscription.rows()) rows.push({id, ...row});
  return {rows};
}

async function runClientJs(args) {
  if (!args.entity) usage('--client-js needs --entity');
  const WebSocket = loadWs();
  if (args.insecure) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  const wsOptions = tlsOptions(args);
  globalThis.WebSocket = class NodeWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols ?? [], wsOptions);
    }
  };
  let source;
  try {
    source = await fetchText(args['client-js'], args);
  } catch (error) {
    line({error: error.message});
    finish(2);
    return;
  }
  const module = await import('data:text/javascript;base64,' +
                              Buffer.from(source, 'utf8').toString('base64'));
  const deltabridge = module.connect ? module : globalThis.deltabridge;
  const base = args.url || new URL(args['client-js']).origin;
  const gw = deltabridge.connect({url: base, token: args.token, transport: args.transport,
                                  onError: (error) => line({client_error: String(error)})});
  const goal = new Goal(args);
  let subscription = null;
  let exiting = false;
  const exit = (status) => {
    exiting = true;
    gw.close();
    finish(status);
  };
  const exitWithGoal = () => {
    if (args['print-rows']) line(rowsLine(subscription));
    exit(0);
  };
  const pushes = args.push.slice();
  const push = async (delta, entity = args.entity) => {
    try {
      line({pushed: await gw.pushDelta(entity, delta)});
    } catch (error) {
      line({push_error: {status: error.status, error: error.error ?? error.message}});
    }
  };
  let pushing = null;
  subscription = gw.subscribe(args.entity, (delta) => {
    line({delta});
    if (goal.take(delta) || (goal.untilSeq !== undefined && typeof delta.seq === 'number' &&
                             delta.seq >= goal.untilSeq)) {
      exitWithGoal();
    }
  }, {
    from: args.from,
    where: args.where,
    columns: args.columns,
    onStatus: (status) => {
      if (exiting) return;
      line({status});
      if (status.state === 'stopped') finish(2);
    },
    onReset: (message) => line({reset: message}),
    onUpToDate: (seq, sub) => {
      line({up_to_date: seq, rows: sub.rows().size});
      if (goal.take({control: 'up-to-date', seq}, false)) exitWithGoal();
      if (!pushing && pushes.length) {
        pushing = (async () => {
          for (const text of pushes) {
            let delta;
            try {
              delta = JSON.parse(text);
            } catch (error) {
              line({push_error: {status: 0, error: `--push is not JSON: ${error.message}`}});
              continue;
            }
            await push(delta);
          }
        })();
      }
    },
    onHeartbeat: (seq) => {
      line({heartbeat: seq});
      if (goal.take({control: 'heartbeat', seq}, false)) exitWithGoal();
    },
  });
  const input = readline.createInterface({input: process.stdin});
  input.on('line', (text) => {
    if (!text.trim()) return;
    let command;
    try {
      command = JSON.parse(text);
    } catch (error) {
      line({command_error: error.message});
      return;
    }
    if (command.quit) {
      exit(0);
    } else if (command.rows) {
      line(rowsLine(subscription));
    } else if (command.push) {
      push(command.push, command.entity || args.entity);
    } else {
      line({command_error: 'unknown command: ' + text});
    }
  });
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  startTimeout(args);
  if (args['client-js']) {
    if (args.positional.length) usage('--client-js takes no URL argument (use --url)');
    runClientJs(args);
    return;
  }
  if (args.positional.length !== 1) usage('give one URL');
  let url = args.positional[0];
  if (args.sse) {
    url = url.replace(/^ws(s?):/i, 'http$1:');
    runSse(args, url);
  } else {
    url = url.replace(/^http(s?):/i, 'ws$1:');
    runWebSocket(args, url);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
