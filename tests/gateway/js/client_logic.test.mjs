// Unit tests of gateway/web/client.js without a network: the row store, seq
// tracking, own-ref marking, message parsing, SSE parsing, URLs, backoff,
// and the subscription's reconnect decisions over a fake WebSocket, fake
// fetch and fake timers.
//
//   node --test tests/gateway/js/client_logic.test.mjs
import assert from 'node:assert/strict';
import test from 'node:test';

import {
  backoffDelay, closeAction, connect, markOwn, parseMessages, RefSet, rowId, RowStore, SseParser,
  syncUrl,
} from '../../../gateway/web/client.js';

const kTable = 'public.tour_slots';

function snapshotRow(id, status, seats) {
  return {op: 'snapshot', key: {id}, table: kTable,
          changes: {id: {new: id}, status: {new: status}, seats: {new: seats}}};
}

function valuesOf(store) {
  const out = {};
  for (const [id, row] of store.rows) out[id] = row.values;
  return out;
}

test('rowId is the JSON of [table, key] with key columns sorted', () => {
  assert.equal(rowId(kTable, {id: 42}), '["public.tour_slots",{"id":42}]');
  assert.equal(rowId('t', {b: 2, a: 'x'}), rowId('t', {a: 'x', b: 2}));
  assert.equal(rowId('t', {b: 2, a: 'x'}), '["t",{"a":"x","b":2}]');
  assert.notEqual(rowId('t1', {id: 1}), rowId('t2', {id: 1}));
});

test('parseMessages takes one object or an array of them', () => {
  assert.deepEqual(parseMessages('{"control":"heartbeat","seq":3}'),
                   [{control: 'heartbeat', seq: 3}]);
  assert.deepEqual(parseMessages('[{"seq":1,"op":"delete","key":{"id":1}},{"control":"x"}]'),
                   [{seq: 1, op: 'delete', key: {id: 1}}, {control: 'x'}]);
  assert.deepEqual(parseMessages('[]'), []);
  assert.throws(() => parseMessages('[1]'), /not a JSON object/);
  assert.throws(() => parseMessages('"text"'), /not a JSON object/);
  assert.throws(() => parseMessages('{"op":'), SyntaxError);
});

test('snapshot, up-to-date and live deltas build the rows and the seq', () => {
  const store = new RowStore();
  assert.equal(store.resumeFrom(), null);
  assert.equal(store.apply({control: 'start', entity: 'e', key: ['id'], mode: 'snapshot'}).type,
               'start');
  assert.deepEqual(store.keyColumns, ['id']);
  assert.equal(store.snapshotting, true);
  store.apply(snapshotRow(1, 'open', 10));
  store.apply(snapshotRow(2, 'open', 4));
  assert.equal(store.resumeFrom(), null, 'no resume while the rows are incomplete');
  assert.equal(store.apply({control: 'up-to-date', seq: 1042}).type, 'up-to-date');
  assert.equal(store.seq, 1042);
  assert.equal(store.snapshotting, false);
  assert.equal(store.resumeFrom(), 1042);
  assert.equal(store.rows.size, 2);

  // An update lists only what changed; the other columns are kept.
  const result = store.apply({seq: 1043, op: 'update', key: {id: 1}, table: kTable,
                              changes: {status: {old: 'open', new: 'booked'}}});
  assert.equal(result.type, 'delta');
  assert.equal(result.id, rowId(kTable, {id: 1}));
  assert.deepEqual(result.previous.values, {id: 1, status: 'open', seats: 10});
  assert.deepEqual(result.row.values, {id: 1, status: 'booked', seats: 10});
  assert.equal(store.seq, 1043);

  store.apply({seq: 1044, op: 'insert', key: {id: 3}, table: kTable,
               changes: {id: {new: 3}, status: {new: 'open'}, seats: {new: null}}});
  const deleted = store.apply({seq: 1045, op: 'delete', key: {id: 2}, table: kTable,
                               changes: {id: {old: 2}, status: {old: 'open'}, seats: {old: 4}}});
  assert.equal(deleted.row, undefined);
  assert.deepEqual(deleted.previous.values, {id: 2, status: 'open', seats: 4});
  assert.deepEqual(valuesOf(store), {
    [rowId(kTable, {id: 1})]: {id: 1, status: 'booked', seats: 10},
    [rowId(kTable, {id: 3})]: {id: 3, status: 'open', seats: null},
  });
  assert.equal(store.seq, 1045);
});

