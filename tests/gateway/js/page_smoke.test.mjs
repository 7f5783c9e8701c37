// The live page in headless Chromium, driven by cdp_page.mjs as the C++
// integration tests drive it:
// - served by a plain static file server (gateway/web as it is): the page
//   loads without errors, client.js evaluates, waitFor works both ways, a
//   screenshot is written;
// - served by the fake gateway: rows appear, a change shows in its cell and
//   lights it up, a key change, a delete, an own push, a 4008 resume, a
//   token kept out of the address bar, and a refused token reported.
//
//   node tests/gateway/js/page_smoke.test.mjs
// Exits 77 (ctest: skipped) when Chromium is not installed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';

import {rowId} from '../../../gateway/web/client.js';
import {startFakeGateway} from './fake_gateway.mjs';
import {killAll, LineProcess} from './line_process.mjs';

const kChromium = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(kChromium)) {
  console.log(`SKIP: ${kChromium} is not installed (Debian: apt-get install chromium); ` +
              'the live page was not tested');
  process.exit(77);
}

const kTable = 'public.tour_slots';
const status = (field) => `document.getElementById('status').dataset.${field}`;
const rowSelector = (id) => `#rows-body tr[data-key='${id.replaceAll("'", "\\'")}']`;
const cellText = (id, column) =>
  `document.querySelector(${JSON.stringify(rowSelector(id) + ` td[data-column='${column}']`)})` +
  `?.textContent`;

async function openPage(url) {
  const page = new LineProcess('cdp_page.mjs', [url]);
  const ready = await page.waitFor((line) => line.ready || line.error, {timeoutMs: 60000});
  assert.equal(ready.ready, true, JSON.stringify(ready) + page.stderr);
  return page;
}

async function quit(page) {
  const reply = page.command({quit: true}).catch(() => null);
  const {code} = await page.exit(20000);
  await reply;
  assert.equal(code, 0, page.stderr);
}

const consoleLines = (page) => page.lines.filter((line) => line.console);

test('static server: the page loads, client.js evaluates, waitFor works', async () => {
  const server = await startFakeGateway({staticOnly: true});
  const screenshot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'page_smoke-')), 'page.png');
  const page = await openPage(`${server.url}/`);
  try {
    assert.deepEqual(await page.command({eval: 'typeof window.deltabridge.connect'}),
                     {value: 'function'});
    assert.deepEqual(await page.command({eval: 'typeof window.livePageRowId'}),
                     {value: 'function'});
    assert.deepEqual(await page.command({waitFor: `${status('state')} === 'idle'`,
                                         timeoutMs: 5000}),
                     {ok: true, value: true});
    assert.deepEqual(await page.command({eval: "document.getElementById('status-state')" +
                                               '.textContent'}),
                     {value: 'not connected'});
    // waitFor really waits for something that becomes true later ...
    const later = await page.command(
        {waitFor: 'window.smokeFlag || (setTimeout(() => window.smokeFlag = 7, 300), false)',
         timeoutMs: 5000});
    assert.deepEqual(later, {ok: true, value: 7});
    // ... and gives up on something that never does.
    assert.deepEqual(await page.command({waitFor: '0', timeoutMs: 300}),
                     {ok: false, error: 'timeout', last: 0});
    // Errors come back as errors; promises are awaited.
    assert.match((await page.command({eval: 'no_such_name.x'})).error, /ReferenceError/);
    assert.deepEqual(await page.command({eval: 'Promise.resolve(41 + 1)'}), {value: 42});
    assert.deepEqual(await page.command({screenshot}), {ok: true, path: screenshot});
    assert.equal(fs.readFileSync(screenshot).subarray(1, 4).toString('latin1'), 'PNG');
    // A page error is reported as a console line.
    await page.command({eval: "setTimeout(() => { throw new Error('smoke boom'); }); 1"});
    await page.waitFor((line) => line.console && /smoke boom/.test(line.console.text));
    assert.equal(consoleLines(page).length, 1, JSON.stringify(consoleLines(page)));
    await quit(page);
  } finally {
    await page.kill();
    await server.stop();
    fs.rmSync(path.dirname(screenshot), {recursive: true, force: true});
  }
});

let gw;
before(async () => {
  gw = await startFakeGateway({
    token: 'tok', heartbeatMs: 250,
    entities: {sched: {table: kTable, rows: [{id: 1, status: 'open', seats: 10},
                                             {id: 2, status: 'open', seats: 4}]}},
  });
});
after(async () => {
  await killAll();
  await gw.stop();
});

