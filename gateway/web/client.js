// deltabridge gateway client (docs/gateway.md, "The JavaScript client").
//
// Subscribes to an entity's rows and live deltas over WebSocket (or
// Server-Sent Events), keeps the current rows, resumes after a dropped
// connection without gap or duplicate, and pushes changes back.
//
//   import { connect } from '/client.js';
//   const gw = connect({ token });
//   const sub = gw.subscribe('scheduling', (delta) => render(delta));
//   await gw.pushDelta('scheduling', {op: 'update', key: {id: 42},
//                                     changes: {status: {old: 'open', new: 'booked'}}});
//
// An ES module without dependencies. Loading it also sets
// globalThis.deltabridge (window.deltabridge in a page) to the same API, for
// code that is not a module. It cannot also be a classic <script>: `export`
// is a syntax error there. Pages load it with <script type="module">; Node
// 20 imports it (gateway/web/package.json says "type": "module").
//
// The logic that needs no socket (RowStore, RefSet, parseMessages,
// SseParser, syncUrl, backoffDelay, closeAction) is exported on its own and
// unit-tested in tests/gateway/js/client_logic.test.mjs.

// ---------------------------------------------------------------------------
// Rows

// The id of a row in RowStore.rows: the JSON of [table, key] with the key's
// columns in alphabetical order, e.g. '["public.tour_slots",{"id":42}]'.
// The live page sets it as each row's data-key.
export function rowId(table, key) {
  const sorted = {};
  for (const name of Object.keys(key || {}).sort()) sorted[name] = key[name];
  return JSON.stringify([table ?? '', sorted]);
}

function newValues(changes) {
  const values = {};
  for (const [column, change] of Object.entries(changes || {})) {
    if (change && typeof change === 'object' && 'new' in change) values[column] = change.new;
  }
  return values;
}

// The current rows of one subscription and the seq they are as of, built
// from the gateway's messages in order. Pure: no socket, no timer.
//
// Invariants:
// - `rows` maps rowId(table, key) to {table, key, values}; `values` holds
//   every column the client has seen for the row (key columns included).
// - `seq` is the seq of the last delta, up-to-date or heartbeat applied, or
//   null when the client holds nothing it could resume after. It only grows,
//   except that a reset sets it to the reset's seq.
// - `snapshotting` is true from a snapshot start or a reset until the next
//   up-to-date: the rows are incomplete, and a dropped connection must start
//   over with a full snapshot rather than resume.
export class RowStore {
  constructor() {
    this.rows = new Map();
    this.seq = null;
    this.snapshotting = false;
    this.upToDate = false;
    this.keyColumns = null;  // from the start message
    this.mode = null;        // the start message's mode
    this.duplicates = 0;     // deltas dropped for a seq not after `seq`
  }

  clearRows() {
    this.rows.clear();
  }

  // The `from` to reconnect with: the seq to resume after, or null for the
  // current rows.
  resumeFrom() {
    if (this.snapshotting || this.seq === null) return null;
    return this.seq;
  }

