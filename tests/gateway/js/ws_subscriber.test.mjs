// ws_subscriber.mjs against the fake gateway (fake_gateway.mjs): raw
// WebSocket and SSE streams, exit conditions, refusals, a client that stops
// reading, and client.js run in Node (resume after 4008, own pushes, stop on
// 1008).
//
//   node --test tests/gateway/js/ws_subscriber.test.mjs
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {rowId} from '../../../gateway/web/client.js';
import {startFakeGateway} from './fake_gateway.mjs';
import {killAll, LineProcess} from './line_process.mjs';
import {splitTopLevel} from './ws_subscriber.mjs';

const kTable = 'public.tour_slots';
let gw;

function rows() {
  return [{id: 1, status: 'open', seats: 10}, {id: 2, status: 'open', seats: 4}];
}

before(async () => {
  gw = await startFakeGateway({
    token: 'tok', heartbeatMs: 200, keepDeltas: 50,
    entities: {sched: {table: kTable, rows: rows()}, big: {table: 'public.big', rows: []}},
  });
});

after(async () => {
  await killAll();
  await gw.stop();
});

function subscriber(args) {
  return new LineProcess('ws_subscriber.mjs', args, {stdin: 'ignore'});
}

test('splitTopLevel keeps each element\'s text as the gateway sent it', () => {
  assert.deepEqual(splitTopLevel('{"seq":1}'), ['{"seq":1}']);
  assert.deepEqual(splitTopLevel(' [] '), []);
  assert.deepEqual(
      splitTopLevel('[{"a":"x,]\\"{"}, {"b":[1,{"c":2}]},{"n":12345678901234567890}]'),
      ['{"a":"x,]\\"{"}', '{"b":[1,{"c":2}]}', '{"n":12345678901234567890}']);
});

test('raw WebSocket: batched messages one per line, exits at --until-seq', async () => {
  const start = gw.seq;
  const tool = subscriber([`${gw.url}/sync/sched?batch=1`, '--token', 'tok',
                           '--until-seq', String(start + 2), '--timeout-ms', '10000']);
  await tool.waitFor((line) => line.control === 'up-to-date');
  gw.change('sched', {op: 'update', key: {id: 1}, changes: {seats: {new: 11}}});
  gw.change('sched', {op: 'update', key: {id: 1}, changes: {seats: {new: 12}}});
  const {code} = await tool.exit();
  assert.equal(code, 0, tool.stderr);
  const lines = tool.lines;
  assert.deepEqual(lines[0], {control: 'start', entity: 'sched', key: ['id'], mode: 'snapshot'});
  assert.equal(lines.filter((l) => l.op === 'snapshot').length, 2);
  assert.deepEqual(lines.filter((l) => l.op === 'update').map((l) => l.seq),
                   [start + 1, start + 2]);
  const last = lines.at(-1);
  assert.ok(['heartbeat', 'up-to-date'].includes(last.control) && last.seq >= start + 2,
            JSON.stringify(last));
  assert.equal(gw.stats.subscribes.at(-1).batch, true);
});

test('raw WebSocket: --count, from=SEQ, an http:// URL and a ?token=', async () => {
  const start = gw.seq;
  gw.change('sched', {op: 'update', key: {id: 2}, changes: {seats: {new: 5}}});
  const tool = subscriber([`${gw.url}/sync/sched?token=tok&from=${start}`, '--count', '3',
                           '--timeout-ms', '10000']);
  const {code} = await tool.exit();
  assert.equal(code, 0, tool.stderr);
  assert.equal(tool.lines.length, 3);
  assert.equal(tool.lines[0].mode, 'resume');
  assert.equal(tool.lines[1].seq, start + 1);
  assert.deepEqual(tool.lines[2], {control: 'up-to-date', seq: start + 1});
});

test('raw WebSocket: a refused stream prints the status and body, exit 2', async () => {
  const tool = subscriber([`${gw.url}/sync/sched`, '--token', 'wrong', '--timeout-ms', '10000']);
  const {code} = await tool.exit();
  assert.equal(code, 2);
  assert.deepEqual(tool.lines, [{http_status: 401, body: {error: 'no token or an unknown one'}}]);

  const missing = subscriber([`${gw.url}/sync/nothing`, '--token', 'tok']);
  assert.equal((await missing.exit()).code, 2);
  assert.equal(missing.lines[0].http_status, 404);
});

