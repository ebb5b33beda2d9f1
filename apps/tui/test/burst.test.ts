// Bursts in a real terminal: the real TUI (dist) in tmux, fed by a fake daemon on its socket, is sent 100,000
// lines of 500 characters (~50 MB) as fast as the socket takes them. The log keeps 10,000 lines, so the TUI's
// memory must stay bounded (an unbounded buffer would hold the whole 50 MB) and the newest line must reach
// the screen soon after the burst ends.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

const TUI = path.resolve(__dirname, '../dist/index.js');
const SERVER = `habitat-tui-burst-${process.pid}`;
const RUN = '01JBURST000000000000000000';
const LINES = 100_000;
const PAYLOAD = 'x'.repeat(500);
let root = '';
let server: net.Server | undefined;
const subscribers = new Set<net.Socket>();

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'b');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/**
 * MB the TUI's JS heap holds after a full GC, through its inspector (on loopback, a port of the system's
 * choosing, named in its stderr) and Node's own WebSocket.
 */
async function liveHeapMb(): Promise<number> {
  const url = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(readFileSync(path.join(root, 'stderr'), 'utf8'))?.[0];
  if (!url)
    throw new Error(`the TUI's inspector did not start: ${readFileSync(path.join(root, 'stderr'), 'utf8')}`);
  const ws = new WebSocket(url);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  let id = 0;
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const me = ++id;
      ws.addEventListener('message', function on(m) {
        const reply = JSON.parse(String(m.data)) as { id?: number; result: Record<string, number> };
        if (reply.id !== me) return;
        ws.removeEventListener('message', on);
        resolve(reply.result);
      });
      ws.send(JSON.stringify({ id: me, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    return (await call('Runtime.getHeapUsage')).usedSize! / 1024 / 1024;
  } finally {
    ws.close();
  }
}

async function until(ok: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`never saw ${what}; the screen showed:\n${screen()}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  if (!existsSync(TUI))
    throw new Error(`${TUI} is missing: build it first (turbo run build --filter=@habitat/tui)`);
  root = mkdtempSync(path.join(tmpdir(), 'habitat-tui-burst-'));
  const stateDir = path.join(root, '.habitat');
  mkdirSync(path.join(root, 'agents'), { recursive: true });
  mkdirSync(stateDir);
  writeFileSync(path.join(root, 'agents', 'burst.yaml'), 'run: { command: ["true"] }\nschedule: manual\n');
  const status = {
    daemon: { live: true, pid: process.pid },
    agents: [
      {
        agent: 'burst',
        state: 'running',
        schedule: 'manual',
        backend: 'local',
        running: { runId: RUN, startedAt: new Date().toISOString(), trigger: 'manual' },
        costToday: 0,
      },
    ],
  };
  server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const req = JSON.parse(buffer.slice(0, nl)) as { id: number; method: string };
        buffer = buffer.slice(nl + 1);
        const result =
          req.method === 'status'
            ? status
            : req.method === 'history' || req.method === 'accounts'
              ? []
              : { subscribed: true };
        socket.write(`${JSON.stringify({ id: req.id, result })}\n`);
        if (req.method === 'subscribe') subscribers.add(socket);
      }
    });
    socket.on('close', () => subscribers.delete(socket));
    socket.on('error', () => subscribers.delete(socket));
  });
  await new Promise<void>((r) => server!.listen(path.join(stateDir, 'habitat.sock'), r));
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  for (const s of subscribers) s.destroy();
  server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('three bursts of 100,000 lines: memory stays bounded (flat after the first) and the newest line is on the screen', async () => {
  tmux(
    'new-session',
    '-d',
    '-s',
    'b',
    '-x',
    '100',
    '-y',
    '30',
    // (the inspector's own messages go to stderr: kept off the screen)
    `exec '${process.execPath}' --inspect=127.0.0.1:0 '${TUI}' --dir '${root}' 2>'${root}/stderr'`,
  );
  const pid = Number(tmux('list-panes', '-t', 'b', '-F', '#{pane_pid}').trim());
  await until(
    () => /live: daemon[\s\S]*1 running|1 running[\s\S]*live: daemon/.test(screen()),
    'the fleet, live',
  );
  tmux('send-keys', '-t', 'b', 'Enter');
  await until(() => screen().includes(`run ${RUN} · `), 'the run view');
  const socket = [...subscribers][0]!;
  // A first line, so the baseline is taken with the log view drawn.
  socket.write(
    `${JSON.stringify({ event: 'run.output', time: new Date().toISOString(), agent: 'burst', runId: RUN, stream: 'stdout', text: `L0 ${PAYLOAD}\n` })}\n`,
  );
  await until(() => /^L0 x/m.test(screen()), 'the first line');
  await sleep(500);
  const before = rssMb(pid);
  const heapBefore = await liveHeapMb();

  // Three bursts, in messages of 100 lines, as fast as the TUI reads them (the socket's backpressure). The
  // first fills the log; after each later one, a bounded TUI holds what it held before it, while an unbounded
  // one holds ~50 MB more per burst. Judged on the live heap (after a full GC, through the inspector): RSS is
  // not the heap, V8 may still be growing its spaces (CI once saw +22 MB on the second burst).
  const after: number[] = [];
  const heap: number[] = [];
  for (const burst of [0, 1, 2]) {
    const started = Date.now();
    for (let m = 0; m < LINES / 100; m++) {
      let text = '';
      for (let i = 1; i <= 100; i++) text += `L${burst * LINES + m * 100 + i} ${PAYLOAD}\n`;
      const message = {
        event: 'run.output',
        time: new Date().toISOString(),
        agent: 'burst',
        runId: RUN,
        stream: 'stdout',
        text,
      };
      if (!socket.write(`${JSON.stringify(message)}\n`)) await new Promise((r) => socket.once('drain', r));
    }
    const sent = Date.now();
    const newest = (burst + 1) * LINES;
    await until(
      () => new RegExp(`^L${newest} x`, 'm').test(screen()),
      `line ${newest} on the screen`,
      20_000,
    );
    const shown = Date.now();
    await sleep(1500);
    after.push(rssMb(pid));
    heap.push(await liveHeapMb());
    const s = screen();
    // following: the newest lines in order at the bottom of the log
    expect(s).toMatch(new RegExp(`^L${newest - 1} x+…?\\s[\\s\\S]*^L${newest} x`, 'm'));
    expect(s).toContain('following');
    process.stdout.write(
      `burst ${burst + 1}: RSS ${Math.round(burst ? after[burst - 1]! : before)} -> ${Math.round(after[burst]!)} MB, live heap ${(burst ? heap[burst - 1]! : heapBefore).toFixed(1)} -> ${heap[burst]!.toFixed(1)} MB; 50 MB sent in ${sent - started} ms, the newest line on the screen ${shown - sent} ms later\n`,
    );
    expect(shown - sent).toBeLessThan(5000);
  }
  // What the TUI holds is its live heap after a full GC: the log it keeps (measured 23 -> 36 -> 35 -> 35 MB;
  // an unbounded buffer, LOG_CAPACITY 1,000,000: 23 -> 76 -> 128 -> 181, +53 MB a burst). RSS also holds what
  // V8 has not given back yet, which moved by 20-40 MB from run to run (a bound of 20 MB on it failed at 21:11):
  // it only gets a gross bound (measured +42..+73 MB over the three bursts, unbounded +250).
  expect(Math.max(heap[1]! - heap[0]!, heap[2]! - heap[1]!)).toBeLessThan(15);
  expect(heap[0]! - heapBefore).toBeLessThan(35);
  expect(after[2]! - before).toBeLessThan(150);
}, 60_000);