  // Applies one message. Returns what it was:
  //   {type: 'delta', delta, id, row, previous, oldId, removed}
  //   {type: 'start' | 'reset', message, cleared}
  //   {type: 'up-to-date' | 'heartbeat', message}
  //   {type: 'duplicate' | 'ignored', message}
  // `row` is the row after the delta (undefined after a delete), `previous`
  // the row before it, `oldId` the id before a key-changing update, `removed`
  // the ids a truncate dropped, `cleared` how many rows a reset or a
  // snapshot start dropped.
  apply(message) {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new Error('not a JSON object: ' + JSON.stringify(message));
    }
    if (typeof message.control === 'string') return this.applyControl(message);
    if (typeof message.op !== 'string') return {type: 'ignored', message};
    const seq = typeof message.seq === 'number' ? message.seq : null;
    if (seq !== null && this.seq !== null && seq <= this.seq) {
      this.duplicates++;
      return {type: 'duplicate', message};
    }
    const result = this.applyDelta(message);
    if (result.type === 'delta' && seq !== null) this.seq = seq;
    return result;
  }

  applyControl(message) {
    const seq = typeof message.seq === 'number' ? message.seq : null;
    switch (message.control) {
      case 'start':
        this.mode = message.mode ?? null;
        if (Array.isArray(message.key)) this.keyColumns = message.key.slice();
        this.upToDate = false;
        if (message.mode === 'snapshot') {
          // The current rows follow: whatever was held is replaced.
          const cleared = this.rows.size;
          this.clearRows();
          this.seq = null;
          this.snapshotting = true;
          return {type: 'start', message, cleared};
        }
        return {type: 'start', message, cleared: 0};
      case 'reset': {
        const cleared = this.rows.size;
        this.clearRows();
        this.seq = seq;
        this.snapshotting = true;
        this.upToDate = false;
        return {type: 'reset', message, cleared};
      }
      case 'up-to-date':
        if (seq !== null) this.seq = seq;
        this.snapshotting = false;
        this.upToDate = true;
        return {type: 'up-to-date', message};
      case 'heartbeat':
        if (seq !== null && (this.seq === null || seq > this.seq)) this.seq = seq;
        return {type: 'heartbeat', message};
      default:
        return {type: 'ignored', message};
    }
  }

  applyDelta(delta) {
    const table = delta.table ?? '';
    const key = delta.key && typeof delta.key === 'object' ? delta.key : {};
    const id = rowId(table, key);
    const previous = this.rows.get(id);
    switch (delta.op) {
      case 'snapshot':
      case 'insert': {
        const row = {table, key: {...key}, values: {...key, ...newValues(delta.changes)}};
        this.rows.set(id, row);
        return {type: 'delta', delta, id, row, previous};
      }
      case 'update': {
        // An update for a row not held (a subset the client joined late)
        // starts the row from its key and the new values.
        const values = {...(previous ? previous.values : key), ...newValues(delta.changes)};
        const newKey = {};
        let keyChanged = false;
        for (const column of Object.keys(key)) {
          const change = delta.changes && delta.changes[column];
          if (change && typeof change === 'object' && 'new' in change) {
            newKey[column] = change.new;
            if (JSON.stringify(change.new) !== JSON.stringify(key[column])) keyChanged = true;
          } else {
            newKey[column] = key[column];
          }
        }
        const row = {table, key: newKey, values};
        if (!keyChanged) {
          this.rows.set(id, row);
          return {type: 'delta', delta, id, row, previous};
        }
        const newId = rowId(table, newKey);
        this.rows.delete(id);
        this.rows.set(newId, row);
        return {type: 'delta', delta, id: newId, row, previous, oldId: id};
      }
      case 'delete':
        this.rows.delete(id);
        return {type: 'delta', delta, id, row: undefined, previous};
      case 'truncate': {
        const removed = [];
        for (const [rowKey, row] of this.rows) {
          if (delta.table === undefined || row.table === delta.table) removed.push(rowKey);
        }
        for (const rowKey of removed) this.rows.delete(rowKey);
        return {type: 'delta', delta, id: null, row: undefined, previous: undefined, removed};
      }
      default:
        return {type: 'ignored', message: delta};
    }
  }
}

// The refs of this client's own pushes, the newest `limit` of them.
export class RefSet {
  constructor(limit = 1000) {
    this.limit = limit;
    this.refs = new Set();
  }
  add(ref) {
    if (typeof ref !== 'string' || ref === '') return;
    this.refs.delete(ref);  // re-adding makes it the newest
    this.refs.add(ref);
    while (this.refs.size > this.limit) this.refs.delete(this.refs.values().next().value);
  }
  has(ref) {
    return this.refs.has(ref);
  }
  get size() {
    return this.refs.size;
  }
}

// Sets delta.own when the delta carries the ref of one of `refs`.
export function markOwn(delta, refs) {
  if (delta && typeof delta.ref === 'string' && refs.has(delta.ref)) delta.own = true;
  return delta;
}

// ---------------------------------------------------------------------------
// Wire

// The messages in one WebSocket message or SSE event: one JSON object, or a
// JSON array of them (?batch=1). Throws on anything else.
export function parseMessages(text) {
  const parsed = JSON.parse(text);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const message of list) {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new Error('a gateway message is not a JSON object: ' + String(text).slice(0, 200));
    }
  }
  return list;
}