test('raw WebSocket: a server close is the last line', async () => {
  const tool = subscriber([`${gw.url}/sync/sched`, '--token', 'tok', '--header', 'X-Test: 1',
                           '--timeout-ms', '10000']);
  await tool.waitFor((line) => line.control === 'up-to-date');
  gw.closeClients('sched', 1008, 'token revoked');
  const {code} = await tool.exit();
  assert.equal(code, 0, 'no goal: a close is the end');
  assert.deepEqual(tool.lines.at(-1), {closed: 1008, reason: 'token revoked'});

  const counting = subscriber([`${gw.url}/sync/sched`, '--token', 'tok', '--count', '1000',
                               '--timeout-ms', '10000']);
  await counting.waitFor((line) => line.control === 'up-to-date');
  gw.closeClients('sched', 1001, 'stopping');
  assert.equal((await counting.exit()).code, 1, 'closed before the goal');
  assert.deepEqual(counting.lines.at(-1), {closed: 1001, reason: 'stopping'});
});

test('raw WebSocket: --timeout-ms exits 3', async () => {
  const tool = subscriber([`${gw.url}/sync/sched`, '--token', 'tok', '--count', '1000',
                           '--timeout-ms', '700']);
  assert.equal((await tool.exit()).code, 3);
  assert.deepEqual(tool.lines.at(-1), {timeout: 700});
});