test('heartbeats advance the seq and never move it back', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'live'});
  store.apply({control: 'up-to-date', seq: 10});
  store.apply({control: 'heartbeat', seq: 15});
  assert.equal(store.seq, 15);
  store.apply({control: 'heartbeat', seq: 12});
  assert.equal(store.seq, 15);
  assert.equal(store.resumeFrom(), 15);
});

test('a delta not after the held seq is dropped as a duplicate', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'resume'});
  store.apply({seq: 5, op: 'insert', key: {id: 1}, table: 't', changes: {id: {new: 1}}});
  store.apply({control: 'up-to-date', seq: 5});
  const again = store.apply({seq: 5, op: 'delete', key: {id: 1}, table: 't'});
  assert.equal(again.type, 'duplicate');
  assert.equal(store.duplicates, 1);
  assert.equal(store.rows.size, 1);
  assert.equal(store.apply({seq: 6, op: 'delete', key: {id: 1}, table: 't'}).type, 'delta');
  assert.equal(store.rows.size, 0);
});

test('an update that changes the key moves the row to its new id', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'snapshot', key: ['park', 'slot']});
  store.apply({op: 'snapshot', table: 't', key: {park: 1, slot: 7},
               changes: {park: {new: 1}, slot: {new: 7}, note: {new: 'a'}}});
  store.apply({control: 'up-to-date', seq: 1});
  const result = store.apply({seq: 2, op: 'update', table: 't', key: {park: 1, slot: 7},
                              changes: {slot: {old: 7, new: 8}, note: {old: 'a', new: 'b'}}});
  assert.equal(result.oldId, rowId('t', {park: 1, slot: 7}));
  assert.equal(result.id, rowId('t', {park: 1, slot: 8}));
  assert.deepEqual(result.row.key, {park: 1, slot: 8});
  assert.deepEqual([...store.rows.keys()], [rowId('t', {park: 1, slot: 8})]);
  assert.deepEqual(store.rows.get(result.id).values, {park: 1, slot: 8, note: 'b'});

  // A key column listed with the same value is no key change.
  const same = store.apply({seq: 3, op: 'update', table: 't', key: {park: 1, slot: 8},
                            changes: {slot: {old: 8, new: 8}}});
  assert.equal(same.oldId, undefined);
  assert.equal(store.rows.size, 1);
});

test('an update for a row not held starts it from the key and the new values', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'live'});
  store.apply({control: 'up-to-date', seq: 1});
  const result = store.apply({seq: 2, op: 'update', table: 't', key: {id: 9},
                              changes: {status: {old: 'a', new: 'b'}}});
  assert.equal(result.previous, undefined);
  assert.deepEqual(result.row.values, {id: 9, status: 'b'});
});

test('truncate drops the rows of its table only', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'snapshot'});
  store.apply({op: 'snapshot', table: 'a', key: {id: 1}, changes: {id: {new: 1}}});
  store.apply({op: 'snapshot', table: 'a', key: {id: 2}, changes: {id: {new: 2}}});
  store.apply({op: 'snapshot', table: 'b', key: {id: 1}, changes: {id: {new: 1}}});
  store.apply({control: 'up-to-date', seq: 7});
  const result = store.apply({seq: 8, op: 'truncate', table: 'a'});
  assert.deepEqual(result.removed.sort(), [rowId('a', {id: 1}), rowId('a', {id: 2})].sort());
  assert.deepEqual([...store.rows.keys()], [rowId('b', {id: 1})]);
  assert.equal(store.seq, 8);
});

test('reset drops the rows; a new snapshot follows before resuming is possible', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'snapshot'});
  store.apply(snapshotRow(1, 'open', 1));
  store.apply({control: 'up-to-date', seq: 100});
  store.apply({control: 'start', mode: 'resume'});
  assert.equal(store.rows.size, 1, 'a resume keeps the rows');
  assert.equal(store.apply({control: 'reset', seq: 0, reason: 'too old'}).type, 'reset');
  assert.equal(store.rows.size, 0);
  assert.equal(store.seq, 0, 'the reset sets the seq, even backwards');
  assert.equal(store.resumeFrom(), null);
  store.apply(snapshotRow(5, 'open', 1));
  store.apply({control: 'up-to-date', seq: 40});
  assert.equal(store.seq, 40);
  assert.deepEqual([...store.rows.keys()], [rowId(kTable, {id: 5})]);
});

