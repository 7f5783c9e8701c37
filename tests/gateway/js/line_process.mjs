// A child process that prints one JSON per line (ws_subscriber.mjs,
// cdp_page.mjs), for the JavaScript tests: collects its lines, waits for a
// line matching a predicate, writes commands to its stdin, and ends it.
import {spawn} from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import {fileURLToPath} from 'node:url';

export const kToolsDir = path.dirname(fileURLToPath(import.meta.url));

const running = new Set();

// Kills every LineProcess still running (a test's after hook: a failed test
// leaves none behind).
export async function killAll() {
  await Promise.all([...running].map((tool) => tool.kill('SIGKILL')));
}

export class LineProcess {
  // `script`: a file in this folder; `args`: its arguments.
  constructor(script, args, {stdin = 'pipe'} = {}) {
    this.lines = [];      // parsed JSON (or {text} for a line that is not JSON)
    this.waiters = [];    // {predicate, from, resolve, reject, timer}
    this.stderr = '';
    this.child = spawn(process.execPath, [path.join(kToolsDir, script), ...args],
                       {stdio: [stdin, 'pipe', 'pipe']});
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        running.delete(this);
        this.exitCode = code;
        this.exitSignal = signal;
        resolve({code, signal});
        for (const waiter of this.waiters.splice(0)) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`${script} exited (${code ?? signal}) before the line; ` +
                                  `lines: ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`));
        }
      });
    });
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk.toString('utf8');
    });
    readline.createInterface({input: this.child.stdout}).on('line', (text) => {
      let line;
      try {
        line = JSON.parse(text);
      } catch (_) {
        line = {text};
      }
      this.lines.push(line);
      for (const waiter of [...this.waiters]) this.check(waiter);
    });
  }

  check(waiter) {
    for (let i = waiter.from; i < this.lines.length; i++) {
      if (waiter.predicate(this.lines[i])) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve(this.lines[i]);
        return;
      }
    }
  }

  // The first line from index `from` on (default: any line so far) that
  // matches `predicate`.
  waitFor(predicate, {timeoutMs = 15000, from = 0} = {}) {
    return new Promise((resolve, reject) => {
      const waiter = {predicate, from, resolve, reject};
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching line after ${timeoutMs} ms; lines: ` +
                         `${JSON.stringify(this.lines)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.check(waiter);
    });
  }

  // Writes one command and returns the next line that matches `predicate`
  // (default: the next line that is not a {"console":...} report).
  async command(object, {predicate = (line) => !('console' in line), timeoutMs = 30000} = {}) {
    const from = this.lines.length;
    this.child.stdin.write(JSON.stringify(object) + '\n');
    return this.waitFor(predicate, {from, timeoutMs});
  }

  async exit(timeoutMs = 15000) {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  kill(signal = 'SIGTERM') {
    if (this.exitCode === undefined && this.exitSignal === undefined) this.child.kill(signal);
    return this.exited;
  }
}