test('raw WebSocket: --no-read-after stops reading and stays connected', async () => {
  const tool = subscriber([`${gw.url}/sync/big?batch=1`, '--token', 'tok', '--no-read-after',
                           '2']);
  await tool.waitFor((line) => line.paused === 2);
  const printed = tool.lines.length;
  // Enough to fill the socket buffers and the fake's 1 MiB limit: it closes
  // the client with 4008, which the client never reads.
  const filler = 'x'.repeat(4000);
  for (let i = 0; i < 20000 && gw.clients('big') > 0; i++) {
    gw.change('big', {op: 'insert', key: {id: i}, changes: {id: {new: i}, pad: {new: filler}}});
    if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(gw.clients('big'), 0, 'the fake gateway gave up on the client (4008)');
  assert.equal(gw.stats.slowClients, 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(tool.exitCode, undefined, 'still running, not reading');
  assert.equal(tool.lines.length, printed, 'nothing read after the pause');
  await tool.kill();
});

test('raw SSE: events with ids, Last-Event-ID resumes', async () => {
  const start = gw.seq;
  gw.change('sched', {op: 'update', key: {id: 1}, changes: {status: {new: 'x'}}});
  gw.change('sched', {op: 'update', key: {id: 1}, changes: {status: {new: 'y'}}});
  const tool = subscriber([`${gw.url}/sync/sched`, '--sse', '--print-ids', '--token', 'tok',
                           '--last-event-id', String(start), '--count', '4',
                           '--timeout-ms', '10000']);
  assert.equal((await tool.exit()).code, 0, tool.stderr);
  assert.equal(tool.lines[0].data.mode, 'resume');
  assert.deepEqual(tool.lines.slice(1).map((l) => [l.id, l.data.seq ?? l.data.control]),
                   [[String(start + 1), start + 1], [String(start + 2), start + 2],
                    [String(start + 2), start + 2]]);
  assert.equal(tool.lines[3].data.control, 'up-to-date');

  const plain = subscriber([`${gw.url}/sync/sched`, '--sse', '--token', 'tok', '--until-seq',
                            String(start + 2), '--timeout-ms', '10000']);
  assert.equal((await plain.exit()).code, 0);
  assert.equal(plain.lines[0].control, 'start');
  assert.equal(plain.lines.at(-1).seq, start + 2);
});

test('client.js in Node: rows, an own push marked, --print-rows', async () => {
  const tool = subscriber(['--client-js', `${gw.url}/client.js`, '--entity', 'sched',
                           '--token', 'tok', '--count', '3', '--print-rows',
                           '--push', JSON.stringify({op: 'update', key: {id: 2},
                                                     changes: {status: {new: 'booked'}}}),
                           '--timeout-ms', '10000']);
  const {code} = await tool.exit();
  assert.equal(code, 0, JSON.stringify(tool.lines) + tool.stderr);
  const deltas = tool.lines.filter((l) => l.delta).map((l) => l.delta);
  assert.deepEqual(deltas.map((d) => d.op), ['snapshot', 'snapshot', 'update']);
  const pushed = tool.lines.find((l) => l.pushed).pushed;
  assert.equal(pushed.status, 200);
  assert.equal(deltas[2].ref, pushed.ref);
  assert.equal(deltas[2].own, true);
  const upToDate = tool.lines.find((l) => l.up_to_date !== undefined);
  assert.equal(upToDate.rows, 2);
  const printedRows = tool.lines.at(-1).rows;
  const two = printedRows.find((row) => row.id === rowId(kTable, {id: 2}));
  assert.equal(two.values.status, 'booked');
  assert.ok(tool.lines.some((l) => l.status && l.status.state === 'live'));
});

test('client.js in Node: 4008 resumes at once from its seq, without duplicates', async () => {
  const tool = new LineProcess('ws_subscriber.mjs', ['--client-js', `${gw.url}/client.js`,
                                                     '--entity', 'sched', '--token', 'tok',
                                                     '--timeout-ms', '15000']);
  await tool.waitFor((line) => line.up_to_date !== undefined);
  const first = gw.change('sched', {op: 'update', key: {id: 1}, changes: {seats: {new: 50}}});
  await tool.waitFor((line) => line.delta && line.delta.seq === first.seq);
  const subscribesBefore = gw.stats.subscribes.length;
  gw.closeClients('sched', 4008, 'slow client: resume with from=FROM');
  await tool.waitFor((line) => line.status && line.status.code === 4008);
  const second = gw.change('sched', {op: 'update', key: {id: 1}, changes: {seats: {new: 51}}});
  await tool.waitFor((line) => line.delta && line.delta.seq === second.seq);
  const resumed = gw.stats.subscribes.slice(subscribesBefore).find((s) => s.entity === 'sched' &&
                                                                        s.transport ===
                                                                            'websocket');
  assert.ok(Number(resumed.from) >= first.seq, JSON.stringify(resumed));
  const resuming = tool.lines.find((l) => l.status && l.status.code === 4008).status;
  assert.equal(resuming.state, 'resuming');
  assert.equal(resuming.delayMs, 0);
  const seqs = tool.lines.filter((l) => l.delta && l.delta.seq).map((l) => l.delta.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no delta twice: ' + seqs);

  // {"rows":true} and a push from stdin.
  const rowsLine = await tool.command({rows: true},
                                      {predicate: (line) => Array.isArray(line.rows)});
  assert.equal(rowsLine.rows.find((r) => r.key.id === 1).values.seats, 51);
  const answer = await tool.command({push: {op: 'update', key: {id: 1},
                                            changes: {seats: {old: 1, new: 2}}}},
                                    {predicate: (line) => line.pushed || line.push_error});
  assert.equal(answer.pushed.status, 409, 'a stale old is a conflict in the fake');

  // A revoked token stops the client: exit 2.
  gw.closeClients('sched', 1008, 'token revoked');
  assert.equal((await tool.exit()).code, 2);
  assert.deepEqual(tool.lines.at(-1).status.code, 1008);
  assert.equal(tool.lines.at(-1).status.state, 'stopped');
});

test('client.js in Node over SSE, and a bad token stops it', async () => {
  const start = gw.seq;
  const tool = subscriber(['--client-js', `${gw.url}/client.js`, '--entity', 'sched',
                           '--token', 'tok', '--transport', 'sse', '--from', String(start),
                           '--until-seq', String(start + 1), '--timeout-ms', '10000']);
  await tool.waitFor((line) => line.up_to_date !== undefined);
  gw.change('sched', {op: 'delete', key: {id: 2}});
  assert.equal((await tool.exit()).code, 0, tool.stderr);
  assert.equal(tool.lines.find((l) => l.delta).delta.op, 'delete');
  assert.equal(gw.stats.subscribes.at(-1).transport, 'sse');

  const refused = subscriber(['--client-js', `${gw.url}/client.js`, '--entity', 'sched',
                              '--token', 'nope', '--timeout-ms', '10000']);
  assert.equal((await refused.exit()).code, 2);
  const status = refused.lines.at(-1).status;
  assert.equal(status.state, 'stopped');
  assert.equal(status.httpStatus, 401);
});