test('a snapshot start replaces rows held from an earlier stream', () => {
  const store = new RowStore();
  store.apply({control: 'start', mode: 'snapshot'});
  store.apply(snapshotRow(1, 'open', 1));
  store.apply({control: 'up-to-date', seq: 3});
  store.apply({control: 'start', mode: 'snapshot'});
  assert.equal(store.rows.size, 0);
  assert.equal(store.seq, null);
});

test('unknown ops and controls are ignored; non-objects throw', () => {
  const store = new RowStore();
  assert.equal(store.apply({control: 'something-new'}).type, 'ignored');
  assert.equal(store.apply({op: 'merge', seq: 4, key: {}}).type, 'ignored');
  assert.equal(store.seq, null);
  assert.throws(() => store.apply(null));
  assert.throws(() => store.apply([{}]));
});

test('RefSet keeps the newest refs only; markOwn marks their deltas', () => {
  const refs = new RefSet(3);
  for (const ref of ['a:1', 'a:2', 'a:3', 'a:4']) refs.add(ref);
  assert.equal(refs.size, 3);
  assert.equal(refs.has('a:1'), false);
  assert.equal(refs.has('a:4'), true);
  refs.add('a:2');  // now the newest
  refs.add('a:5');
  assert.equal(refs.has('a:2'), true);
  assert.equal(refs.has('a:3'), false);

  assert.equal(markOwn({seq: 1, op: 'update', ref: 'a:5'}, refs).own, true);
  assert.equal(markOwn({seq: 2, op: 'update', ref: 'b:5'}, refs).own, undefined);
  assert.equal(markOwn({seq: 3, op: 'update'}, refs).own, undefined);
});

test('SseParser splits events across chunks and line endings', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push(': comment\nid: 7\nda'), []);
  assert.deepEqual(parser.push('ta: {"seq":7}\n\ndata: a\r\ndata: b\r'), [
    {id: '7', event: 'message', data: '{"seq":7}'},
  ]);
  assert.deepEqual(parser.push('\n\r\n'), [{id: '7', event: 'message', data: 'a\nb'}]);
  assert.deepEqual(parser.push('event: other\ndata:x\n\n'), [{id: '7', event: 'other', data: 'x'}]);
  assert.deepEqual(parser.push('id: 9\n\n'), [], 'an event without data dispatches nothing');
  assert.deepEqual(parser.push('data: y\n\n'), [{id: '9', event: 'message', data: 'y'}]);
});

test('syncUrl builds the WebSocket and SSE URLs', () => {
  assert.equal(
      syncUrl('https://gw.example:8443/', 'scheduling',
              {websocket: true, batch: true, token: 't+k/=', from: 1042}),
      'wss://gw.example:8443/sync/scheduling?batch=1&token=t%2Bk%2F%3D&from=1042');
  assert.equal(syncUrl('http://127.0.0.1:9/prefix', 'a b', {websocket: true}),
               'ws://127.0.0.1:9/prefix/sync/a%20b');
  assert.equal(
      syncUrl('http://h', 'e', {from: 'now', where: "status = 'open' AND seats < 10",
                                columns: ['id', 'status']}),
      "http://h/sync/e?from=now&where=status%20%3D%20'open'%20AND%20seats%20%3C%2010" +
          '&columns=id%2Cstatus');
  assert.equal(syncUrl('http://h', 'e', {from: 0}), 'http://h/sync/e?from=0');
  assert.equal(syncUrl('http://h', 'e', {from: null, columns: []}), 'http://h/sync/e');
});

test('backoffDelay doubles, is capped and jittered into the upper half', () => {
  const low = () => 0;
  const high = () => 1;
  assert.equal(backoffDelay(0, {baseMs: 500, maxMs: 30000, random: low}), 250);
  assert.equal(backoffDelay(0, {baseMs: 500, maxMs: 30000, random: high}), 500);
  assert.equal(backoffDelay(3, {baseMs: 500, maxMs: 30000, random: high}), 4000);
  assert.equal(backoffDelay(20, {baseMs: 500, maxMs: 30000, random: high}), 30000);
  assert.equal(backoffDelay(20, {baseMs: 500, maxMs: 30000, random: low}), 15000);
  for (let i = 0; i < 100; i++) {
    const delay = backoffDelay(4);
    assert.ok(delay >= 4000 && delay <= 8000, String(delay));
  }
});