// Server-Sent Events, parsed incrementally (the HTML standard's event
// stream interpretation: data lines joined by \n, `id`, `event`, comments).
export class SseParser {
  constructor() {
    this.buffer = '';
    this.data = [];
    this.id = null;
    this.event = null;
    this.lastEventId = null;
  }
  // Takes decoded text; returns the events it completed: {id, event, data}.
  push(text) {
    this.buffer += text;
    const events = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (this.data.length > 0) {
          events.push({id: this.id ?? this.lastEventId, event: this.event ?? 'message',
                       data: this.data.join('\n')});
        }
        if (this.id !== null) this.lastEventId = this.id;
        this.data = [];
        this.id = null;
        this.event = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'id' && !value.includes('\0')) this.id = value;
      else if (field === 'event') this.event = value;
    }
    return events;
  }
}

// The URL of GET /sync/<entity>. `base` is the gateway's origin (a path
// prefix is kept); `websocket` turns http(s) into ws(s). Values are
// percent-encoded with encodeURIComponent (a space is %20, never '+').
export function syncUrl(base, entity, {websocket = false, batch = false, token, from, where,
                                       columns} = {}) {
  let root = String(base).replace(/\/+$/, '');
  if (websocket) root = root.replace(/^http(s?):/i, (_, s) => 'ws' + s + ':');
  const params = [];
  const add = (name, value) => params.push(name + '=' + encodeURIComponent(String(value)));
  if (batch) add('batch', 1);
  if (token) add('token', token);
  if (from !== undefined && from !== null && from !== '') add('from', from);
  if (where) add('where', where);
  if (columns && (!Array.isArray(columns) || columns.length > 0)) {
    add('columns', Array.isArray(columns) ? columns.join(',') : columns);
  }
  const path = root + '/sync/' + encodeURIComponent(entity);
  return params.length ? path + '?' + params.join('&') : path;
}

// Reconnect delay after `attempt` failed tries (0 for the first): doubles
// from baseMs up to maxMs, then a random point in the upper half of that, so
// clients dropped together do not come back together.
export function backoffDelay(attempt, {baseMs = 500, maxMs = 30000, random = Math.random} = {}) {
  const cap = Math.min(maxMs, baseMs * Math.pow(2, Math.max(0, attempt)));
  return Math.round(cap / 2 + random() * (cap / 2));
}

// Close codes that mean "do not come back": the token was revoked (1008)
// or the gateway answered like HTTP 401/403/404.
const kStopCodes = new Set([1008, 4401, 4403, 4404]);
const kSlowClientCode = 4008;

// What to do after a WebSocket closed with `code` and `reason`:
// {action: 'stop'} | {action: 'resume-now', seq} | {action: 'resume'}.
// `seq` is the seq in a slow-client reason ("... from=SEQ"), or null.
export function closeAction(code, reason) {
  if (kStopCodes.has(code)) return {action: 'stop'};
  if (code === kSlowClientCode) {
    const match = /from=(\d+)/.exec(reason || '');
    return {action: 'resume-now', seq: match ? Number(match[1]) : null};
  }
  return {action: 'resume'};
}

// HTTP answers before a stream that retrying cannot fix.
function isFatalHttpStatus(status) {
  return status === 400 || status === 401 || status === 403 || status === 404 || status === 405;
}

// ---------------------------------------------------------------------------
// Subscriptions

let nextSubscriptionId = 1;

class Subscription {
  constructor(client, entity, onDelta, options) {
    this.client = client;
    this.entity = entity;
    this.onDelta = typeof onDelta === 'function' ? onDelta : () => {};
    this.options = options || {};
    this.store = new RowStore();
    this.id = nextSubscriptionId++;
    this.transport = this.options.transport || client.transport;
    this.state = 'connecting';
    this.attempt = 0;          // failed tries since the last good stream
    this.quickResumes = 0;     // immediate resumes (4008) since the last up-to-date
    this.connection = null;    // {close(), kind}
    this.timer = null;
    this.closed = false;
    this.stats = {messages: 0, deltas: 0, connects: 0, duplicates: 0};
    this.from = this.options.from;  // the first connection's `from`
    this.connect();
  }

  get seq() {
    return this.store.seq;
  }

  // The current rows: a Map of rowId(table, key) -> {table, key, values}.
  // The subscription's own map: read it, do not change it.
  rows() {
    return this.store.rows;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    const connection = this.connection;
    this.connection = null;
    if (connection) connection.close();
    this.client.forget(this);
    this.setState('stopped', {reason: 'closed by the application'});
  }

