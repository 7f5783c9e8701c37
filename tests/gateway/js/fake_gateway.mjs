// A stand-in for `deltabridge gateway` in the JavaScript tests: an HTTP
// server on loopback that speaks the client protocol of docs/gateway.md
// from memory, so client.js, the live page and the test tools can be
// exercised before (and apart from) the real gateway. It is a fixture, not
// a reference: where it and the document differ, the document is right.
//
// It serves / (gateway/web/index.html) and /client.js; GET /sync/<entity>
// as WebSocket (?batch=1 for arrays) or Server-Sent Events (?from=SEQ,
// from=now, Last-Event-ID, reset when a seq is older than it keeps); POST
// /sync/<entity> (a push: applied and sent back with a ref, 409 when an
// `old` does not match); heartbeats; bearer tokens by header or ?token=.
// `where` and `columns` are ignored.
//
//   const gw = await startFakeGateway({entities: {sched: {...}}, token: 't'});
//   gw.change('sched', {op: 'update', key: {id: 1}, changes: {...}});
//   await gw.stop();
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {rowId} from '../../../gateway/web/client.js';
import {loadWs} from './ws_lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const kWebDir = path.resolve(here, '../../../gateway/web');

const kStaticFiles = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/client.js': ['client.js', 'text/javascript; charset=utf-8'],
};