test('closeAction: stop on auth closes, resume at once on 4008, else back off', () => {
  assert.deepEqual(closeAction(1008, 'token revoked'), {action: 'stop'});
  assert.deepEqual(closeAction(4401, ''), {action: 'stop'});
  assert.deepEqual(closeAction(4403, ''), {action: 'stop'});
  assert.deepEqual(closeAction(4008, 'slow client: resume with from=1042'),
                   {action: 'resume-now', seq: 1042});
  assert.deepEqual(closeAction(4008, 'slow client'), {action: 'resume-now', seq: null});
  assert.deepEqual(closeAction(1001, 'stopping'), {action: 'resume'});
  assert.deepEqual(closeAction(1006, ''), {action: 'resume'});
});

// ---------------------------------------------------------------------------
// Subscriptions over fakes.

class FakeTimers {
  constructor() {
    this.pending = [];
    this.nextId = 1;
  }
  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.pending.push({id, fn, ms});
    return id;
  }
  clearTimeout(id) {
    this.pending = this.pending.filter((t) => t.id !== id);
  }
  // Runs the timers due now (in order), returning their delays.
  runAll() {
    const ran = [];
    while (this.pending.length) {
      const timer = this.pending.shift();
      ran.push(timer.ms);
      timer.fn();
    }
    return ran;
  }
}

function fakeWebSocketClass() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.closedWith = null;
      sockets.push(this);
    }
    open() {
      this.onopen?.({});
    }
    send(messages) {
      this.onmessage?.({data: JSON.stringify(messages)});
    }
    serverClose(code, reason = '') {
      this.onclose?.({code, reason});
    }
    close(code) {
      this.closedWith = code;
    }
  }
  return {FakeWebSocket, sockets};
}

function jsonResponse(status, body) {
  return {
    status,
    ok: status >= 200 && status < 300,
    text: async () => JSON.stringify(body),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function startMessages(seq) {
  return [{control: 'start', entity: 'sched', key: ['id'], mode: 'snapshot'},
          snapshotRow(1, 'open', 10), snapshotRow(2, 'open', 4),
          {control: 'up-to-date', seq}];
}

function subscribeOverFakes(options = {}) {
  const {FakeWebSocket, sockets} = fakeWebSocketClass();
  const timers = new FakeTimers();
  const fetches = [];
  const fetch = async (url, init) => {
    fetches.push({url, init});
    return options.fetchAnswer ? options.fetchAnswer(url, init) : jsonResponse(200, {});
  };
  const gw = connect({url: 'http://gw.test:8080', token: 'tok', WebSocket: FakeWebSocket, fetch,
                      timers, backoff: {baseMs: 100, maxMs: 1000}, onError: () => {}});
  const deltas = [];
  const statuses = [];
  const events = [];
  const sub = gw.subscribe('sched', (delta) => deltas.push(delta), {
    onStatus: (status) => statuses.push(status),
    onReset: (message) => events.push(['reset', message.seq]),
    onUpToDate: (seq) => events.push(['up-to-date', seq]),
    onHeartbeat: (seq) => events.push(['heartbeat', seq]),
    ...options.subscribe,
  });
  return {gw, sub, sockets, timers, fetches, deltas, statuses, events};
}

test('a subscription takes batched messages and keeps the rows', () => {
  const {sub, sockets, deltas, statuses, events} = subscribeOverFakes();
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].url, 'ws://gw.test:8080/sync/sched?batch=1&token=tok');
  sockets[0].open();
  sockets[0].send(startMessages(1042));
  assert.equal(sub.seq, 1042);
  assert.equal(sub.rows().size, 2);
  assert.deepEqual(deltas.map((d) => d.op), ['snapshot', 'snapshot']);
  assert.deepEqual(events, [['up-to-date', 1042]]);
  assert.equal(statuses.at(-1).state, 'live');
  assert.equal(statuses.at(-1).rows, 2);

  sockets[0].send({seq: 1043, op: 'update', key: {id: 2}, table: kTable,
                   changes: {seats: {old: 4, new: 3}}});
  sockets[0].send([{control: 'heartbeat', seq: 1050}]);
  assert.equal(sub.seq, 1050);
  assert.equal(sub.rows().get(rowId(kTable, {id: 2})).values.seats, 3);
  assert.deepEqual(events.at(-1), ['heartbeat', 1050]);
});

