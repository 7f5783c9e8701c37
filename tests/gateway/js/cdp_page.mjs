#!/usr/bin/env node
// Drives a page in headless Chromium over the Chrome DevTools Protocol (the
// ws library, no puppeteer), for tests that must see what a browser shows.
//
//   node cdp_page.mjs URL [--chromium PATH] [--startup-timeout-ms N]
//       [--window-size W,H] [--insecure] [--warnings]
//
// Starts Chromium headless in a fresh temporary profile, opens URL and
// prints {"ready":true,"url":URL,"chromium_pid":PID,"profile":DIR} once the
// page fired its load event (or
// {"error":"..."} and exits 2). Then reads commands from stdin, one JSON per
// line, answering each with one line, in order:
//   {"eval": "JS expression"}          -> {"value": V} | {"error": "..."}
//       (promises are awaited; V is the JSON value, undefined is null)
//   {"waitFor": "JS expression", "timeoutMs": N}   (default 10000)
//                                      -> {"ok":true,"value":V}
//                                       | {"ok":false,"error":"timeout","last":V}
//       (polled every 100 ms until truthy; an exception counts as falsy
//       and is shown as {"exception": "..."} in "last")
//   {"navigate": URL}                  -> {"ok":true,"url":URL} | {"ok":false,"error":"..."}
//   {"screenshot": PATH}               -> {"ok":true,"path":PATH} (PNG)
//   {"quit": true}                     -> exits 0 (so does the end of stdin)
// In between, whenever they happen: {"console":{"type":"error",...}} for a
// console.error (with --warnings also console.warn), an uncaught exception
// ("type":"exception") or a browser log error such as a failed load
// ("type":"log"). Chromium is killed and the profile removed on every exit,
// SIGTERM and SIGINT included. --insecure accepts any TLS certificate.
// Exit status: 0 on quit, 2 when Chromium or the page could not start, 64
// on bad usage.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import {loadWs} from './ws_lib.mjs';

function print(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}

function parseArgs(argv) {
  const args = {chromium: process.env.CHROMIUM || '/usr/bin/chromium', startupTimeoutMs: 30000,
                windowSize: '1280,900', insecure: false, warnings: false, url: null};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--chromium') args.chromium = value();
    else if (arg === '--startup-timeout-ms') args.startupTimeoutMs = Number(value());
    else if (arg === '--window-size') args.windowSize = value();
    else if (arg === '--insecure') args.insecure = true;
    else if (arg === '--warnings') args.warnings = true;
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (args.url === null) args.url = arg;
    else usage('give one URL');
  }
  if (args.url === null) usage('give the URL to open');
  return args;
}

function usage(message) {
  process.stderr.write(`cdp_page: ${message}\n` +
                       'usage: node cdp_page.mjs URL [--chromium PATH] [--startup-timeout-ms N] ' +
                       '[--window-size W,H] [--insecure] [--warnings]\n');
  process.exit(64);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One Chromium process and its profile directory; stop() is idempotent and
// safe from signal handlers.
class Browser {
  constructor(args) {
    this.args = args;
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp_page-'));
    this.logPath = path.join(this.profile, 'chromium.log');
    this.process = null;
    this.exited = false;
    this.stopping = null;
  }

  start() {
    const flags = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-default-browser-check', '--disable-dev-shm-usage', '--password-store=basic',
      '--mute-audio', `--window-size=${this.args.windowSize}`,
      `--user-data-dir=${this.profile}`, '--remote-debugging-port=0',
    ];
    if (this.args.insecure) flags.push('--ignore-certificate-errors');
    flags.push('about:blank');
    const log = fs.openSync(this.logPath, 'a');
    // Its own process group, so that stop() ends its helper processes too.
    this.process = spawn(this.args.chromium, flags,
                         {detached: true, stdio: ['ignore', log, log]});
    fs.closeSync(log);
    this.exitPromise = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exited = true;
        resolve({code, signal});
      });
      this.process.on('error', (error) => {
        this.exited = true;
        this.spawnError = error;
        resolve({code: null, signal: null, error});
      });
    });
  }

  logTail() {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-15).join('\n');
    } catch (_) {
      return '';
    }
  }

  // The browser's DevTools WebSocket URL, from DevToolsActivePort.
  async endpoint() {
    const file = path.join(this.profile, 'DevToolsActivePort');
    const deadline = Date.now() + this.args.startupTimeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`chromium exited before it listened` +
                        (this.spawnError ? `: ${this.spawnError.message}` : '') +
                        `\n${this.logTail()}`);
      }
      try {
        const [port, browserPath] = fs.readFileSync(file, 'utf8').split('\n');
        if (port && browserPath) return `ws://127.0.0.1:${port.trim()}${browserPath.trim()}`;
      } catch (_) {
        // Not written yet.
      }
      await sleep(50);
    }
    throw new Error(`no DevToolsActivePort after ${this.args.startupTimeoutMs} ms\n` +
                    this.logTail());
  }

  killGroup(signal) {
    if (!this.process || !this.process.pid) return;
    try {
      process.kill(-this.process.pid, signal);
    } catch (_) {
      // Already gone.
    }
  }

  stopSync() {
    // For process.on('exit'): no waiting possible.
    this.killGroup('SIGKILL');
    fs.rmSync(this.profile, {recursive: true, force: true});
  }

  stop() {
    if (!this.stopping) {
      this.stopping = (async () => {
        if (this.process && !this.exited) {
          this.killGroup('SIGTERM');
          await Promise.race([this.exitPromise, sleep(5000)]);
        }
        this.killGroup('SIGKILL');  // any helper left in the group
        for (let i = 0; i < 10; i++) {
          try {
            fs.rmSync(this.profile, {recursive: true, force: true});
            break;
          } catch (_) {
            await sleep(100);  // a helper was still writing
          }
        }
      })();
    }
    return this.stopping;
  }
}