// options:
//   entities: {name: {table, key: ['id'], rows: [{id: 1, ...}], public}}
//   token: the one bearer token accepted ('' or absent: none needed)
//   heartbeatMs: heartbeat period (default 1000; 0: none)
//   keepDeltas: how many deltas it can resume from (default 1000)
//   maxBufferedBytes: a WebSocket client with more unsent bytes than this
//     is closed with 4008 (default 1 MiB)
//   webDir: where index.html and client.js are (default gateway/web)
//   staticOnly: serve the files only (no /sync)
export async function startFakeGateway(options = {}) {
  const {WebSocketServer} = loadWs();
  const webDir = options.webDir || kWebDir;
  const token = options.token || '';
  const keepDeltas = options.keepDeltas ?? 1000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const entities = new Map();
  for (const [name, spec] of Object.entries(options.entities || {})) {
    const entity = {name, table: spec.table || 'public.' + name, key: spec.key || ['id'],
                    public: Boolean(spec.public), rows: new Map(), clients: new Set()};
    for (const values of spec.rows || []) {
      entity.rows.set(rowId(entity.table, keyOf(entity, values)), {...values});
    }
    entities.set(name, entity);
  }
  let seq = options.startSeq ?? 0;
  const log = [];  // {seq, entity, json}, the newest keepDeltas
  let nextRef = 1;
  let nextConflict = 1;
  const stats = {subscribes: [], pushes: 0, slowClients: 0};

  function keyOf(entity, values) {
    const key = {};
    for (const column of entity.key) key[column] = values[column];
    return key;
  }

  function oldestServable() {
    return log.length ? log[0].seq - 1 : seq;
  }

  function authorized(entity, request, query) {
    if (!token || entity.public) return true;
    const header = request.headers.authorization || '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : query.get('token');
    return given === token;
  }

  function answer(response, status, body, headers = {}) {
    const text = JSON.stringify(body);
    response.writeHead(status, {'Content-Type': 'application/json',
                                'Content-Length': Buffer.byteLength(text), ...headers});
    response.end(text);
  }

  function refuse(request, response, query, entityName) {
    const entity = entities.get(entityName);
    if (!entity) return [404, {error: `no entity "${entityName}"`}];
    if (!authorized(entity, request, query)) {
      return [401, {error: 'no token or an unknown one'}];
    }
    return null;
  }

  // The messages a new stream starts with, for `from` (a string or null).
  function opening(entity, from) {
    const messages = [];
    const snapshot = (reason) => {
      messages.push({control: 'start', entity: entity.name, key: entity.key, mode: 'snapshot'});
      if (reason) messages.push({control: 'reset', seq: 0, reason});
      for (const values of entity.rows.values()) {
        const changes = {};
        for (const [column, value] of Object.entries(values)) changes[column] = {new: value};
        messages.push({op: 'snapshot', key: keyOf(entity, values), changes,
                       table: entity.table});
      }
      messages.push({control: 'up-to-date', seq});
    };
    if (from === null || from === undefined || from === '') {
      snapshot(null);
    } else if (from === 'now') {
      messages.push({control: 'start', entity: entity.name, key: entity.key, mode: 'live'});
      messages.push({control: 'up-to-date', seq});
    } else {
      const after = Number(from);
      if (after < oldestServable() || after > seq) {
        snapshot(`from=${from} is no longer served`);
      } else {
        messages.push({control: 'start', entity: entity.name, key: entity.key, mode: 'resume'});
        for (const entry of log) {
          if (entry.seq > after && entry.entity === entity.name) messages.push(entry.json);
        }
        messages.push({control: 'up-to-date', seq});
      }
    }
    return messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
  }

  function sendWs(client, jsons) {
    if (jsons.length === 0 || client.closing) return;
    client.socket.send(client.batch ? '[' + jsons.join(',') + ']' : jsons[0]);
    for (const json of client.batch ? [] : jsons.slice(1)) client.socket.send(json);
    const last = jsons.map((j) => JSON.parse(j).seq).filter((s) => typeof s === 'number').pop();
    if (last !== undefined) client.sentSeq = last;
    if (client.socket.bufferedAmount > maxBufferedBytes) {
      // Given up on: no more messages, a close it may never read, and the
      // connection dropped if it does not answer the close soon.
      client.closing = true;
      client.entity.clients.delete(client);
      stats.slowClients++;
      client.socket.close(4008, `slow client: resume with from=${client.sentSeq}`);
      setTimeout(() => client.socket.terminate(), 2000).unref();
    }
  }

  function sendSse(client, jsons) {
    for (const json of jsons) {
      const message = JSON.parse(json);
      const hasId = typeof message.seq === 'number' && message.control !== 'reset';
      const id = hasId ? `id: ${message.seq}\n` : '';
      client.response.write(`${id}data: ${json}\n\n`);
    }
  }

  function deliver(entity, jsons) {
    for (const client of entity.clients) {
      if (client.kind === 'ws') sendWs(client, jsons);
      else sendSse(client, jsons);
    }
  }

  // Applies a change (op, key, changes, table?) as if the bridge sent it.
  function applyChange(entityName, change, extra = {}) {
    const entity = entities.get(entityName);
    if (!entity) throw new Error(`no entity ${entityName}`);
    const op = change.op || 'update';
    const table = change.table || entity.table;
    const key = change.key || {};
    const id = rowId(table, key);
    const current = entity.rows.get(id);
    const changes = {};
    if (op === 'insert') {
      const values = {};
      for (const [column, c] of Object.entries(change.changes || {})) {
        values[column] = c.new;
        changes[column] = {new: c.new};
      }
      entity.rows.set(id, values);
    } else if (op === 'update') {
      const values = {...(current || key)};
      for (const [column, c] of Object.entries(change.changes || {})) {
        changes[column] = {old: current ? current[column] ?? null : c.old ?? null, new: c.new};
        values[column] = c.new;
      }
      entity.rows.delete(id);
      entity.rows.set(rowId(table, keyOf(entity, values)), values);
    } else if (op === 'delete') {
      for (const [column, value] of Object.entries(current || {})) changes[column] = {old: value};
      entity.rows.delete(id);
    } else if (op === 'truncate') {
      entity.rows.clear();
    }
    seq++;
    const delta = {seq, op};
    if (op !== 'truncate') {
      delta.key = key;
      delta.changes = changes;
    }
    delta.ts = new Date().toISOString();
    delta.table = table;
    Object.assign(delta, extra);
    const json = JSON.stringify(delta);
    log.push({seq, entity: entityName, json});
    while (log.length > keepDeltas) log.shift();
    deliver(entity, [json]);
    return delta;
  }

  function subscribeSse(request, response, entity, query) {
    response.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store'});
    const from = request.headers['last-event-id'] ?? query.get('from');
    const client = {kind: 'sse', response};
    stats.subscribes.push({transport: 'sse', entity: entity.name, from: from ?? null});
    sendSse(client, opening(entity, from));
    entity.clients.add(client);
    request.on('close', () => entity.clients.delete(client));
  }

  function push(request, response, entity) {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      let change;
      try {
        change = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        answer(response, 400, {error: 'not JSON: ' + error.message});
        return;
      }
      if (!change || typeof change !== 'object' || !change.key) {
        answer(response, 400, {error: 'not a change: no key'});
        return;
      }
      stats.pushes++;
      const ref = `fake:${nextRef++}`;
      const current = entity.rows.get(rowId(change.table || entity.table, change.key));
      for (const [column, c] of Object.entries(change.changes || {})) {
        if (current && c && 'old' in c && JSON.stringify(current[column]) !==
                                              JSON.stringify(c.old)) {
          answer(response, 409, {result: 'conflict', conflict_id: nextConflict++, ref});
          return;
        }
      }
      answer(response, 200, {result: 'applied', ref, kept: []});
      // The change comes back the normal way, a moment later.
      setTimeout(() => applyChange(entity.name, change,
                                   {origin: ['fake.' + entity.name], ref}), 5);
    });
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://fake');
    const file = kStaticFiles[url.pathname];
    if (request.method === 'GET' && file) {
      const body = fs.readFileSync(path.join(webDir, file[0]));
      response.writeHead(200, {'Content-Type': file[1], 'Content-Length': body.length,
                               'Cache-Control': 'no-store'});
      response.end(body);
      return;
    }
    const match = /^\/sync\/([^/]+)$/.exec(url.pathname);
    if (!match || options.staticOnly) {
      answer(response, 404, {error: 'not found'});
      return;
    }
    const entityName = decodeURIComponent(match[1]);
    const refused = refuse(request, response, url.searchParams, entityName);
    if (refused) {
      answer(response, refused[0], refused[1]);
      return;
    }
    const entity = entities.get(entityName);
    if (request.method === 'POST') {
      push(request, response, entity);
    } else if (request.method === 'GET' &&
               (request.headers.accept || '').includes('text/event-stream')) {
      subscribeSse(request, response, entity, url.searchParams);
    } else {
      answer(response, 405, {error: 'GET with Upgrade: websocket or Accept: text/event-stream'});
    }
  });

  const wss = new WebSocketServer({noServer: true});
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url, 'http://fake');
    const match = /^\/sync\/([^/]+)$/.exec(url.pathname);
    const refused = match && !options.staticOnly
        ? refuse(request, null, url.searchParams, decodeURIComponent(match[1]))
        : [404, {error: 'not found'}];
    if (refused) {
      const body = JSON.stringify(refused[1]);
      socket.end(`HTTP/1.1 ${refused[0]} ${http.STATUS_CODES[refused[0]]}\r\n` +
                 `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}` +
                 `\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const entity = entities.get(decodeURIComponent(match[1]));
    wss.handleUpgrade(request, socket, head, (ws) => {
      const from = url.searchParams.get('from');
      const client = {kind: 'ws', socket: ws, entity, batch: url.searchParams.get('batch') === '1',
                      sentSeq: seq, closing: false};
      stats.subscribes.push({transport: 'websocket', entity: entity.name, from,
                             batch: client.batch, origin: request.headers.origin ?? null});
      sendWs(client, opening(entity, from));
      entity.clients.add(client);
      ws.on('close', () => entity.clients.delete(client));
      ws.on('error', () => entity.clients.delete(client));
    });
  });

  const heartbeatMs = options.heartbeatMs ?? 1000;
  const heartbeat = heartbeatMs > 0 ? setInterval(() => {
    const json = JSON.stringify({control: 'heartbeat', seq});
    for (const entity of entities.values()) deliver(entity, [json]);
  }, heartbeatMs) : null;

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    get seq() {
      return seq;
    },
    change: applyChange,
    rows: (entityName) => [...entities.get(entityName).rows.values()],
    clients: (entityName) => entities.get(entityName).clients.size,
    // Closes every WebSocket client of the entity (all: no entity) with code
    // and reason ('' and FROM in the reason become the client's seq).
    closeClients(entityName, code, reason = '') {
      for (const entity of entities.values()) {
        if (entityName && entity.name !== entityName) continue;
        for (const client of entity.clients) {
          if (client.kind === 'ws') {
            client.socket.close(code, reason.replace('FROM', String(client.sentSeq)));
          } else {
            client.response.end();
          }
        }
      }
    },
    // Drops every connection without a close frame (a network failure).
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    async stop() {
      if (heartbeat) clearInterval(heartbeat);
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