  clearTimer() {
    if (this.timer !== null) {
      this.client.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  status(extra) {
    return {state: this.state, entity: this.entity, seq: this.store.seq,
            rows: this.store.rows.size, transport: this.activeTransport(),
            attempt: this.attempt, ...extra};
  }

  setState(state, extra) {
    this.state = state;
    this.callback('onStatus', this.status(extra), this);
  }

  callback(name, ...args) {
    const fn = this.options[name];
    if (typeof fn !== 'function') return;
    try {
      fn(...args);
    } catch (error) {
      this.client.report(error);
    }
  }

  activeTransport() {
    if (this.transport === 'sse') return 'sse';
    return this.client.WebSocket ? 'websocket' : 'sse';
  }

  currentFrom() {
    const seq = this.store.resumeFrom();
    if (seq !== null) return seq;
    if (this.store.snapshotting) return null;
    return this.from ?? null;
  }

  connect() {
    if (this.closed) return;
    this.timer = null;
    this.stats.connects++;
    const from = this.currentFrom();
    if (this.stats.connects > 1) this.setState('resuming', {from});
    else this.setState('connecting', {from});
    const query = {from, where: this.options.where, columns: this.options.columns};
    this.connection = this.activeTransport() === 'websocket'
        ? this.openWebSocket(query)
        : this.openSse(query);
  }

  // Handles one WebSocket message or SSE event's text.
  receive(text) {
    let messages;
    try {
      messages = parseMessages(text);
    } catch (error) {
      this.protocolError(error);
      return;
    }
    for (const message of messages) {
      if (this.closed) return;
      this.stats.messages++;
      let result;
      try {
        result = this.store.apply(message);
      } catch (error) {
        this.protocolError(error);
        return;
      }
      this.dispatch(result);
    }
  }

  dispatch(result) {
    switch (result.type) {
      case 'delta':
        this.stats.deltas++;
        markOwn(result.delta, this.client.ownRefs);
        try {
          this.onDelta(result.delta, result, this);
        } catch (error) {
          this.client.report(error);
        }
        break;
      case 'start':
        this.setState('syncing', {mode: result.message.mode});
        // A fresh snapshot after a reconnect replaces the rows held: to the
        // application that is a reset too.
        if (result.cleared > 0) this.callback('onReset', result.message, this);
        break;
      case 'reset':
        this.callback('onReset', result.message, this);
        break;
      case 'up-to-date':
        this.attempt = 0;
        this.quickResumes = 0;
        this.setState('live');
        this.callback('onUpToDate', this.store.seq, this);
        break;
      case 'heartbeat':
        this.callback('onHeartbeat', this.store.seq, this);
        break;
      case 'duplicate':
        this.stats.duplicates++;
        break;
      default:
        break;
    }
  }

  protocolError(error) {
    this.client.report(error);
    const connection = this.connection;
    this.connection = null;
    if (connection) connection.close();
    this.retry({error: String(error && error.message || error)});
  }

  // The stream ended. `end`: {opened, code, reason} for a WebSocket close,
  // {opened, streamEnded: true} when the gateway ended an SSE stream,
  // {httpStatus, error} when the gateway answered HTTP instead of a stream,
  // {error} when the connection failed.
  ended(end) {
    if (this.closed) return;
    this.connection = null;
    const info = {};
    for (const name of ['code', 'reason', 'httpStatus', 'error']) {
      if (end[name] !== undefined && end[name] !== null && end[name] !== '') info[name] = end[name];
    }
    if (end.httpStatus) {
      if (isFatalHttpStatus(end.httpStatus)) this.setState('stopped', info);
      else this.retry(info);
      return;
    }
    const action = end.streamEnded ? {action: 'resume-now', seq: null}
                                   : closeAction(end.code, end.reason);
    if (action.action === 'stop') {
      this.setState('stopped', info);
      return;
    }
    if (action.action === 'resume-now' && this.quickResumes < 3) {
      // A slow client (or an SSE stream the gateway ended): resume at once
      // after what was processed. The seq in the reason is only used when
      // the client holds none of its own.
      this.quickResumes++;
      if (this.store.resumeFrom() === null && !this.store.snapshotting && action.seq !== null) {
        this.from = action.seq;
      }
      this.clearTimer();
      this.setState('resuming', {...info, delayMs: 0});
      this.timer = this.client.timers.setTimeout(() => this.connect(), 0);
      return;
    }
    this.retry(info);
  }

  retry(info) {
    if (this.closed) return;
    this.clearTimer();
    const delayMs = backoffDelay(this.attempt, this.client.backoff);
    this.attempt++;
    this.setState('resuming', {...info, delayMs});
    this.timer = this.client.timers.setTimeout(() => this.connect(), delayMs);
  }

  openWebSocket(query) {
    const url = syncUrl(this.client.url, this.entity,
                        {...query, websocket: true, batch: true, token: this.client.token});
    let socket;
    try {
      socket = new this.client.WebSocket(url);
    } catch (error) {
      this.client.report(error);
      this.client.timers.setTimeout(() => this.ended({error: String(error.message)}), 0);
      return {kind: 'websocket', close() {}};
    }
    let opened = false;
    let done = false;
    let errorMessage = '';
    const connection = {
      kind: 'websocket',
      close: () => {
        done = true;
        try {
          socket.close(1000);
        } catch (_) {
          // Already closing.
        }
      },
    };
    socket.onopen = () => {
      if (done) return;
      opened = true;
      this.setState('connected');
    };
    socket.onmessage = (event) => {
      if (done) return;
      if (typeof event.data !== 'string') {
        this.protocolError(new Error('a binary WebSocket message'));
        return;
      }
      this.receive(event.data);
    };
    socket.onerror = (event) => {
      errorMessage = (event && (event.message || (event.error && event.error.message))) || '';
    };
    socket.onclose = (event) => {
      if (done) return;
      done = true;
      const code = event ? event.code : 1006;
      const reason = event ? event.reason : '';
      if (opened) {
        this.ended({opened, code, reason});
        return;
      }
      // The handshake failed: a browser does not say why. Node's ws says
      // "Unexpected server response: 401"; otherwise ask the gateway.
      const match = /Unexpected server response: (\d+)/.exec(errorMessage);
      if (match) {
        this.ended({code, reason, httpStatus: Number(match[1]), error: errorMessage});
        return;
      }
      this.diagnose(query).then(
          ({status, error}) => this.ended({code, reason, httpStatus: status, error}),
          () => this.ended({code, reason, error: errorMessage}));
    };
    return connection;
  }

  // After a WebSocket handshake failed: the HTTP status the gateway answers
  // the same subscription over SSE with `from=now` (cheap: no rows), so a
  // bad token or entity stops the client instead of retrying forever.
  // Resolves {status, error}; status 0 when it could not tell.
  async diagnose(query) {
    const fetchFn = this.client.fetch;
    if (!fetchFn || this.closed) return {status: 0};
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const url = syncUrl(this.client.url, this.entity,
                        {where: query.where, columns: query.columns, from: 'now'});
    const response = await fetchFn(url, {
      headers: this.client.headers({Accept: 'text/event-stream'}),
      signal: controller ? controller.signal : undefined,
      cache: 'no-store',
    });
    if (response.ok) {
      if (controller) controller.abort();
      return {status: 0};
    }
    let error = '';
    try {
      const body = JSON.parse(await response.text());
      error = body && body.error ? String(body.error) : '';
    } catch (_) {
      // Not JSON: the status says enough.
    }
    return {status: response.status, error};
  }

  // Server-Sent Events over fetch: unlike EventSource it sees the HTTP
  // status (a bad token stops instead of retrying), sends the token in a
  // header, and exists in Node too. Resumes through `from` like a WebSocket.
  openSse(query) {
    const fetchFn = this.client.fetch;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    let done = false;
    const connection = {
      kind: 'sse',
      close: () => {
        done = true;
        if (controller) controller.abort();
      },
    };
    if (!fetchFn) {
      this.client.timers.setTimeout(
          () => this.ended({error: 'neither WebSocket nor fetch is available'}), 0);
      return connection;
    }
    const url = syncUrl(this.client.url, this.entity, query);
    let opened = false;
    const run = async () => {
      const response = await fetchFn(url, {
        headers: this.client.headers({Accept: 'text/event-stream'}),
        signal: controller ? controller.signal : undefined,
        cache: 'no-store',
      });
      if (!response.ok) {
        let error = '';
        try {
          const body = JSON.parse(await response.text());
          error = body && body.error ? String(body.error) : '';
        } catch (_) {
          // Not JSON.
        }
        return {status: response.status, error};
      }
      opened = true;
      if (!done) this.setState('connected');
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const {value, done: end} = await reader.read();
        if (done) return {};
        if (end) break;
        for (const event of parser.push(decoder.decode(value, {stream: true}))) {
          if (done) return {};
          if (event.event === 'message') this.receive(event.data);
        }
      }
      return {};
    };
    run().then(
        ({status, error}) => {
          if (done) return;
          done = true;
          if (status) this.ended({httpStatus: status, error});
          else this.ended({opened, streamEnded: opened});
        },
        (error) => {
          if (done) return;
          done = true;
          this.ended({opened, error: String(error && error.message || error)});
        });
    return connection;
  }
}

// ---------------------------------------------------------------------------
// The client

class Client {
  constructor(options) {
    const location = globalThis.location;
    const url = options.url ?? (location && location.origin);
    if (!url || url === 'null') {
      throw new Error('deltabridge.connect: no url (and no page origin to default to)');
    }
    this.url = String(url).replace(/\/+$/, '');
    this.token = options.token || '';
    this.transport = options.transport || 'websocket';
    this.WebSocket = options.WebSocket !== undefined ? options.WebSocket : globalThis.WebSocket;
    const fetchFn = options.fetch !== undefined ? options.fetch : globalThis.fetch;
    this.fetch = fetchFn ? fetchFn.bind(globalThis) : null;
    this.timers = options.timers || {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id),
    };
    this.backoff = {baseMs: 500, maxMs: 30000, ...options.backoff};
    this.ownRefs = new RefSet(options.maxOwnRefs ?? 1000);
    this.onError = options.onError;
    this.subscriptions = new Set();
  }