test('a dropped connection resumes from the last seq after a jittered backoff', () => {
  const {sub, sockets, timers, statuses} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(10));
  sockets[0].send({control: 'heartbeat', seq: 12});
  sockets[0].serverClose(1006);
  assert.equal(statuses.at(-1).state, 'resuming');
  const first = statuses.at(-1).delayMs;
  assert.ok(first >= 50 && first <= 100, String(first));
  assert.deepEqual(timers.runAll(), [first]);
  assert.equal(sockets.length, 2);
  assert.equal(sockets[1].url, 'ws://gw.test:8080/sync/sched?batch=1&token=tok&from=12');

  // Failing again before any message: the delay grows.
  sockets[1].open();
  sockets[1].serverClose(1001, 'stopping');
  const second = statuses.at(-1).delayMs;
  assert.ok(second >= 100 && second <= 200, String(second));
  timers.runAll();
  sockets[2].open();
  sockets[2].send([{control: 'start', mode: 'resume'},
                   {seq: 13, op: 'delete', key: {id: 1}, table: kTable},
                   {control: 'up-to-date', seq: 13}]);
  assert.equal(sub.rows().size, 1);
  assert.equal(sub.state, 'live');

  // After an up-to-date the backoff starts over.
  sockets[2].serverClose(1006);
  const third = statuses.at(-1).delayMs;
  assert.ok(third >= 50 && third <= 100, String(third));
});

test('a drop during the snapshot starts over with the current rows', () => {
  const {sockets, timers} = subscribeOverFakes({subscribe: {from: 500}});
  assert.match(sockets[0].url, /from=500$/);
  sockets[0].open();
  sockets[0].send([{control: 'start', mode: 'resume'}, {control: 'reset', seq: 0, reason: 'old'},
                   snapshotRow(1, 'open', 1)]);
  sockets[0].serverClose(1006);
  timers.runAll();
  assert.equal(sockets[1].url, 'ws://gw.test:8080/sync/sched?batch=1&token=tok');
});

test('close code 4008 resumes at once from the own seq', () => {
  const {sub, sockets, timers, statuses} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(20));
  sockets[0].send({seq: 21, op: 'delete', key: {id: 1}, table: kTable});
  sockets[0].serverClose(4008, 'slow client: resume with from=21');
  assert.equal(statuses.at(-1).state, 'resuming');
  assert.equal(statuses.at(-1).delayMs, 0);
  assert.deepEqual(timers.runAll(), [0]);
  assert.match(sockets[1].url, /&from=21$/);
  assert.equal(sub.rows().size, 1);
});

test('close code 4008 before any seq resumes from the seq in the reason', () => {
  const {sockets, timers} = subscribeOverFakes({subscribe: {from: 'now'}});
  assert.match(sockets[0].url, /&from=now$/);
  sockets[0].open();
  sockets[0].serverClose(4008, 'slow client: resume with from=77');
  timers.runAll();
  assert.match(sockets[1].url, /&from=77$/);
});

test('repeated 4008 closes fall back to the backoff', () => {
  const {sockets, timers, statuses} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(1));
  for (let i = 0; i < 3; i++) {
    sockets.at(-1).serverClose(4008, 'slow client: resume with from=1');
    assert.equal(statuses.at(-1).delayMs, 0);
    timers.runAll();
    sockets.at(-1).open();
  }
  sockets.at(-1).serverClose(4008, 'slow client: resume with from=1');
  assert.ok(statuses.at(-1).delayMs > 0);
});

test('a revoked token (1008) stops the subscription', () => {
  const {sub, sockets, timers, statuses} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(1));
  sockets[0].serverClose(1008, 'token revoked');
  assert.equal(sub.state, 'stopped');
  assert.equal(statuses.at(-1).code, 1008);
  assert.equal(statuses.at(-1).reason, 'token revoked');
  assert.equal(timers.pending.length, 0);
  assert.equal(sub.rows().size, 2, 'the rows stay readable');
});