test('fake gateway: rows appear and follow the changes live', async () => {
  const page = await openPage(`${gw.url}/?entity=sched&token=tok`);
  try {
    assert.deepEqual(await page.command({waitFor: `${status('state')} === 'live'`}),
                     {ok: true, value: true});
    assert.deepEqual(await page.command({eval: `${status('rows')}`}), {value: '2'});
    assert.deepEqual(await page.command({eval: 'location.search'}), {value: '?entity=sched'},
                     'the token left the address bar');
    assert.deepEqual(await page.command({eval: "sessionStorage.getItem('deltabridge.token')"}),
                     {value: 'tok'});
    const one = rowId(kTable, {id: 1});
    assert.deepEqual(await page.command({eval: cellText(one, 'seats')}), {value: '10'});

    // A change committed elsewhere: the cell shows it, lit up.
    const change = gw.change('sched', {op: 'update', key: {id: 1}, changes: {seats: {new: 9}}});
    const lit = `${cellText(one, 'seats')} === '9' && document.querySelector(` +
                `${JSON.stringify(rowSelector(one) + " td[data-column='seats']")})` +
                `.classList.contains('changed')`;
    assert.deepEqual(await page.command({waitFor: lit}), {ok: true, value: true});
    assert.deepEqual(await page.command({waitFor: `Number(${status('seq')}) >= ${change.seq}`}),
                     {ok: true, value: true});
    assert.deepEqual(await page.command({waitFor: `!document.querySelector('td.changed')`,
                                         timeoutMs: 5000}),
                     {ok: true, value: true}, 'the highlight goes away');

    // A key change moves the row's data-key; a delete removes a row; an
    // insert adds one.
    gw.change('sched', {op: 'update', key: {id: 2}, changes: {id: {new: 20}}});
    const twenty = rowId(kTable, {id: 20});
    assert.deepEqual(await page.command({waitFor: `${cellText(twenty, 'id')} === '20'`}),
                     {ok: true, value: true});
    assert.deepEqual(await page.command({eval: `!!document.querySelector(` +
                                               `${JSON.stringify(rowSelector(rowId(kTable,
                                                                                   {id: 2})))})`}),
                     {value: false});
    gw.change('sched', {op: 'delete', key: {id: 1}});
    gw.change('sched', {op: 'insert', key: {id: 3},
                        changes: {id: {new: 3}, status: {new: 'new'}, seats: {new: null}}});
    const three = rowId(kTable, {id: 3});
    assert.deepEqual(await page.command({waitFor: `${cellText(three, 'seats')} === 'NULL'`}),
                     {ok: true, value: true});
    assert.deepEqual(await page.command({eval: "[...document.querySelectorAll('#rows-body tr')]" +
                                               '.map((tr) => tr.dataset.key)'}),
                     {value: [twenty, three]});
    assert.deepEqual(await page.command({eval: status('rows')}), {value: '2'});

    // The page's own push comes back marked as its own.
    const pushed = await page.command({eval: "livePage.gw.pushDelta('sched', {op: 'update', " +
                                             "key: {id: 3}, changes: {status: {old: 'new', " +
                                             "new: 'mine'}}})"});
    assert.equal(pushed.value.status, 200, JSON.stringify(pushed));
    assert.deepEqual(await page.command({waitFor: `${cellText(three, 'status')} === 'mine' && ` +
                                                  `document.querySelector(` +
                                                  `${JSON.stringify(rowSelector(three))})` +
                                                  `.classList.contains('own')`}),
                     {ok: true, value: true});

    // A slow-client close: the page resumes from its seq and goes on.
    const seqBefore = gw.seq;
    gw.closeClients('sched', 4008, 'slow client: resume with from=FROM');
    assert.deepEqual(await page.command({waitFor: 'livePage.sub.stats.connects === 2 && ' +
                                                  `${status('state')} === 'live'`}),
                     {ok: true, value: true});
    assert.equal(gw.stats.subscribes.at(-1).from, String(seqBefore));
    assert.ok(gw.stats.subscribes.at(-1).origin.startsWith('http://127.0.0.1:'));
    gw.change('sched', {op: 'update', key: {id: 20}, changes: {seats: {new: 1}}});
    assert.deepEqual(await page.command({waitFor: `${cellText(twenty, 'seats')} === '1'`}),
                     {ok: true, value: true});

    assert.deepEqual(consoleLines(page), []);
    await quit(page);
  } finally {
    await page.kill();
  }
});

test('fake gateway: a refused token is shown as stopped', async () => {
  const page = await openPage(`${gw.url}/?entity=sched&token=wrong`);
  try {
    assert.deepEqual(await page.command({waitFor: `${status('state')} === 'stopped'`}),
                     {ok: true, value: true});
    const detail = await page.command({eval: "document.getElementById('status-detail')" +
                                             '.textContent'});
    assert.match(detail.value, /HTTP 401: no token or an unknown one/);
    assert.deepEqual(await page.command({eval: "sessionStorage.getItem('deltabridge.token')"}),
                     {value: 'wrong'});

    // The form: the right token, submitted, shows the rows; Stop stops and
    // keeps them.
    await page.command({eval: "document.getElementById('token').value = 'tok'; " +
                              "document.getElementById('connect').click(); 1"});
    const rowCount = gw.rows('sched').length;
    assert.deepEqual(await page.command({waitFor: `${status('state')} === 'live' && ` +
                                                  `${status('rows')} === '${rowCount}'`}),
                     {ok: true, value: true});
    assert.deepEqual(await page.command({eval: "sessionStorage.getItem('deltabridge.token')"}),
                     {value: 'tok'});
    await page.command({eval: "document.getElementById('disconnect').click(); 1"});
    assert.deepEqual(await page.command({waitFor: `${status('state')} === 'stopped'`}),
                     {ok: true, value: true});
    assert.deepEqual(
        await page.command({eval: "document.querySelectorAll('#rows-body tr').length"}),
        {value: rowCount});
    await quit(page);
  } finally {
    await page.kill();
  }
});

// Alive and not a zombie waiting to be reaped.
function running(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (_) {
    return false;
  }
}

test('SIGTERM ends Chromium and removes its profile', async () => {
  const server = await startFakeGateway({staticOnly: true});
  const page = new LineProcess('cdp_page.mjs', [`${server.url}/`]);
  try {
    const ready = await page.waitFor((line) => line.ready || line.error, {timeoutMs: 60000});
    assert.equal(ready.ready, true, JSON.stringify(ready));
    assert.ok(fs.existsSync(ready.profile));
    assert.ok(running(ready.chromium_pid));
    page.child.kill('SIGTERM');
    const {code} = await page.exit(20000);
    assert.equal(code, 143);
    assert.equal(fs.existsSync(ready.profile), false, 'the profile is removed');
    assert.equal(running(ready.chromium_pid), false, 'chromium is gone');
  } finally {
    await page.kill('SIGKILL');
    await server.stop();
  }
});