  headers(extra) {
    const headers = {...extra};
    if (this.token) headers.Authorization = 'Bearer ' + this.token;
    return headers;
  }

  report(error) {
    if (typeof this.onError === 'function') {
      this.onError(error);
    } else if (globalThis.console) {
      globalThis.console.error('deltabridge:', error);
    }
  }

  forget(subscription) {
    this.subscriptions.delete(subscription);
  }

  subscribe(entity, onDelta, options) {
    if (!entity) throw new Error('deltabridge: subscribe needs an entity');
    const subscription = new Subscription(this, String(entity), onDelta, options);
    this.subscriptions.add(subscription);
    return subscription;
  }

  // POST /sync/<entity>. Resolves {status, ...body} for 200 (applied) and
  // 409 (held as a conflict); rejects with an Error carrying `status`,
  // `error` and `body` otherwise (status 0: no answer).
  async pushDelta(entity, delta) {
    if (!this.fetch) throw Object.assign(new Error('deltabridge: no fetch'), {status: 0});
    const url = this.url + '/sync/' + encodeURIComponent(entity);
    let response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: this.headers({'Content-Type': 'application/json'}),
        body: typeof delta === 'string' ? delta : JSON.stringify(delta),
      });
    } catch (cause) {
      const error = new Error(`push to ${entity}: ${cause && cause.message || cause}`);
      error.status = 0;
      error.cause = cause;
      throw error;
    }
    const text = await response.text();
    let body;
    try {
      body = text ? JSON.parse(text) : {};
    } catch (_) {
      body = {error: text};
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) body = {body};
    if (response.status === 200 || response.status === 409) {
      if (typeof body.ref === 'string') this.ownRefs.add(body.ref);
      return Object.assign({status: response.status}, body, {status: response.status});
    }
    const error = new Error(`push to ${entity}: HTTP ${response.status}` +
                            (body.error ? ': ' + body.error : ''));
    error.status = response.status;
    error.error = body.error;
    error.body = body;
    throw error;
  }

  close() {
    for (const subscription of [...this.subscriptions]) subscription.close();
  }
}

// Options: url (default: the page's origin), token, transport ('websocket',
// the default, or 'sse'), backoff {baseMs, maxMs}, maxOwnRefs, onError;
// for tests: WebSocket, fetch, timers {setTimeout, clearTimeout}.
export function connect(options = {}) {
  return new Client(options);
}

const deltabridge = {
  connect, rowId, RowStore, RefSet, markOwn, parseMessages, SseParser, syncUrl, backoffDelay,
  closeAction,
};
export default deltabridge;
globalThis.deltabridge = deltabridge;