test('a refused handshake asks the gateway why and stops on 401', async () => {
  const {sub, sockets, timers, fetches, statuses} = subscribeOverFakes({
    fetchAnswer: () => jsonResponse(401, {error: 'unknown token'}),
  });
  sockets[0].serverClose(1006);
  await flush();
  assert.equal(fetches.length, 1);
  assert.equal(fetches[0].url, 'http://gw.test:8080/sync/sched?from=now');
  assert.equal(fetches[0].init.headers.Accept, 'text/event-stream');
  assert.equal(fetches[0].init.headers.Authorization, 'Bearer tok');
  assert.equal(sub.state, 'stopped');
  assert.equal(statuses.at(-1).httpStatus, 401);
  assert.equal(statuses.at(-1).error, 'unknown token');
  assert.equal(timers.pending.length, 0);
});

test('a refused handshake with 503 retries', async () => {
  const {sub, sockets, timers} = subscribeOverFakes({
    fetchAnswer: () => jsonResponse(503, {error: 'catching up'}),
  });
  sockets[0].serverClose(1006);
  await flush();
  assert.equal(sub.state, 'resuming');
  assert.equal(timers.pending.length, 1);
});

test('Node ws handshake errors give the status without asking', () => {
  const {sub, sockets, fetches} = subscribeOverFakes();
  sockets[0].onerror({message: 'Unexpected server response: 403'});
  sockets[0].serverClose(1006);
  assert.equal(fetches.length, 0);
  assert.equal(sub.state, 'stopped');
});

test('reset drops the rows and calls onReset', () => {
  const {sub, sockets, events, deltas} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(5));
  sockets[0].send([{control: 'reset', seq: 0, reason: 'gateway state was rebuilt'}]);
  assert.equal(sub.rows().size, 0);
  assert.deepEqual(events.at(-1), ['reset', 0]);
  sockets[0].send([snapshotRow(9, 'x', 1), {control: 'up-to-date', seq: 3}]);
  assert.deepEqual([...sub.rows().keys()], [rowId(kTable, {id: 9})]);
  assert.equal(sub.seq, 3);
  assert.equal(deltas.length, 3);
});

test('a fresh snapshot after a reconnect replaces the rows and calls onReset', () => {
  const {sub, sockets, timers, events} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(5));
  // Dropped in the middle of a snapshot: the next stream starts over.
  sockets[0].send([{control: 'reset', seq: 0, reason: 'x'}, snapshotRow(7, 'a', 1)]);
  sockets[0].serverClose(1006);
  timers.runAll();
  sockets[1].open();
  sockets[1].send([{control: 'start', mode: 'snapshot'}, snapshotRow(8, 'b', 2),
                   {control: 'up-to-date', seq: 9}]);
  assert.deepEqual(events, [['up-to-date', 5], ['reset', 0], ['reset', undefined],
                            ['up-to-date', 9]]);
  assert.deepEqual([...sub.rows().keys()], [rowId(kTable, {id: 8})]);
});

test('a refused handshake the gateway then accepts is retried', async () => {
  const {sub, sockets, timers, fetches} = subscribeOverFakes();
  sockets[0].serverClose(1006);
  await flush();
  assert.equal(fetches.length, 1, 'asked why');
  assert.equal(sub.state, 'resuming');
  assert.equal(timers.pending.length, 1);
  timers.runAll();
  assert.equal(sockets.length, 2);
});

test('a malformed message reconnects', () => {
  const {sub, sockets, timers} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].send(startMessages(5));
  sockets[0].onmessage({data: '{"op":'});
  assert.equal(sockets[0].closedWith, 1000);
  assert.equal(sub.state, 'resuming');
  timers.runAll();
  assert.match(sockets[1].url, /from=5$/);
});