// A DevTools Protocol connection: send() with an optional session, and
// events by name.
class Cdp {
  constructor(url) {
    const WebSocket = loadWs();
    this.socket = new WebSocket(url, [], {perMessageDeflate: false, maxPayload: 256 << 20});
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.closed = false;
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('message', (data) => {
      const message = JSON.parse(data.toString('utf8'));
      if (message.id !== undefined) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!waiter) return;
        if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
        else waiter.resolve(message.result);
      } else {
        for (const listener of this.listeners.get(message.method) || []) {
          listener(message.params, message.sessionId);
        }
      }
    });
    this.socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${waiter.method}: the DevTools connection closed`));
      }
      this.pending.clear();
    });
    this.socket.on('error', () => {});
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.closed) return Promise.reject(new Error(`${method}: the DevTools connection closed`));
    const id = this.nextId++;
    const message = {id, method, params};
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject, method});
      this.socket.send(JSON.stringify(message));
    });
  }

  on(method, listener) {
    if (!this.listeners.has(method)) this.listeners.set(method, []);
    this.listeners.get(method).push(listener);
  }

  close() {
    try {
      this.socket.terminate();
    } catch (_) {
      // Already closed.
    }
  }
}

function remoteText(object) {
  if (!object) return '';
  if (object.type === 'string') return object.value;
  if (object.value !== undefined) return JSON.stringify(object.value);
  return object.description || object.unserializableValue || object.type;
}

class Page {
  constructor(cdp, sessionId, args) {
    this.cdp = cdp;
    this.sessionId = sessionId;
    this.args = args;
    this.loadWaiters = [];
    cdp.on('Page.loadEventFired', (params, session) => {
      if (session !== sessionId) return;
      for (const resolve of this.loadWaiters.splice(0)) resolve();
    });
    cdp.on('Runtime.consoleAPICalled', (params, session) => {
      if (session !== sessionId) return;
      const wanted = params.type === 'error' || params.type === 'assert' ||
                     (args.warnings && params.type === 'warning');
      if (!wanted) return;
      const frame = params.stackTrace && params.stackTrace.callFrames[0];
      print({console: {type: params.type, text: params.args.map(remoteText).join(' '),
                       url: frame ? frame.url : undefined,
                       line: frame ? frame.lineNumber + 1 : undefined}});
    });
    cdp.on('Runtime.exceptionThrown', (params, session) => {
      if (session !== sessionId) return;
      const details = params.exceptionDetails;
      print({console: {type: 'exception',
                       text: (details.exception && details.exception.description) ||
                             details.text,
                       url: details.url, line: details.lineNumber + 1}});
    });
    cdp.on('Log.entryAdded', (params, session) => {
      if (session !== sessionId) return;
      const entry = params.entry;
      if (entry.level === 'error' || (args.warnings && entry.level === 'warning')) {
        print({console: {type: 'log', level: entry.level, source: entry.source,
                         text: entry.text, url: entry.url}});
      }
    });
  }

  send(method, params) {
    return this.cdp.send(method, params, this.sessionId);
  }

  async navigate(url, timeoutMs) {
    const loaded = new Promise((resolve) => this.loadWaiters.push(resolve));
    const result = await this.send('Page.navigate', {url});
    if (result.errorText) throw new Error(`${url}: ${result.errorText}`);
    const timer = sleep(timeoutMs).then(() => {
      throw new Error(`${url}: no load event after ${timeoutMs} ms`);
    });
    await Promise.race([loaded, timer]);
  }

  // Returns {value} or {exception}.
  async evaluate(expression) {
    const result = await this.send('Runtime.evaluate', {
      expression: String(expression), returnByValue: true, awaitPromise: true,
      userGesture: true,
    });
    if (result.exceptionDetails) {
      const details = result.exceptionDetails;
      return {exception: (details.exception && details.exception.description) || details.text};
    }
    const object = result.result;
    if (object.unserializableValue !== undefined) return {value: object.unserializableValue};
    return {value: object.value === undefined ? null : object.value};
  }
}

async function run(args, browser) {
  browser.start();
  const endpoint = await browser.endpoint();
  const cdp = new Cdp(endpoint);
  await cdp.opened;
  const {targetId} = await cdp.send('Target.createTarget', {url: 'about:blank'});
  const {sessionId} = await cdp.send('Target.attachToTarget', {targetId, flatten: true});
  const page = new Page(cdp, sessionId, args);
  await page.send('Page.enable');
  await page.send('Runtime.enable');
  await page.send('Log.enable');
  await page.navigate(args.url, args.startupTimeoutMs);
  print({ready: true, url: args.url, chromium_pid: browser.process.pid, profile: browser.profile});
  return {cdp, page};
}

async function handle(command, page) {
  if (command.quit) return 'quit';
  if (command.eval !== undefined) {
    const result = await page.evaluate(command.eval);
    print(result.exception !== undefined ? {error: result.exception} : {value: result.value});
  } else if (command.waitFor !== undefined) {
    const timeoutMs = Number(command.timeoutMs ?? 10000);
    const deadline = Date.now() + timeoutMs;
    let last = null;
    for (;;) {
      const result = await page.evaluate(command.waitFor);
      last = result.exception !== undefined ? {exception: result.exception} : result.value;
      if (result.exception === undefined && result.value) {
        print({ok: true, value: result.value});
        break;
      }
      if (Date.now() >= deadline) {
        print({ok: false, error: 'timeout', last});
        break;
      }
      await sleep(100);
    }
  } else if (command.navigate !== undefined) {
    try {
      await page.navigate(command.navigate, Number(command.timeoutMs ?? 30000));
      print({ok: true, url: command.navigate});
    } catch (error) {
      print({ok: false, error: error.message});
    }
  } else if (command.screenshot !== undefined) {
    const {data} = await page.send('Page.captureScreenshot', {format: 'png'});
    fs.writeFileSync(command.screenshot, Buffer.from(data, 'base64'));
    print({ok: true, path: command.screenshot});
  } else {
    print({error: 'unknown command: ' + JSON.stringify(command)});
  }
  return 'next';
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const browser = new Browser(args);
  let cdp = null;
  const shutdown = async (status) => {
    if (cdp) cdp.close();
    await browser.stop();
    process.exit(status);
  };
  process.on('exit', () => browser.stopSync());
  process.on('SIGTERM', () => shutdown(143));
  process.on('SIGINT', () => shutdown(130));
  process.on('SIGHUP', () => shutdown(129));

  let page;
  try {
    ({cdp, page} = await run(args, browser));
  } catch (error) {
    print({error: error.message});
    await shutdown(2);
    return;
  }
  browser.exitPromise.then(({code, signal}) => {
    if (browser.stopping) return;
    print({error: `chromium exited (code ${code}, signal ${signal})`});
    shutdown(2);
  });

  // Commands run one at a time, in the order they came.
  const input = readline.createInterface({input: process.stdin});
  let queue = Promise.resolve('next');
  input.on('line', (text) => {
    if (!text.trim()) return;
    queue = queue.then(async (previous) => {
      if (previous === 'quit') return 'quit';
      let command;
      try {
        command = JSON.parse(text);
      } catch (error) {
        print({error: `not JSON: ${error.message}`});
        return 'next';
      }
      try {
        const next = await handle(command, page);
        if (next === 'quit') await shutdown(0);
        return next;
      } catch (error) {
        print({error: error.message});
        return 'next';
      }
    });
  });
  input.on('close', () => {
    queue = queue.then(() => shutdown(0));
  });
}

main();