test('pushDelta resolves 200 and 409, records refs and marks own deltas', async () => {
  let answer = jsonResponse(200, {result: 'applied', ref: 'app:17', kept: []});
  const {gw, sockets, deltas, fetches} = subscribeOverFakes({fetchAnswer: () => answer});
  sockets[0].open();
  sockets[0].send(startMessages(1));
  const change = {op: 'update', key: {id: 1}, changes: {status: {old: 'open', new: 'booked'}}};
  const result = await gw.pushDelta('sched', change);
  assert.deepEqual(result, {status: 200, result: 'applied', ref: 'app:17', kept: []});
  assert.equal(fetches[0].url, 'http://gw.test:8080/sync/sched');
  assert.equal(fetches[0].init.method, 'POST');
  assert.equal(fetches[0].init.headers['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(fetches[0].init.body), change);

  answer = jsonResponse(409, {result: 'conflict', conflict_id: 3, ref: 'app:18'});
  assert.deepEqual(await gw.pushDelta('sched', change),
                   {status: 409, result: 'conflict', conflict_id: 3, ref: 'app:18'});

  sockets[0].send([{seq: 2, op: 'update', key: {id: 1}, table: kTable, ref: 'app:17',
                    origin: ['app.sched'], changes: {status: {old: 'open', new: 'booked'}}},
                   {seq: 3, op: 'update', key: {id: 2}, table: kTable, ref: 'other:1',
                    changes: {status: {old: 'open', new: 'x'}}}]);
  assert.equal(deltas.at(-2).own, true);
  assert.equal(deltas.at(-1).own, undefined);
});

test('pushDelta rejects other answers with the status and the error', async () => {
  let answer = jsonResponse(403, {error: 'this token may not push to sched'});
  const {gw} = subscribeOverFakes({fetchAnswer: () => answer});
  await assert.rejects(gw.pushDelta('sched', {op: 'delete', key: {id: 1}}), (error) => {
    assert.equal(error.status, 403);
    assert.equal(error.error, 'this token may not push to sched');
    assert.match(error.message, /HTTP 403: this token may not push/);
    return true;
  });
  answer = {status: 502, ok: false, text: async () => '<html>bad gateway</html>'};
  await assert.rejects(gw.pushDelta('sched', {}), (error) => error.status === 502);
});

test('pushDelta rejects with status 0 when there is no answer', async () => {
  const gw = connect({url: 'http://gw.test', WebSocket: null, timers: new FakeTimers(),
                      fetch: async () => {
                        throw new TypeError('fetch failed');
                      }});
  await assert.rejects(gw.pushDelta('e', {}), (error) => error.status === 0);
});

test('close() stops a subscription and its reconnects', () => {
  const {gw, sub, sockets, timers} = subscribeOverFakes();
  sockets[0].open();
  sockets[0].serverClose(1006);
  assert.equal(timers.pending.length, 1);
  gw.close();
  assert.equal(sub.state, 'stopped');
  assert.equal(timers.pending.length, 0);
});

function sseResponse(chunks) {
  const encoder = new TextEncoder();
  return {
    status: 200,
    ok: true,
    body: new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
  };
}

test('transport sse reads events over fetch and resumes when the stream ends', async () => {
  const answers = [
    sseResponse(['data: {"control":"start","mode":"snapshot"}\n\n',
                 `data: ${JSON.stringify(snapshotRow(1, 'open', 2))}\n\nid: 8\ndata: `,
                 '{"control":"up-to-date","seq":8}\n\n']),
    sseResponse(['data: {"control":"start","mode":"resume"}\n\n']),
  ];
  const {sub, fetches, timers, sockets} = subscribeOverFakes({
    subscribe: {transport: 'sse', where: "status = 'open'"},
    fetchAnswer: () => answers.shift(),
  });
  await flush();
  await flush();
  assert.equal(sockets.length, 0);
  assert.equal(fetches[0].url, 'http://gw.test:8080/sync/sched?where=status%20%3D%20\'open\'');
  assert.equal(fetches[0].init.headers.Authorization, 'Bearer tok');
  assert.equal(sub.seq, 8);
  assert.equal(sub.rows().size, 1);
  assert.equal(sub.state, 'resuming');
  timers.runAll();
  await flush();
  assert.equal(fetches[1].url,
               'http://gw.test:8080/sync/sched?from=8&where=status%20%3D%20\'open\'');
});

test('without WebSocket the client uses SSE; an SSE 403 stops', async () => {
  const timers = new FakeTimers();
  const gw = connect({url: 'http://gw.test', WebSocket: null, timers,
                      fetch: async () => jsonResponse(403, {error: 'may not read'})});
  const statuses = [];
  const sub = gw.subscribe('e', () => {}, {onStatus: (s) => statuses.push(s)});
  await flush();
  assert.equal(sub.state, 'stopped');
  assert.equal(statuses.at(-1).transport, 'sse');
  assert.equal(statuses.at(-1).httpStatus, 403);
  assert.equal(statuses.at(-1).error, 'may not read');
});

test('loading the module sets globalThis.deltabridge', () => {
  assert.equal(typeof globalThis.deltabridge.connect, 'function');
  assert.equal(globalThis.deltabridge.rowId, rowId);
});
